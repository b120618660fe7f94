"""One resolve flow for one ticket and for a selection: grouped by policy
version, and every ticket checked against the version the checklist was
shown for — someone else's change in between is a conflict, never
overwritten. The unfinished checklist is saved on a short delay."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from amends.core import drafts, tickets

ROOT = Path(__file__).resolve().parents[3]


def edit_from_another_process(path: Path, ticket_id: int) -> None:
    """Ben, in another app instance on the same file, raises the priority."""
    code = ("import sys; from amends.core.store import Database; from amends.core import tickets\n"
            "db = Database.open(sys.argv[1], 'Ben Carter', create=False)\n"
            "t = tickets.get(db, int(sys.argv[2])); tickets.update(db, t.id, t.version, priority=3); db.close()\n")
    subprocess.run([sys.executable, "-c", code, str(path), str(ticket_id)], cwd=ROOT, check=True, timeout=60)


def open_tickets(db, category: str, count: int) -> list[int]:
    return [r[0] for r in db.tuples("SELECT id FROM tickets WHERE status <> 'resolved' AND category = ? "
                                    "ORDER BY id DESC LIMIT ?", (category, count))]


def tick_everything(dialog) -> None:
    for row in dialog.rows:
        row.done.setChecked(True)
    assert dialog.resolve_button.isEnabled(), dialog.problems.text()


def test_a_ticket_someone_else_changed_in_a_selection_is_a_conflict_not_overwritten(qtbot, window):
    db, inbox = window.db, window.inbox
    ids = open_tickets(db, "late_delivery", 3)
    inbox.show_ids("test", ids)
    inbox.table.selectAll()
    window.act_resolve.trigger()
    dialog = window.checklist_dialog
    assert sorted(dialog.ticket_ids) == sorted(ids)
    changed = next(t for t in ids if t != dialog.checklist.ticket_id)  # not the one whose checklist is shown
    edit_from_another_process(db.path, changed)
    tick_everything(dialog)
    dialog.accept()
    assert tickets.get(db, changed).status != "resolved", "their change is not overwritten by my resolve"
    assert tickets.get(db, changed).priority == 3
    assert {tickets.get(db, t).status for t in ids if t != changed} == {"resolved"}
    [(ticket_id, reason)] = dialog.failures
    assert ticket_id == changed and "Ben Carter" in reason
    assert f"#{changed}" in window.statusBar().currentMessage()


def test_the_first_ticket_of_a_selection_is_checked_too(qtbot, window):
    db, inbox = window.db, window.inbox
    ids = open_tickets(db, "late_delivery", 2)
    inbox.show_ids("test", ids)
    inbox.table.selectAll()
    dialog = window.resolver.resolve_selection()[0]
    edit_from_another_process(db.path, dialog.checklist.ticket_id)
    tick_everything(dialog)
    dialog.accept()
    assert tickets.get(db, dialog.checklist.ticket_id).status != "resolved"
    assert [t for t, _reason in dialog.failures] == [dialog.checklist.ticket_id]
    assert tickets.get(db, next(t for t in ids if t != dialog.checklist.ticket_id)).status == "resolved"


def test_one_ticket_goes_through_the_same_flow(qtbot, window):
    db = window.db
    [ticket_id] = open_tickets(db, "late_delivery", 1)
    dialog = window.resolve_ticket(ticket_id)
    assert dialog.ticket_ids == [ticket_id] and not dialog.also
    edit_from_another_process(db.path, ticket_id)
    tick_everything(dialog)
    dialog.accept()
    assert dialog.isVisible() and "Ben Carter" in dialog.problems.text(), "one ticket: the dialog stays and says why"
    assert tickets.get(db, ticket_id).status != "resolved"


def test_the_checklist_draft_is_saved_on_a_short_delay_not_per_keystroke(qtbot, window):
    db = window.db
    [ticket_id] = open_tickets(db, "late_delivery", 1)
    dialog = window.resolve_ticket(ticket_id)
    before = db.conn.total_changes
    dialog.rows[0].done.setChecked(True)
    qtbot.keyClicks(dialog.rows[1].reason, "customer asked us not to")
    assert db.conn.total_changes == before, "nothing written while typing"
    assert drafts.load_checklist(db, ticket_id) is None
    qtbot.waitUntil(lambda: drafts.load_checklist(db, ticket_id) is not None, timeout=3000)
    saved = drafts.load_checklist(db, ticket_id)
    assert saved["steps"]["0"]["done"] and saved["steps"]["1"]["reason"] == "customer asked us not to"
    assert db.conn.total_changes - before <= 2, "one save for the whole burst"
    dialog.reject()
    assert drafts.load_checklist(db, ticket_id) is None
