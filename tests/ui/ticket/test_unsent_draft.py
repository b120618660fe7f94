"""Resolving with an unsent reply asks: send it, keep it as a draft, or discard it
(the save offer the checklist put in the composer was easy to lose)."""

from __future__ import annotations

from amends.core import drafts, tickets


def _open_ticket(window) -> int:
    inbox = window.inbox
    row = next(r for r in range(inbox.model.rowCount()) if inbox.model._rows[r].status == "open")
    inbox.table.selectRow(row)
    return inbox.current_ticket_id()


def test_resolve_asks_and_keep_as_draft_keeps_it(qtbot, window):
    ticket_id = _open_ticket(window)
    view = window.inbox.ticket_view
    view.composer.setPlainText("We can offer 15 % off your next box.")
    assert view.has_unsent_draft()
    assert window.resolver.resolve_selection() == []
    box = window.resolver.draft_box
    assert box.isVisible() and "has a reply you have not sent" in box.text()
    box.findChild(type(box.buttons()[0]), "keepDraft").click()
    assert drafts.load(window.db, ticket_id, "reply") == "We can offer 15 % off your next box."
    assert window.checklist_dialog is not None and window.checklist_dialog.isVisible(), "then the checklist"
    window.checklist_dialog.reject()


def test_send_from_the_question_after_the_checklist_resolved(qtbot, window):
    ticket_id = _open_ticket(window)
    view = window.inbox.ticket_view
    before = len(tickets.get(window.db, ticket_id).messages)
    window.resolver._resolve_now([ticket_id])  # the checklist first, as when the offer comes from it
    dialog = window.checklist_dialog
    view.composer.setPlainText("Your replacement ships today.")
    for row in dialog.rows:
        if row.done.isEnabled():
            row.done.setChecked(True)
    for row in dialog.rows:
        if not row.done.isChecked() and hasattr(row, "reason"):
            row.reason.setText("not needed")
    assert dialog.resolve_button.isEnabled(), dialog.problems.text()
    dialog.resolve_button.click()
    qtbot.waitUntil(lambda: window.resolver.draft_box is not None and window.resolver.draft_box.isVisible())
    assert tickets.get(window.db, ticket_id).status == "resolved"
    window.resolver.draft_box.findChild(type(window.resolver.draft_box.buttons()[0]), "sendDraft").click()
    stored = tickets.get(window.db, ticket_id).messages
    assert len(stored) == before + 1 and stored[-1].body == "Your replacement ships today."
    assert stored[-1].direction == "out"


def test_discard_throws_the_text_away(qtbot, window):
    ticket_id = _open_ticket(window)
    view = window.inbox.ticket_view
    view.composer.setPlainText("never mind")
    view.save_draft()
    window.resolver.resolve_selection()
    box = window.resolver.draft_box
    box.findChild(type(box.buttons()[0]), "discardDraft").click()
    assert not view.has_unsent_draft() and drafts.load(window.db, ticket_id, "reply") in (None, "")
    window.checklist_dialog.reject()
