"""Preferences → Dark / Light really change the colours where the platform's
hint does nothing (here: the offscreen platform, like Linux/X11), and the
window works on a 1,280 × 720 laptop screen."""

from __future__ import annotations

from amends.ui.common import appearance, settings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QSplitter


def _lightness(widget=None) -> int:
    palette = widget.palette() if widget is not None else QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness()


def _choose(window, scheme: str) -> None:
    dialog = window.open_preferences()
    dialog.scheme.setCurrentIndex(dialog.scheme.findData(scheme))
    dialog.accept()


def test_dark_and_light_from_preferences_change_the_palette(qtbot, window):
    original = _lightness()
    try:
        _choose(window, "dark")
        assert _lightness() < 128
        qtbot.waitUntil(lambda: _lightness(window.inbox.table) < 128)
        qtbot.waitUntil(lambda: window.inbox.ticket_view.dark)  # the conversation is drawn dark too
        _choose(window, "light")
        assert _lightness() >= 128
        qtbot.waitUntil(lambda: not window.inbox.ticket_view.dark)
        _choose(window, "system")
        assert _lightness() == original
    finally:
        appearance.apply_scheme("system")
        settings.put(appearance.SETTING, "system")


def test_the_window_fits_a_1280_by_720_laptop(qtbot, window):
    for pane in (1, 2, 3, 0):  # every pane built: the stacked panes share one minimum width
        window.show_pane(pane)
    assert window.review.minimumSizeHint().width() <= 1280, "the Review's controls forced 1,348 px"
    window.inbox.table.selectRow(0)
    window.resize(1280, 720)
    assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 720, \
        window.minimumSizeHint()
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 720))
    inbox = window.inbox
    for splitter in window.findChildren(QSplitter):
        if splitter.isVisible():
            assert not splitter.childrenCollapsible(), splitter.objectName()
            assert all(size > 0 for size in splitter.sizes()), (splitter.objectName(), splitter.sizes())
    assert inbox.ticket_view.width() >= 380 and inbox.table.width() >= 250
    for pane in (1, 2, 3):  # each pane, shown, still fits the laptop screen
        window.show_pane(pane)
        assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 720, \
            (pane, window.minimumSizeHint())


def test_dragging_a_splitter_never_collapses_a_pane(qtbot, window):
    window.inbox.table.selectRow(0)
    window.resize(1280, 720)
    splitter = window.inbox.splitter
    splitter.setSizes([0, 1280, 0])  # what a hard drag to either side asks for
    assert all(size >= 150 for size in splitter.sizes()), splitter.sizes()
    inner = window.inbox.ticket_view.splitter
    inner.setSizes([0, 2000])
    assert all(size > 0 for size in inner.sizes()), inner.sizes()


def test_the_customer_panel_folds_to_an_icon_strip_and_stays_folded(qtbot, window):
    from amends.ui.ticket.customer_panel import CustomerPanel
    from PySide6.QtGui import QTextOption

    window.inbox.table.selectRow(0)
    view = window.inbox.ticket_view
    panel = view.customer_panel
    assert view.customer.wordWrapMode() == QTextOption.WrapMode.WordWrap, "whole words, never a letter per line"
    wide = panel.width()
    panel.toggle.click()
    assert panel.collapsed and not view.customer.isVisible()
    qtbot.waitUntil(lambda: panel.width() < 50)
    assert panel.width() < wide and panel.toggle.isVisible()
    again = CustomerPanel(type(view.customer)())
    assert again.collapsed, "remembered"
    panel.toggle.click()
    assert not panel.collapsed and view.customer.isVisible()


def test_the_composer_buttons_keep_their_words_on_a_laptop(qtbot, window):
    """At 1,280 × 720 the ticket pane is about 320 px wide: the four composer
    buttons go onto two lines rather than being clipped ("aved reply..",
    "d internal no", seen in a screenshot)."""
    window.show_pane(0)
    window.inbox.table.selectRow(0)
    window.resize(1280, 720)
    window.show()
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 720))
    view = window.inbox.ticket_view
    buttons = (view.saved_reply_button, view.note_button, view.later_button, view.reply_button)
    row = view.composer_buttons

    def whole() -> bool:
        return all(b.isVisible() and b.width() >= b.sizeHint().width() for b in buttons)

    qtbot.waitUntil(whole, timeout=3000)  # the layout settles after the resize
    for button in buttons:  # every button lies inside the pane, none under another
        assert row.rect().contains(button.geometry()), button.text()
    boxes = [b.geometry() for b in buttons]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
