"""Working on one file with others: presence, taking tickets, replies
overtaken, conflicting drafts, waiting for another writer."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from amends.core import policies, presence, tickets
from PySide6.QtCore import Qt

ROOT = Path(__file__).resolve().parents[3]


def other_person(window, name="bob@laptop"):
    other = window.db.reopen()
    other.actor = name
    return other


def test_presence_of_others_shows_in_the_ticket_view_and_the_inbox(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    ticket_id = inbox.current_ticket_id()
    bob = other_person(window)
    presence.beat(bob, "bob-instance", ticket_id, "replying")
    window.check_for_changes()
    assert inbox.ticket_view.others.isVisible()
    assert "bob@laptop is replying" in inbox.ticket_view.others.text()
    row = inbox.model.row_of(ticket_id)
    assert inbox.model.data(inbox.model.index(row, inbox.model.column_of("now"))) == "bob@laptop (replying)"
    presence.leave(bob, "bob-instance")
    window.check_for_changes()
    assert not inbox.ticket_view.others.isVisible()
    stale = "2000-01-01T00:00:00Z"
    presence.beat(bob, "crashed-instance", ticket_id, "viewing", at=stale)
    window.check_for_changes()
    assert not inbox.ticket_view.others.isVisible(), "a crashed instance's entry has expired"
    bob.close()


def test_my_heartbeat_tells_others_what_i_do(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    ticket_id = inbox.current_ticket_id()
    qtbot.keyClicks(inbox.ticket_view.composer, "Hi")
    bob = other_person(window)
    seen = presence.others(bob, "bob-instance")
    assert [(p.actor, p.ticket_id, p.activity) for p in seen] == [("tester@host", ticket_id, "replying")]
    window.close()
    assert presence.others(bob, "bob-instance") == [], "closing the window leaves"
    bob.close()


def test_take_is_atomic_and_says_who_was_first(qtbot, window, monkeypatch):
    inbox = window.inbox
    view = inbox.ticket_view
    ticket_id = tickets.create(window.db, "Nobody's ticket", "hi")
    inbox.show_query(inbox.current_query())
    inbox.select_ticket(ticket_id)
    bob = other_person(window)
    tickets.take(bob, ticket_id)
    shown = []
    monkeypatch.setattr("amends.ui.ticket.fields.show_error", lambda parent, error, *a: shown.append(str(error)))
    view.take()
    assert shown == [f"bob@laptop has already taken ticket {ticket_id}."]
    assert tickets.get(window.db, ticket_id).assignee == "bob@laptop"
    mine = tickets.create(window.db, "Mine to take", "hi")
    inbox.show_query(inbox.current_query())
    inbox.select_ticket(mine)
    window.act_take.trigger()
    assert tickets.get(window.db, mine).assignee == "tester@host"
    bob.close()


def test_a_reply_overtaken_by_someone_else_asks_first(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    view = inbox.ticket_view
    ticket_id = view.ticket.id
    qtbot.keyClicks(view.composer, "We will send a new box.")
    bob = other_person(window)
    tickets.add_message(bob, ticket_id, "out", "Already sent you a new box!")
    bob.close()
    before = len(tickets.get(window.db, ticket_id).messages)
    qtbot.mouseClick(view.reply_button, Qt.MouseButton.LeftButton)
    box = view.composing.overtaken_box
    assert box.isVisible() and "Already sent you a new box!" in box.text() and "bob@laptop" in box.text()
    assert len(tickets.get(window.db, ticket_id).messages) == before, "nothing sent yet"
    box.buttons()[[b.text() for b in box.buttons()].index("Don't send")].click()
    assert view.composer.toPlainText() == "We will send a new box.", "the draft is kept"
    qtbot.mouseClick(view.reply_button, Qt.MouseButton.LeftButton)
    assert len(tickets.get(window.db, ticket_id).messages) == before + 1, "seen now: sent without asking"


def test_conflicting_draft_save_offers_reload_or_keep_mine(qtbot, window):
    window.act_policies.trigger()
    editor = window.policies.editor
    policy_id = editor.policy.id
    bob = other_person(window)
    theirs = policies.get(bob, policy_id)
    policies.save_draft(bob, policy_id, theirs.version, name=theirs.name, category=theirs.category,
                        segment=theirs.segment, steps=[*theirs.draft, policies.Step("survey")])
    bob.close()
    editor.name.setText(editor.name.text() + " (mine)")
    editor.name.textEdited.emit(editor.name.text())
    editor.save_button.click()
    box = editor.conflict_box
    assert box.isVisible() and "bob@laptop" in box.text() and "Survey" in box.text()
    box.buttons()[[b.text() for b in box.buttons()].index("Keep mine")].click()
    stored = policies.get(window.db, policy_id)
    assert stored.name.endswith("(mine)") and stored.updated_by == "tester@host"


def test_waiting_for_another_writer_is_visible_and_can_be_stopped(qtbot, window, tmp_path, monkeypatch):
    ready, release = tmp_path / "ready", tmp_path / "release"
    # held until released (60 s at most), not for a fixed 3 s: no wait for the rest once stopped, and a loaded
    # machine cannot let the lock go before the notice shows
    proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.lock_holder", str(window.db.path), "60", str(ready),
                             str(release)], cwd=ROOT)
    while not ready.exists():
        assert proc.poll() is None
        time.sleep(0.02)
    inbox = window.inbox
    inbox.table.selectRow(0)
    view = inbox.ticket_view
    ticket_id = view.ticket.id
    before = len(tickets.get(window.db, ticket_id).messages)
    seen = []

    def stop_after_the_label_shows(elapsed: float) -> bool:
        keep = window.waiting.wait_for_lock(elapsed)
        if window.waiting.label.isVisible() and not seen:
            seen.append(elapsed)
            window.waiting.cancel.click()
        return keep

    window.db.waiter = stop_after_the_label_shows
    errors = []
    monkeypatch.setattr("amends.ui.ticket.composer.show_error", lambda parent, error, *a: errors.append(str(error)))
    view.composer.setPlainText("note while locked")
    view.composing.send("note")
    assert proc.poll() is None, "the lock was held all the while"
    release.touch()
    proc.wait(10)
    assert seen and seen[0] >= 1.0
    assert errors and "nothing was saved" in errors[0]
    assert len(tickets.get(window.db, ticket_id).messages) == before
    assert view.composer.toPlainText() == "note while locked", "the text is not lost"
    assert not window.waiting.label.isVisible()


def test_the_waiting_notice_goes_away_when_the_lock_is_free(qtbot, window, tmp_path):
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.lock_holder", str(window.db.path), "1.6", str(ready)],
                            cwd=ROOT)
    while not ready.exists():
        time.sleep(0.02)
    window.inbox.table.selectRow(0)
    view = window.inbox.ticket_view
    view.composer.setPlainText("saved after the wait")
    view.composing.send("note")
    proc.wait(10)
    assert tickets.get(window.db, view.ticket.id).messages[-1].body == "saved after the wait"
    assert window.waiting.label.isVisible(), "it was shown while waiting"
    qtbot.waitUntil(lambda: not window.waiting.label.isVisible(), timeout=3000)


def test_first_run_identity_dialog(qtbot, monkeypatch, tmp_path):
    from amends.core import identity
    from amends.ui.shell.identity_dialog import IdentityDialog

    monkeypatch.setenv("AMENDS_HOME", str(tmp_path / "home"))
    assert not identity.is_set()
    dialog = IdentityDialog(identity.load())
    qtbot.addWidget(dialog)
    assert "@" in dialog.name.text(), "defaults to user@host"
    dialog.name.clear()
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.name, "Ana  Ruiz")
    dialog.findChild(type(dialog.roles.buttons()[0]), "role_relations").setChecked(True)
    chosen = dialog.identity()
    assert (chosen.display_name, chosen.role) == ("Ana Ruiz", "relations")
    identity.save(chosen)
    assert identity.is_set() and identity.load().role == "relations"


def test_relations_role_starts_in_the_review_pane(qtbot, demo_db):
    from amends.ui.shell.main_window import MainWindow

    window = MainWindow(demo_db, role="relations")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window._review, timeout=3000)


def test_a_database_in_a_sync_folder_is_warned_about(qtbot, tmp_path):
    from amends.core.workspace import open_database
    from amends.ui.shell.main_window import MainWindow

    folder = tmp_path / "Dropbox" / "shop"
    folder.mkdir(parents=True)
    db = open_database(folder / "amends.db", "tester@host")
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.location_warning.isVisible, timeout=3000)
    assert "Dropbox" in window.location_warning.text()
    assert "shared-memory journal (local disk)" in window.status_label.text()
    window.close()
    db.close()
