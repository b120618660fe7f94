"""The inbox is painted first, the selected ticket opened right after it
(issue 16: opening a ticket — conversation, sidebar, policy, reply states —
cost tens of milliseconds of every start, before anything was on screen)."""

from __future__ import annotations

from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QEvent, QObject


class _AtFirstPaint(QObject):
    """Notes what the ticket view showed when the list was first painted."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window, self.seen = window, []
        window.inbox.table.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint and not self.seen:
            self.seen.append(self.window.inbox.ticket_view.ticket)
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
