"""Issue 11 point 3: a restore (by a real `amends restore` process, or from
this window's own Restore dialog) tells the open window: it says who
restored and when, forgets its undo stack (those records hold pre-restore
versions), shows the restored data, and does not write stale versions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from amends.core import backups, tickets

ROOT = Path(__file__).resolve().parents[3]


def amends(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "amends", "--db", str(db_path), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def _by_creation(window) -> None:
    """Sorted by creation, the edited ticket keeps its row through the restore."""
    sort = window.inbox.sort
    sort.setCurrentIndex(sort.findData("created"))
    window.inbox.apply_filters()


def _priority_shown(window, ticket_id: int) -> int:
    model = window.inbox.model
    return model._rows[model.row_of(ticket_id)].priority


def test_restore_by_another_process_is_shown_and_drops_the_undo_stack(qtbot, window, tmp_path):
    db = window.db
    backup = tmp_path / "before.db"
    amends(db.path, "backup", str(backup))
    _by_creation(window)
    window.inbox.table.selectRow(0)
    first = window.inbox.current_ticket_id()
    before = tickets.get(db, first, with_messages=False)
    changed_to = 3 if before.priority != 3 else 0
    assert window.triage.set_field("priority", changed_to, [first]) is not None
    assert window.triage.stack.count() == 1 and _priority_shown(window, first) == changed_to
    assert not window.banners.restored.isVisible()

    amends(db.path, "restore", str(backup), "--force")
    window.check_for_changes()  # the poll's next tick

    entry = backups.last_restore(db)
    assert entry is not None
    banner = window.banners.restored
    assert banner.isVisible(), "the window says the file was restored"
    assert entry.actor in banner.text() and "Restored from a backup" in banner.text()
    assert window.triage.stack.count() == 0, "undo records hold pre-restore versions: gone"
    assert not window.triage.undo_action.isEnabled()
    assert _priority_shown(window, first) == before.priority, "the list shows the restored data"
    view = window.inbox.ticket_view
    assert view.ticket is not None and view.ticket.id == first
    restored = tickets.get(db, first, with_messages=False)
    assert view.ticket.version == restored.version and view.ticket.priority == before.priority

    window.triage.undo_action.trigger()  # nothing to undo: the restored data stays
    assert tickets.get(db, first, with_messages=False).priority == before.priority
    # an edit made now starts from the restored ticket, not from what this window held before
    index = view.priority.findData(changed_to)
    view.priority.setCurrentIndex(index)
    view.priority.activated.emit(index)
    after = tickets.get(db, first, with_messages=False)
    assert after.priority == changed_to and after.version == restored.version + 1
    assert window.banners.restored.isVisible(), "the banner stays until dismissed"


def test_the_apps_own_restore_goes_through_the_same_handler(qtbot, window):
    op = window.files.rolling_backup()
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    _by_creation(window)
    window.inbox.table.selectRow(0)
    first = window.inbox.current_ticket_id()
    before = tickets.get(window.db, first, with_messages=False)
    window.triage.set_field("priority", 3 if before.priority != 3 else 0, [first])
    assert window.triage.stack.count() == 1
    dialog = window.files.open_restore()
    restore = dialog.restore(dialog.selected())
    qtbot.waitUntil(lambda: restore.done, timeout=10_000)
    assert window.triage.stack.count() == 0
    assert window.banners.restored.isVisible() and window.db.actor in window.banners.restored.text()
    assert _priority_shown(window, first) == before.priority
    dialog.reject()
    window.check_for_changes()  # the poll sees the same restore: handled once, nothing breaks
    assert window.triage.stack.count() == 0


def test_the_restore_banner_can_be_dismissed(qtbot, window, tmp_path):
    backup = tmp_path / "b.db"
    amends(window.db.path, "backup", str(backup))
    amends(window.db.path, "restore", str(backup), "--force")
    window.check_for_changes()
    assert window.banners.restored.isVisible()
    window.banners.restored.linkActivated.emit("dismiss")
    assert not window.banners.restored.isVisible()


def test_two_windows_one_restores_the_other_follows(qtbot, window):
    """Two windows on one file (two connections): the second restores from
    its Backups dialog; the first says so, with the second's name."""
    from amends.core.workspace import open_database
    from amends.ui.shell.main_window import MainWindow

    backups.make(window.db, "manual")
    _by_creation(window)
    window.inbox.table.selectRow(0)
    first = window.inbox.current_ticket_id()
    before = tickets.get(window.db, first, with_messages=False)
    window.triage.set_field("priority", 3 if before.priority != 3 else 0, [first])
    other_db = open_database(window.db.path, "Ben Carter")
    other = MainWindow(other_db)
    qtbot.addWidget(other)
    other.show()
    other.poll.stop()
    other.backup_timer.stop()
    try:
        dialog = other.files.open_restore()
        restore = dialog.restore(dialog.selected())
        qtbot.waitUntil(lambda: restore.done, timeout=10_000)
        assert other.banners.restored.isVisible()
        dialog.reject()
        window.check_for_changes()
        assert window.banners.restored.isVisible() and "Ben Carter" in window.banners.restored.text()
        assert window.triage.stack.count() == 0
        assert _priority_shown(window, first) == before.priority
    finally:
        other.close()
        other_db.close()


def test_after_a_restore_the_policy_editor_shows_the_restored_policy(qtbot, window, tmp_path):
    """A clean editor reloads from the restored file (a plain refresh
    re-reads the list only, and the editor kept the pre-restore draft)."""
    from amends.core import policies

    db = window.db
    backup = tmp_path / "policies.db"
    amends(db.path, "backup", str(backup))
    pane = window.policies
    window.show_pane(1)
    pane.table.selectRow(0)
    policy = policies.get(db, pane.editor.policy.id)
    policies.save_draft(db, policy.id, policy.version, name=policy.name + " (renamed)", category=policy.category,
                        segment=policy.segment, steps=policy.draft, plan=policy.plan)
    pane.editor.load(policy.id)
    assert pane.editor.name.text() == policy.name + " (renamed)"
    amends(db.path, "restore", str(backup), "--force")
    window.check_for_changes()
    assert pane.editor.name.text() == policy.name
    assert pane.editor.policy.version == policies.get(db, policy.id).version
