"""The ticket view suggests a category for a ticket no rule sorted: learnt
off the UI thread, one click to accept, never applied by itself."""

from __future__ import annotations

from amends.core import audit, tickets
from PySide6.QtCore import Qt


def test_a_suggestion_is_shown_and_accepted_in_one_click(qtbot, window):
    view = window.inbox.ticket_view
    ticket_id = tickets.create(window.db, "Help with my parcel", "The box arrived crushed and the contents spilled.")
    view.show_ticket(ticket_id)
    qtbot.waitUntil(lambda: view.suggestion_button.isVisible(), timeout=15_000)
    assert "Damaged shipment" in view.suggestion.text() and "crushed" in view.suggestion.text()
    assert tickets.get(window.db, ticket_id).category == "other", "shown, not applied"
    qtbot.mouseClick(view.suggestion_button, Qt.MouseButton.LeftButton)
    assert tickets.get(window.db, ticket_id).category == "damaged_shipment"
    assert not view.suggestion_button.isVisible()
    assert "suggestion_accepted" in [e.action for e in audit.for_entity(window.db, "ticket", ticket_id)]
    window.triage.undo_action.trigger()
    assert tickets.get(window.db, ticket_id).category == "other", "accepting is an ordinary, undoable edit"


def test_no_suggestion_for_a_ticket_with_a_category(qtbot, window):
    view = window.inbox.ticket_view
    ticket_id = tickets.create(window.db, "Help", "The box arrived crushed.", category="billing")
    view.show_ticket(ticket_id)
    qtbot.wait(200)
    assert not view.suggestion_button.isVisible() and not view.suggestion.isVisible()
