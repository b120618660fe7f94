"""The inbox: paged model, filters, search, the ticket view."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.core import tickets
from desktop.ui.inbox_model import InboxModel


def test_inbox_model_passes_qt_model_tester(qtmodeltester, demo_db):
    model = InboxModel(demo_db, page_size=40)
    model.set_query(tickets.InboxQuery(status="all"))
    model.fetchMore()
    qtmodeltester.check(model, force_py=True)  # it also fetches more and watches the inserts
    assert model.rowCount() >= 120


def test_model_pages_instead_of_loading_everything(demo_db):
    model = InboxModel(demo_db, page_size=50)
    model.set_query(tickets.InboxQuery(status="all"))
    assert model.rowCount() == 50 and model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 100
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 300
    ids = [model.ticket_id(r) for r in range(model.rowCount())]
    assert len(set(ids)) == 300


def test_views_and_filters_change_the_query(qtbot, window):
    inbox = window.inbox
    assert inbox.model.query.status == "active"
    active = inbox.model.rowCount()
    assert active > 0
    for row in range(active):
        assert inbox.model.data(inbox.model.index(row, 4)) in ("Open", "Pending")
    inbox.views.setCurrentItem(inbox.views.findItems("Resolved", Qt.MatchFlag.MatchExactly)[0])
    assert inbox.model.query.status == "resolved"
    assert inbox.status.currentData() == "resolved"
    index = inbox.category.findData("billing")
    inbox.category.setCurrentIndex(index)
    inbox.category.activated.emit(index)
    assert inbox.model.query.category == "billing"
    for row in range(inbox.model.rowCount()):
        assert inbox.model.data(inbox.model.index(row, 3)) == "Billing"


def test_search_box_searches_as_you_type(qtbot, window):
    inbox = window.inbox
    inbox.views.setCurrentRow(5)  # All tickets
    qtbot.keyClicks(inbox.search, "crush")
    qtbot.waitUntil(lambda: inbox.model.query.text == "crush", timeout=2000)
    assert inbox.model.rowCount() > 0
    for row in range(inbox.model.rowCount()):
        ticket = tickets.get(window.db, inbox.model.ticket_id(row))
        text = (ticket.subject + " ".join(m.body for m in ticket.messages)).lower()
        assert "crush" in text
    inbox.search.clear()
    qtbot.keyClicks(inbox.search, 'NEAR( "')
    qtbot.waitUntil(lambda: inbox.model.query.text == 'NEAR( "', timeout=2000)
    assert "No tickets match" in inbox.hint.text()


def test_selecting_a_ticket_shows_conversation_and_customer(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    ticket_id = inbox.current_ticket_id()
    view = inbox.ticket_view
    assert view.ticket.id == ticket_id
    ticket = tickets.get(window.db, ticket_id)
    assert ticket.messages[0].body.splitlines()[0] in view.conversation.toPlainText()
    assert "Now in billing cycle" in view.customer.toPlainText()
    assert "Policy:" in view.policy.text()


def test_reply_and_note_are_stored(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    view = inbox.ticket_view
    ticket_id = view.ticket.id
    qtbot.keyClicks(view.composer, "We are sending a new box today.")
    qtbot.mouseClick(view.reply_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.composer, "Warehouse confirmed.")
    qtbot.keyClick(view.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    last_two = [(m.direction, m.body, m.author) for m in tickets.get(window.db, ticket_id).messages[-2:]]
    assert last_two == [("out", "We are sending a new box today.", "tester@host"),
                        ("note", "Warehouse confirmed.", "tester@host")]
    assert view.composer.toPlainText() == ""
    assert "Warehouse confirmed." in view.conversation.toPlainText()


def test_field_edits_are_saved_and_shown_in_the_list(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    view = inbox.ticket_view
    ticket_id = view.ticket.id
    index = view.priority.findData(3)
    view.priority.setCurrentIndex(index)
    view.priority.activated.emit(index)
    assert tickets.get(window.db, ticket_id).priority == 3
    row = inbox.model.row_of(ticket_id)
    assert inbox.model.data(inbox.model.index(row, 5)) == "Urgent"


def test_changes_by_another_connection_appear_and_keep_the_selection(qtbot, window):
    inbox = window.inbox
    inbox.views.setCurrentRow(0)
    inbox.table.selectRow(2)
    selected = inbox.current_ticket_id()
    other = window.db.reopen()
    other.actor = "bob@laptop"
    new_id = tickets.create(other, "Brand new ticket from Bob's machine", "hello")
    other.close()
    window.check_for_changes()
    assert inbox.model.row_of(new_id) == 0
    assert inbox.current_ticket_id() == selected
