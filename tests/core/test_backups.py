"""Backups with the backup API, rolling backups, checked restores."""

from __future__ import annotations

import sqlite3

import pytest
from amends.core import backups, tickets
from amends.core.errors import AmendsError, DatabaseProblem, SchemaTooNew
from amends.core.workspace import open_database

from tests.conftest import ACTOR, make_ticket


def test_backup_while_another_connection_writes(db, tmp_path):
    make_ticket(db)
    other = db.reopen()
    other.conn.execute("BEGIN IMMEDIATE")
    other.conn.execute("INSERT INTO settings (key, value) VALUES ('uncommitted', 'x')")
    copy = backups.copy_to(db, tmp_path / "copy.db")
    other.conn.execute("ROLLBACK")
    other.close()
    assert backups.verify(copy) == 1
    with pytest.raises(Exception, match="exists"):
        backups.copy_to(db, copy)


def test_rolling_backups_once_a_day_and_pruned(db):
    make_ticket(db)
    first = backups.rolling(db)
    assert first is not None and first.parent == backups.folder_for(db.path)
    assert backups.rolling(db) is None, "one a day"
    backups.set_keep(db, 2)
    for _ in range(3):
        backups.make(db, "import")
    listed = backups.list_backups(db.path)
    assert len([b for b in listed if b.reason in ("daily", "import")]) == 2
    assert all(b.tickets == 1 for b in listed)
    backups.make(db, "manual")
    backups.prune(db)
    assert any(b.reason == "manual" for b in backups.list_backups(db.path)), "manual backups are never pruned"


def test_restore_checks_the_backup_and_keeps_a_safety_copy(db, db_path, tmp_path):
    first = make_ticket(db, subject="Before the backup")
    copy = backups.copy_to(db, tmp_path / "copy.db")
    make_ticket(db, subject="After the backup")
    db.close()
    with pytest.raises(AmendsError, match="--force"):
        backups.restore(db_path, copy)
    safety = backups.restore(db_path, copy, force=True, actor=ACTOR)
    restored = open_database(db_path, ACTOR)
    assert [r.subject for r in tickets.page(restored, tickets.InboxQuery(status="all"))[0]] == ["Before the backup"]
    assert tickets.get(restored, first).subject == "Before the backup"
    assert restored.scalar("SELECT count(*) FROM audit_log WHERE action = 'restore'") == 1
    assert safety is not None and backups.verify(safety) == 2
    restored.close()


def test_a_broken_backup_is_refused_and_nothing_changes(db, db_path, tmp_path):
    make_ticket(db)
    db.close()
    before = db_path.read_bytes()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DatabaseProblem, match="not an Amends database"):
        backups.restore(db_path, junk, force=True)
    damaged = tmp_path / "damaged.db"
    source = open_database(tmp_path / "src.db", ACTOR)
    for i in range(300):
        make_ticket(source, subject=f"ticket {i}", body="x" * 500)
    source.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source.conn.execute("PRAGMA journal_mode = DELETE")
    source.close()
    data = bytearray((tmp_path / "src.db").read_bytes())
    for offset in range(4096 * 20, 4096 * 30):
        data[offset] = 0xA5
    damaged.write_bytes(bytes(data))
    with pytest.raises(DatabaseProblem):
        backups.restore(db_path, damaged, force=True)
    future = tmp_path / "future.db"
    raw = sqlite3.connect(future)
    raw.execute("CREATE TABLE tickets (id INTEGER)")
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(SchemaTooNew):
        backups.restore(db_path, future, force=True)
    assert db_path.read_bytes() == before


def test_doctor_finds_and_rebuilds_a_broken_search_index(db):
    from amends.core import health

    first = make_ticket(db, subject="Crushed box", body="beans everywhere")
    tickets.add_message(db, first, "note", "carrier claim filed")
    second = make_ticket(db, subject="Late box")
    db.conn.execute("DELETE FROM ticket_search WHERE rowid = ?", (second,))
    db.conn.execute("INSERT INTO ticket_search (rowid, subject, body) VALUES (999, 'ghost', 'ghost')")
    report = health.check(db)
    assert not report.ok and report.repairable
    assert any("missing" in p for p in report.problems) and any("no longer exist" in p for p in report.problems)
    fixed = health.repair(db)
    assert fixed.ok and fixed.fixed and "rebuilt" in fixed.fixed[0]
    found = tickets.page(db, tickets.InboxQuery(status="all", text="claim"))[0]
    assert [r.id for r in found] == [first], "notes are searchable again"
    assert [r.id for r in tickets.page(db, tickets.InboxQuery(status="all", text="late"))[0]] == [second]


def test_drafts_are_per_person_and_cleared_when_empty(db):
    from amends.core import drafts

    ticket_id = make_ticket(db)
    drafts.save(db, ticket_id, "reply", "half a sentence")
    other = db.reopen()
    other.actor = "bob@laptop"
    assert drafts.load(other, ticket_id, "reply") is None, "drafts are per person"
    other.close()
    assert drafts.load(db, ticket_id, "reply") == "half a sentence"
    drafts.save(db, ticket_id, "reply", "   ")
    assert drafts.load(db, ticket_id, "reply") is None
    drafts.save(db, ticket_id, "checklist", "{not json")
    assert drafts.load_checklist(db, ticket_id) is None, "a damaged draft is ignored, not an error"
