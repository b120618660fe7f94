"""Where the inbox's keys reach: Return opens a ticket only in the ticket
list, Ctrl+Enter sends only from the composer, Esc goes back to the list only
from the ticket. PySide ignores the ``context=`` given to QShortcut with a
callable, so these were shortcuts of the whole window: Return in the search
box opened the ticket instead of searching, and Ctrl+Enter in the search box
mailed the composer's half-written reply. Real keys through Qt's shortcut map."""

from __future__ import annotations

from amends.core import tickets
from PySide6.QtWidgets import QApplication

from tests.ui.inbox.test_triage import key


def _type_in(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


def test_return_in_the_search_box_searches_and_opens_no_ticket(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(2)
    _type_in(qtbot, inbox.search)
    inbox.search.setText("is:nonsense")
    key(qtbot, window, "Return")
    assert not inbox.ticket_view.conversation.hasFocus(), "Return in the search box opened the ticket"
    assert inbox.search.hasFocus(), QApplication.focusWidget()
    assert inbox.search_problem.isVisibleTo(inbox), "the search was applied (and its mistake shown)"


def test_return_in_the_assignee_box_stays_there(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(2)
    field = inbox.ticket_view.assignee.lineEdit()
    _type_in(qtbot, field)
    key(qtbot, window, "Return")
    assert field.hasFocus(), QApplication.focusWidget()


def test_return_in_the_list_still_opens_the_ticket(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(2)
    _type_in(qtbot, inbox.table)
    key(qtbot, window, "Return")
    assert inbox.ticket_view.conversation.hasFocus()


def test_ctrl_enter_outside_the_composer_sends_nothing(qtbot, window):
    inbox, db = window.inbox, window.db
    inbox.table.selectRow(2)
    ticket_id = inbox.current_ticket_id()
    before = len(tickets.get(db, ticket_id).messages)
    inbox.ticket_view.composer.setPlainText("Half a reply, not for the customer yet")
    for shortcut in ("Ctrl+Return", "Ctrl+Shift+Return"):
        _type_in(qtbot, inbox.search)
        key(qtbot, window, shortcut)
        assert len(tickets.get(db, ticket_id).messages) == before, f"{shortcut} in the search box sent the draft"
    _type_in(qtbot, inbox.ticket_view.composer)
    key(qtbot, window, "Ctrl+Return")
    assert len(tickets.get(db, ticket_id).messages) == before + 1, "from the composer it sends"


def test_esc_in_the_search_box_keeps_the_search(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(2)
    assert inbox.ticket_view is not None
    _type_in(qtbot, inbox.search)
    key(qtbot, window, "Esc")
    assert inbox.search.hasFocus(), QApplication.focusWidget()
    _type_in(qtbot, inbox.ticket_view.composer)
    key(qtbot, window, "Esc")
    assert inbox.table.hasFocus(), "Esc in the ticket: back to the list"
