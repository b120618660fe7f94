"""Split a message and what follows into a new ticket from the inbox (Shift+M), undoable, linked."""

from __future__ import annotations

from amends.core import tickets

from tests.ui.inbox.test_triage import key


def test_split_from_the_inbox_undo_and_redo(qtbot, window):
    inbox, db = window.inbox, window.db
    ticket_id = next(tid for (tid,) in db.tuples(
        "SELECT ticket_id FROM messages GROUP BY ticket_id HAVING count(*) >= 3 ORDER BY ticket_id DESC"))
    assert inbox.select_ticket(ticket_id)
    inbox.table.setFocus()
    before = [m.id for m in tickets.messages(db, ticket_id)]
    key(qtbot, window, "Shift+M")
    dialog = window.triage.dialog
    assert dialog.objectName() == "splitDialog" and dialog.isVisible()
    key(qtbot, window, "Return")  # the first choice: the second message starts the new ticket
    new_id = db.scalar("SELECT id FROM tickets WHERE split_from = ?", (ticket_id,))
    assert [m.id for m in tickets.messages(db, new_id)] == before[1:]
    assert f"split into #{new_id}" in inbox.ticket_view.meta.text()
    assert inbox.select_ticket(new_id)
    assert f"split from #{ticket_id}" in inbox.ticket_view.meta.text()
    assert window.triage.stack.undoText() == f"split #{new_id} off #{ticket_id}"
    inbox.table.setFocus()
    key(qtbot, window, "Ctrl+Z")
    assert [m.id for m in tickets.messages(db, ticket_id)] == before
    assert inbox.model.row_of(new_id) is None, "joined back: out of the views"
    key(qtbot, window, "Ctrl+Shift+Z")
    assert [m.id for m in tickets.messages(db, new_id)] == before[1:]
    assert db.scalar("SELECT count(*) FROM audit_log WHERE entity_id IN (?, ?) AND action IN ('split', 'unsplit')",
                     (ticket_id, new_id)) == 5
