"""What a person sees after the wave-3 merges, looked at in screenshots
(1,280 × 720 and 1,920 × 1,080, light and dark) and pinned here: links that
can be read on their background, text that is not cut.

Contrast is measured on the rendered pixels (WCAG 2 relative luminance),
not on the colours we meant to set: a style sheet or a platform palette can
override what the code asked for, and only the picture says what is seen."""

from __future__ import annotations

from amends.ui.common import appearance
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea

#: WCAG 2 AA for normal text
READABLE = 4.5


def _luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _last_word_contrast(label: QLabel, background: QColor, strip: int = 24) -> float:
    """The best contrast among the pixels of the label's rightmost ink (the
    last word: our banners and the Review's summary end with a link),
    against the background. Anti-aliased edges are paler; the glyphs' cores
    carry the real colour, hence the maximum."""
    image = label.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    ink: list[tuple[int, int]] = []
    for y in range(image.height()):
        for x in range(image.width()):
            if contrast(QColor(image.pixel(x, y)), background) > 1.15:
                ink.append((x, y))
    assert ink, "nothing drawn on the label"
    right = max(x for x, _y in ink)
    bottom_line = max(y for x, y in ink if x > right - strip)
    return max(contrast(QColor(image.pixel(x, y)), background) for x, y in ink
               if x > right - strip and abs(y - bottom_line) < 20)


def _dark_desktop() -> None:
    """A dark desktop's palette that says nothing about links (what
    scripts/screenshots.py's use_dark gives, and Fusion on many Linux
    desktops): Qt's default link blue stays, #0000ff, unreadable on dark."""
    app = QApplication.instance()
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (("Window", "#202124"), ("WindowText", "#e8eaed"), ("Base", "#17181a"),
                         ("AlternateBase", "#26282b"), ("Text", "#e8eaed"), ("Button", "#2d2f33"),
                         ("ButtonText", "#e8eaed"), ("Highlight", "#3b6fd8"), ("HighlightedText", "#ffffff")):
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    app.setPalette(palette)


def _back_to_light() -> None:
    app = QApplication.instance()
    app.setPalette(app.style().standardPalette())
    appearance.apply_scheme("system")


def test_the_restored_banner_s_dismiss_link_reads_on_dark(qtbot, window):
    try:
        _dark_desktop()
        window.apply_appearance()
        window.resize(1920, 1080)
        window.banners.show_restored()
        qtbot.waitUntil(lambda: window.banners.restored.isVisible())
        qtbot.wait(20)
        background = QColor(appearance._DARK["hint"][0])
        assert _last_word_contrast(window.banners.restored, background) >= READABLE
    finally:
        _back_to_light()
        window.apply_appearance()


def test_a_hint_banner_link_reads_on_dark_and_light(qtbot, window):
    """The role hint ends with "Got it" (a link): in the banner's own text colour."""
    hint = window.banners.hint
    try:
        for dark in (True, False):
            _dark_desktop() if dark else _back_to_light()
            window.apply_appearance()
            window.resize(1920, 1080)
            hint.setText("Your store has passed 1,000 active subscribers. <a href='dismiss'>Got it</a>")
            appearance.link_on_banner(hint, appearance.is_dark())
            hint.show()
            qtbot.waitUntil(hint.isVisible)
            qtbot.wait(20)
            background = QColor((appearance._DARK if dark else appearance._LIGHT)["hint"][0])
            assert _last_word_contrast(hint, background) >= READABLE, "dark" if dark else "light"
    finally:
        hint.hide()
        _back_to_light()
        window.apply_appearance()


def test_the_review_summary_links_read_on_a_dark_desktop(qtbot, window):
    """Computed in light, then the desktop turns dark (what the screenshots
    do): a label lays its links out in the colour of the moment, so they
    stayed #0000ff until the text was set again."""
    try:
        window.resize(1280, 720)
        with qtbot.waitSignal(window.review.computed, timeout=20000):
            window.show_pane(2)
            window.review.compute()
        _dark_desktop()
        qtbot.wait(20)
        window.apply_appearance()
        summary = window.review.summary
        window.review.findChild(QScrollArea).ensureWidgetVisible(summary)
        qtbot.wait(20)
        background = summary.palette().color(QPalette.ColorRole.Window)
        assert _last_word_contrast(summary, background) >= READABLE
    finally:
        _back_to_light()
        window.apply_appearance()


def test_a_long_e_mail_address_wraps_in_the_customer_panel_and_copies_whole(qtbot, window):
    """1,280 px: the panel is ~160 px wide; "hana.keller966@mail.example" had
    a horizontal scroll bar and its end cut off. It breaks after "@" and
    dots now, and a copy gives the address as it is (no invisible breaks)."""
    from amends.core import customers, tickets

    address = "hana.keller-morgenstern966@mail.example-coffee.com"
    with window.db.transaction() as conn:
        customer_id, _created = customers.for_address(conn, "test", address, "Hana Keller")
    ticket_id = tickets.create(window.db, "Box arrived wet", "The box was soaked.", customer_id=customer_id)
    window.resize(1280, 720)
    window.inbox.show_ids("one ticket", [ticket_id])
    window.inbox.select_ticket(ticket_id)
    view = window.inbox.ticket_view
    qtbot.waitUntil(lambda: view.ticket is not None and view.ticket.id == ticket_id)
    qtbot.waitUntil(lambda: view.customer.isVisible())
    qtbot.wait(50)
    assert view.customer.viewport().width() < 300, "the panel as a laptop shows it"
    assert view.customer.horizontalScrollBar().maximum() == 0, "the address is cut (a horizontal scroll bar)"
    view.customer.selectAll()
    view.customer.copy()
    assert address in QApplication.clipboard().text()
    assert "\u200b" not in QApplication.clipboard().text()


def test_the_inbox_shows_whole_columns_up_to_the_customer_on_a_laptop(qtbot, window):
    """1,280 × 720: the list is ~540 px wide. The Customer column began at
    the right edge (a name cut to "Tess"), behind a scroll bar. The subject
    gives way first (it is elided, with the whole subject on hover); #,
    Subject, Waiting, Now and Customer are whole, the rest is a scroll away
    (and in the ticket pane)."""
    window.resize(1280, 720)
    window.inbox.table.selectRow(0)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 720))
    qtbot.wait(50)
    table = window.inbox.table
    header = table.horizontalHeader()
    model = window.inbox.model
    right = table.viewport().width()
    for name in ("id", "subject", "waiting", "now", "customer"):
        column = model.column_of(name)
        left = header.sectionViewportPosition(column)
        assert left >= 0 and left + header.sectionSize(column) <= right, \
            (name, left, header.sectionSize(column), right)
    assert header.sectionSize(model.column_of("subject")) >= 150, "the subject still reads"
    waiting = model.column_of("waiting")
    assert header.sectionSize(waiting) >= table.fontMetrics().horizontalAdvance("11 d, overdue") + 12


def test_the_policy_names_are_whole_on_a_laptop(qtbot, window):
    """1,280 × 720: the Name column was squeezed to ~43 px ("Da… ship…")
    by the columns sized to their contents beside it; now every name is on
    its line whole, and every column (Review: "⚑ overdue by 30 d") is inside
    the list, with the policy editor still at its minimum width or more."""
    window.resize(1280, 720)
    window.show_pane(1)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 720))
    qtbot.wait(50)
    pane = window.policies
    table = pane.table
    header = table.horizontalHeader()
    assert header.sectionSize(0) >= table.sizeHintForColumn(0), "a policy's name is cut"
    right = table.viewport().width()
    for column in range(header.count()):
        left = header.sectionViewportPosition(column)
        assert left >= 0 and left + header.sectionSize(column) <= right, (column, left, header.sectionSize(column))
    assert pane.editor.width() >= pane.editor.minimumSizeHint().width()


def test_split_choices_wrap_instead_of_running_off_the_dialog(qtbot, window):
    """Split's choices are "time · author · the message's first 80
    characters": in the 420 px dialog they ran off the right edge behind a
    horizontal scroll bar (seen in desk/split-dialog-*.png). They wrap."""
    many = window.db.scalar("SELECT ticket_id FROM messages GROUP BY ticket_id HAVING count(*) >= 3 LIMIT 1")
    window.inbox.show_ids("a long thread", [many])
    assert window.inbox.select_ticket(many)
    dialog = window.triage.choose_split()
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    qtbot.wait(50)
    choices = dialog.list
    assert choices.horizontalScrollBar().maximum() == 0, "a choice runs off the dialog"
    wide = max(choices.fontMetrics().horizontalAdvance(choices.item(r).text()) for r in range(choices.count()))
    assert wide > choices.viewport().width(), "the test needs a choice longer than the list is wide"
    for row in range(choices.count()):
        item = choices.item(row)
        rect = choices.visualItemRect(item)
        assert rect.right() <= choices.viewport().width(), "a choice wider than the list"
        if choices.fontMetrics().horizontalAdvance(item.text()) > choices.viewport().width():
            assert rect.height() > choices.fontMetrics().height() * 1.5, "a long choice on one cut line"
    dialog.reject()


def _indicator_contrast(widget) -> float:
    """The strongest contrast between the window colour and any pixel of a
    check box's or radio button's indicator (its outline is what shows an
    unchecked one is there)."""
    from PySide6.QtWidgets import QStyle, QStyleOptionButton

    option = QStyleOptionButton()
    option.initFrom(widget)
    element = (QStyle.SubElement.SE_CheckBoxIndicator if widget.inherits("QCheckBox")
               else QStyle.SubElement.SE_RadioButtonIndicator)
    box = widget.style().subElementRect(element, option, widget)
    image = widget.grab().toImage()
    window = widget.palette().color(QPalette.ColorRole.Window)
    return max(contrast(image.pixelColor(x, y), window)
               for x in range(box.left(), box.right() + 1) for y in range(box.top(), box.bottom() + 1))


def test_unchecked_boxes_and_radio_buttons_show_on_dark(qtbot):
    """Fusion outlines an indicator in the window colour made darker: on our
    dark palette an unchecked box was nearly invisible (Saturday and Sunday
    in the reply targets dialog, the choices of "Review this policy"). WCAG
    asks 3:1 for the parts of a control that say what it is."""
    from PySide6.QtWidgets import QCheckBox, QRadioButton

    original = _lightness_of_app()
    try:
        appearance.apply_scheme("dark")
        for widget in (QCheckBox("Saturday"), QRadioButton("Keep")):
            qtbot.addWidget(widget)
            widget.resize(160, 30)
            widget.show()
            qtbot.waitExposed(widget)
            assert _indicator_contrast(widget) >= 3.0, widget.text()
    finally:
        appearance.apply_scheme("system")
        assert _lightness_of_app() == original


def _lightness_of_app() -> int:
    from PySide6.QtWidgets import QApplication

    return QApplication.palette().color(QPalette.ColorRole.Window).lightness()
