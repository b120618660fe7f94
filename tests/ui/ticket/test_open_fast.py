"""Opening a long ticket reads and draws only what is shown (issue 16: a
ticket with 50 messages and 10 files opens within 2x its raw queries and is
painted within ~100 ms). Counted, not timed: the statements the view runs on
a real database file (sqlite3's trace callback) and what it decodes."""

from __future__ import annotations

import pytest
from amends.core import attachments, tickets
from amends.ui.ticket.attachments_view import THUMB, AttachmentImages
from amends.ui.ticket.ticket_view import TicketView
from PySide6.QtCore import QUrl

from tests.helpers import statements


def _statements(db, fn) -> list[str]:
    return statements(db, fn)


@pytest.fixture
def long_ticket(db):
    """A ticket with a conversation, a few changes in its history and a
    "photo" whose bytes are not an image (a broken or truncated mail part)."""
    ticket_id = tickets.create(db, "The box arrived crushed", "The box arrived crushed.", category="damaged_shipment")
    first = db.scalar("SELECT id FROM messages WHERE ticket_id = ?", (ticket_id,))
    for n in range(6):
        tickets.add_message(db, ticket_id, ("out", "in", "note")[n % 3], f"Message {n}: about the box.")
    tickets.update(db, ticket_id, tickets.get(db, ticket_id).version, priority=3)
    with db.transaction() as conn:
        attachments.store(conn, first, [attachments.Incoming("photo.jpg", "image/jpeg", b"\x00\x01 not an image " * 90)],
                          attachments.DEFAULT_LIMIT)
    return ticket_id


def test_a_file_that_cannot_be_drawn_is_read_from_the_database_once(db, long_ticket):
    """Qt asks for an image again at every layout and paint when it got
    none; the broken photo's bytes were read (and decoding tried) each time."""
    photo = attachments.for_ticket(db, long_ticket)[db.scalar("SELECT min(id) FROM messages")][0]
    images = AttachmentImages(db)
    url = QUrl(f"{THUMB}:{photo.id}")
    assert images.image(url) is None
    again = _statements(db, lambda: images.image(url))
    assert images.image(url) is None
    assert not again, f"asked again, the database was read again: {again}"


def test_opening_a_ticket_reads_its_history_only_when_the_history_tab_is_shown(qtbot, db, long_ticket):
    view = TicketView(db)
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    opened = _statements(db, lambda: view.show_ticket(long_ticket))
    assert view.ticket is not None and view.ticket.id == long_ticket
    assert not [s for s in opened if "audit_log" in s], "the hidden History tab's log was read on opening"
    assert "Message 5" in view.conversation.toPlainText()

    view.tabs.setCurrentWidget(view.history)
    shown = view.history.toPlainText()
    assert "priority: 1 → 3" in shown and "reply" in shown and "create" in shown

    # With the History tab in front, a change shows there at once (reload re-reads it).
    tickets.add_message(db, long_ticket, "note", "checked the warehouse")
    view.reload()
    assert shown != view.history.toPlainText() and "note" in view.history.toPlainText().split("priority")[0]

    # Back on the conversation, another ticket opens without its log; its history is its own when shown.
    view.tabs.setCurrentWidget(view.conversation)
    other = tickets.create(db, "Wrong beans", "I ordered decaf.", category="wrong_item")
    opened = _statements(db, lambda: view.show_ticket(other))
    assert not [s for s in opened if "audit_log" in s]
    view.tabs.setCurrentWidget(view.history)
    assert "priority" not in view.history.toPlainText() and "create" in view.history.toPlainText()


def test_a_refresh_that_changes_nothing_in_the_conversation_keeps_it_as_it_is(qtbot, db, long_ticket):
    """Someone else changes a field: the ticket is reloaded, and the 50
    messages were parsed and laid out again, losing the text the person had
    selected to copy. An unchanged conversation (and sidebar) is kept."""
    view = TicketView(db)
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    view.show_ticket(long_ticket)
    view.conversation.selectAll()
    assert view.conversation.textCursor().hasSelection()
    tickets.update(db, long_ticket, tickets.get(db, long_ticket).version, priority=1)
    view.reload()
    assert view.priority.currentData() == 1, "the change is shown"
    assert view.conversation.textCursor().hasSelection(), "the conversation was rebuilt though nothing in it changed"

    tickets.add_message(db, long_ticket, "in", "Any news about the replacement?")
    view.reload()
    assert "Any news about the replacement?" in view.conversation.toPlainText()
