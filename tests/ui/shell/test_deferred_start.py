"""What the window builds after its first paint, or on first use (issue 16:
start ≤ 1.5× a bare window). The feature controllers — resolving, files,
mail, proposals, the view dialogs — and the live updates are not built
before the inbox is painted; their shortcuts work from the moment the window
is shown, and nothing the person sees is missing once it has started."""

from __future__ import annotations

from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

DEFERRED = ("_resolver", "_views", "_files", "_mail", "_proposer", "_live")


def _shown(qtbot, db) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    return window


def test_controllers_wait_and_a_shortcut_works_right_after_start(qtbot, demo_db):
    window = _shown(qtbot, demo_db)
    try:
        assert [name for name in DEFERRED if getattr(window, name, "missing") is not None] == [], \
            "built before the first paint"
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)  # shortcuts go to the active window
        assert window._resolver is None, "built on first use"
        window.inbox.table.selectRow(0)
        window.inbox.table.setFocus()
        qtbot.keyClick(window.inbox.table, Qt.Key.Key_E)  # E: resolve, its flow not built yet
        dialog = window.checklist_dialog
        assert dialog is not None and dialog.isVisible(), "the shortcut opened the checklist at once"
        dialog.reject()
    finally:
        window.poll.stop()
        window.close()


def test_the_live_updates_and_mail_start_right_after_the_first_paint(qtbot, demo_db):
    window = _shown(qtbot, demo_db)
    try:
        qtbot.waitUntil(lambda: not window.inbox.ticket_held)  # painted, the ticket opened
        qtbot.waitUntil(lambda: window._live is not None and window._mail is not None)
        assert window.poll.isActive(), "other people's changes are polled"
        assert demo_db.waiter == window.waiting.wait_for_lock, "a wait for the lock is shown"
        assert window._files is None and window._resolver is None, "the rest waits for its first use"
        window.views.ask_save_view  # noqa: B018 - reached (and built) through the window, as an action does
        assert window._views is not None
    finally:
        window.poll.stop()
        window.close()


def test_every_action_is_in_a_menu_after_start(window):
    in_menus: set[str] = set()

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            elif not action.isSeparator():
                in_menus.add(action.objectName())

    for top in window.menuBar().actions():
        walk(top.menu())
    actions = {getattr(window, name).objectName() for name in dir(window) if name.startswith("act_")}
    assert actions - in_menus == set(), "actions with no menu"
    assert [a.text() for a in window.menuBar().actions()] == ["&File", "&Edit", "&View", "&Ticket", "&Help"]
    assert {a.objectName() for a in window.triage.menu_actions} <= in_menus, "the triage keys are in Ticket"


def test_following_the_system_scheme_leaves_the_style_alone(qtbot):
    """Start-up with the "system" scheme (the default) does not ask the
    application for its QStyle: its Python wrapper made 11 enums (QStyle's
    elements, metrics, …), ~5 ms of every start (issue 16, START). The
    platform's style and palette are kept when a scheme is first forced,
    and "system" goes back to them (test_appearance_and_laptop)."""
    from amends.ui.common import appearance

    if appearance._ORIGINAL.get("forced"):
        appearance.apply_scheme("system")  # an earlier test left a forced scheme: back to the platform's
    appearance._ORIGINAL.clear()  # as in a new process
    appearance.apply_scheme("system")
    assert appearance._ORIGINAL == {}, "the style was read though nothing was forced"
    original = appearance.QGuiApplication.palette().color(appearance.QPalette.ColorRole.Window).lightness()
    try:
        appearance.apply_scheme("dark")
        assert appearance.is_dark()
    finally:
        appearance.apply_scheme("system")
    assert appearance.QGuiApplication.palette().color(appearance.QPalette.ColorRole.Window).lightness() == original


def test_the_recent_files_list_is_written_after_the_first_paint(qtbot, demo_db):
    """Putting the file first in File → Open Recent rewrites the settings
    file (QSettings syncs as it goes): after the first paint, not before it
    (issue 16, START: 2–26 ms of the start, more on a busy disk)."""
    from amends.ui.shell import recent

    before = recent.entries()
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    try:
        assert recent.entries() == before, "written while the window was built"
        window.show()
        qtbot.waitUntil(lambda: window._tray is not None)  # right after the first paint
        assert recent.entries()[0] == str(demo_db.path.expanduser().absolute())
    finally:
        window.poll.stop()
        window.close()
