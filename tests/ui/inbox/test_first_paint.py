"""The inbox is painted first, the selected ticket opened right after it
(issue 16: opening a ticket — conversation, sidebar, policy, reply states —
cost tens of milliseconds of every start, before anything was on screen)."""

from __future__ import annotations

from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import SIGNAL, QEvent, QObject


class _AtFirstPaint(QObject):
    """Notes what the ticket view showed when the list was first painted."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window, self.seen = window, []
        window.inbox.table.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint and not self.seen:
            view = self.window.inbox.built_ticket_view  # not even built yet (issue 16)
            self.seen.append(view if view is None else view.ticket)
        return False


def test_the_selected_ticket_opens_right_after_the_first_paint(qtbot, demo_db):
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    probe = _AtFirstPaint(window)
    window.show()
    qtbot.waitUntil(lambda: bool(probe.seen), timeout=5000)
    assert probe.seen == [None], "nothing was opened before the inbox was painted"
    qtbot.waitUntil(lambda: window.inbox.ticket_view.ticket is not None, timeout=5000)
    assert window.inbox.ticket_view.ticket.id == window.inbox.current_ticket_id(), "then the selected ticket"
    assert not window.inbox.ticket_held
    window.poll.stop()
    window.close()


def test_a_ticket_asked_for_before_the_paint_opens_at_once(qtbot, demo_db):
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    wanted = window.inbox.model.ticket_id(1)
    assert window.inbox.select_ticket(wanted)
    assert window.inbox.ticket_view.ticket is not None and window.inbox.ticket_view.ticket.id == wanted
    window.poll.stop()
    window.close()


def test_an_inbox_pane_on_its_own_opens_a_ticket_as_before(qtbot, demo_db):
    from amends.ui.inbox.inbox_pane import InboxPane

    pane = InboxPane(demo_db)
    qtbot.addWidget(pane)
    pane.table.selectRow(0)
    shown = pane.current_ticket_id()
    assert pane.ticket_view.ticket is not None and pane.ticket_view.ticket.id == shown
    qtbot.waitUntil(lambda: not pane.model.is_unread(shown))  # and read, as before (its worker done)


def test_the_ticket_view_is_built_after_the_first_paint_where_the_splitters_left_it(qtbot, demo_db):
    """The ticket view's modules and widgets wait for the first paint (a
    fifth of every start, issue 16); built then, it takes its place in the
    splitter with the sizes the person left, its own splitter too, and the
    window's connections (the composer's send) are made to it."""
    from amends import settings_schema as schema
    from amends.ui.common import settings

    first = MainWindow(demo_db)
    qtbot.addWidget(first)
    first.resize(1400, 800)
    first.show()
    qtbot.waitUntil(lambda: not first.inbox.ticket_held)
    first.inbox.splitter.setSizes([180, 900, 320])
    first.inbox.ticket_view.splitter.setSizes([500, 200])
    wanted, inner = first.inbox.splitter.sizes(), first.inbox.ticket_view.splitter.sizes()
    first.poll.stop()
    first.close()

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.resize(1400, 800)
    assert window.inbox.built_ticket_view is None, "built before the window was even shown"
    window.show()
    qtbot.waitUntil(lambda: window.inbox.built_ticket_view is not None and not window.inbox.ticket_held)
    view = window.inbox.built_ticket_view
    assert window.inbox.splitter.widget(2) is view and window.inbox.splitter.count() == 3
    assert window.inbox.splitter.sizes() == wanted and view.splitter.sizes() == inner
    assert settings.get(schema.TICKET_SPLITTER) is not None
    for signal in ("reply_stored(int)", "send_requested()", "mailbox_setup_requested()"):
        assert view.receivers(SIGNAL(signal)) >= 1, f"the window is not connected to {signal}"
    window.poll.stop()
    window.close()
