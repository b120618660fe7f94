"""Backups with the backup API, rolling backups, checked restores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from amends.core import backups, tickets, writers
from amends.core.errors import AmendsError, DatabaseProblem, SchemaTooNew
from amends.core.store.schema import CURRENT_VERSION
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


# -- issue 11: restore, backups, private files --------------------------------

def _subjects(path) -> set[str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT subject FROM tickets")}
    finally:
        conn.close()


def _beside(folder) -> list[str]:
    """Names in ``folder`` that are not finished database files."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith((".db", ".bak")))


def test_restore_takes_a_backup_of_any_page_size(db, db_path, tmp_path):
    make_ticket(db, subject="Kept in the backup")
    copy = backups.copy_to(db, tmp_path / "copy.db")
    raw = sqlite3.connect(copy, isolation_level=None)
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.execute("PRAGMA page_size = 8192")
    raw.execute("VACUUM")
    assert raw.execute("PRAGMA page_size").fetchone()[0] == 8192
    raw.close()
    make_ticket(db, subject="Written after the backup")
    backups.restore(db_path, copy, force=True, actor=ACTOR)  # db stays open: the file is in use, in WAL mode
    assert {r.subject for r in tickets.page(db, tickets.InboxQuery(status="all"))[0]} == {"Kept in the backup"}
    assert db.scalar("PRAGMA page_size") == 4096, "the live file keeps its own page size"
    assert db.scalar("PRAGMA integrity_check") == "ok"


def test_restore_tells_open_connections_and_records_itself_in_the_same_transaction(db, db_path, tmp_path):
    make_ticket(db, subject="Before")
    copy = backups.copy_to(db, tmp_path / "copy.db")
    make_ticket(db, subject="After")
    watch = backups.ReplacementWatch(db)
    assert backups.generation(db) == 0
    make_ticket(db, subject="An ordinary change")
    other = db.reopen()
    tickets.create(other, "Another window's change", "x")
    assert not watch.replaced(), "ordinary writes are not a restore"
    safety = backups.restore(db_path, copy, force=True, actor=ACTOR)
    assert watch.replaced(), "an open connection learns that its file was replaced"
    assert not watch.replaced(), "once"
    told = backups.last_restore(other)
    assert told is not None and told.actor == ACTOR and told.change["from"] == str(copy.absolute())
    assert backups.generation(db) == 1 and backups.generation(other) == 1
    assert {r.subject for r in tickets.page(other, tickets.InboxQuery(status="all"))[0]} == {"Before"}
    entry = db.one("SELECT actor, change FROM audit_log WHERE action = 'restore'")
    assert entry["actor"] == ACTOR and str(safety) in entry["change"]
    assert _subjects(safety) == {"Before", "After", "An ordinary change", "Another window's change"}
    backups.restore(db_path, copy, force=True, actor=ACTOR)
    assert watch.replaced() and backups.generation(db) == 2, "a second restore moves it again"
    other.close()


def test_restore_upgrades_an_older_backup(db, db_path):
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "amends-v1.db"
    before = fixture.read_bytes()
    backups.restore(db_path, fixture, force=True, actor=ACTOR)
    assert db.schema_version == CURRENT_VERSION
    assert db.scalar("SELECT count(*) FROM tickets") == _count(fixture)
    assert fixture.read_bytes() == before, "the backup itself is never changed"
    assert not list(fixture.parent.glob("amends-v1.db*-*")), "nothing was left beside the backup"


def _count(path) -> int:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        conn.close()


def test_relative_paths_work_for_backup_verify_and_restore(db, db_path, tmp_path, monkeypatch):
    make_ticket(db, subject="Relative")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bk").mkdir()
    written = backups.copy_to(db, Path("bk/x.db"))
    assert written == tmp_path / "bk" / "x.db"
    assert backups.verify(Path("bk/x.db")) == 1
    make_ticket(db, subject="Later")
    backups.restore(Path("amends.db"), Path("bk/x.db"), force=True, actor=ACTOR)
    assert {r.subject for r in tickets.page(db, tickets.InboxQuery(status="all"))[0]} == {"Relative"}


def test_nothing_is_left_beside_backups_after_they_are_listed(db, db_path):
    make_ticket(db)
    for reason in ("daily", "manual", "import"):
        backups.make(db, reason)
    listed = backups.list_backups(db_path)
    assert [b.tickets for b in listed] == [1, 1, 1]
    folder = backups.folder_for(db_path)
    assert _beside(folder) == [], "no -wal/-shm/-journal/.partial beside the backups"
    for backup in listed:
        conn = sqlite3.connect(backup.path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()


def test_old_wal_pairs_beside_backups_are_folded_away_at_start(db, db_path):
    make_ticket(db)
    made = backups.make(db, "manual")
    legacy = sqlite3.connect(made, isolation_level=None)  # what older versions made: a backup in WAL mode
    legacy.execute("PRAGMA journal_mode = WAL")
    legacy.close()
    reader = sqlite3.connect(f"{made.as_uri()}?mode=ro", uri=True)  # a read-only look leaves the pair
    reader.execute("SELECT count(*) FROM tickets").fetchone()
    reader.close()
    assert Path(f"{made}-wal").exists() and Path(f"{made}-shm").exists()
    (backups.folder_for(db_path) / "pruned-long-ago.db-shm").write_bytes(b"")
    backups.rolling(db)
    assert _beside(backups.folder_for(db_path)) == []
    assert backups.verify(made) == 1


def test_backups_made_in_the_same_second_get_their_own_names(db, db_path):
    make_ticket(db)
    made = [backups.make(db, "manual") for _ in range(3)]
    assert len(set(made)) == 3 and all(backups.verify(p) == 1 for p in made)


def test_an_import_makes_no_full_copy(db, db_path, tmp_path):
    from amends.core import importers

    source = tmp_path / "tickets.csv"
    source.write_text("external_id,subject,body,category,created_at\n"
                      "T-1,Crushed box,It arrived crushed,damaged_shipment,2026-01-10T09:00:00Z\n",
                      encoding="utf-8")
    first = importers.import_file(db, source)
    assert first.imported == 1
    again = importers.import_file(db, source)
    assert again.imported == 0 and again.unchanged == 1
    assert backups.list_backups(db_path) == [], "imports are one transaction; the daily backup undoes them"


def test_files_the_core_makes_are_private_whatever_the_umask(tmp_path):
    import os
    import stat

    from amends.core.store import migrations

    old = os.umask(0o022)
    try:
        path = tmp_path / "private.db"
        database = open_database(path, ACTOR)
        make_ticket(database)
        made = backups.make(database, "manual")
        upgrade = migrations.backup(database.conn, tmp_path / "private.db.pre-v9-x.bak")
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*")}
        database.close()
    finally:
        os.umask(old)
    assert modes[path.name] == 0o600
    assert all(mode == 0o600 for name, mode in modes.items() if name.startswith("private.db-")), modes
    assert modes[made.name] == 0o600 and modes[made.parent.name] == 0o700
    assert modes[upgrade.name] == 0o600


def test_a_restore_that_waits_for_nobody_succeeds_however_long_it_takes(db, db_path, tmp_path):
    make_ticket(db, subject="Kept")
    copy = backups.copy_to(db, tmp_path / "copy.db")
    # wait_seconds=0: any status but "busy" counted as waiting would fail it
    backups.restore(db_path, copy, force=True, actor=ACTOR, wait_seconds=0)
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'restore'") == 1


def test_a_restore_waits_for_another_writer_and_then_gives_up_cleanly(db, db_path, tmp_path):
    from amends.core.errors import Busy

    make_ticket(db, subject="Kept")
    copy = backups.copy_to(db, tmp_path / "copy.db")
    holder = db.reopen()
    holder.conn.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy, match="nothing was restored"):
            backups.restore(db_path, copy, force=True, actor=ACTOR, wait_seconds=0.5)
    finally:
        holder.conn.execute("ROLLBACK")
        holder.close()
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'restore'") == 0
    assert [p.name for p in db_path.parent.iterdir() if ".partial" in p.name or ".amends-" in p.name] == [], \
        "nothing left of the attempt"


def test_debris_is_removed_only_once_its_writer_is_gone(tmp_path):
    import subprocess
    import sys

    from amends.core.store import snapshot

    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        host = writers.host_tag()
        busy = tmp_path / f"x.db.{host}.{writer.pid}.abc123.partial"
        busy.write_bytes(b"being written")
        Path(f"{busy}-journal").write_bytes(b"")
        elsewhere = tmp_path / f"x.db.otherhost.{writer.pid}.def456.partial"
        elsewhere.write_bytes(b"another machine's, maybe still busy")
        snapshot.clean_debris(tmp_path)
        assert busy.exists() and elsewhere.exists(), "a live writer's copy and another host's are left alone"
    finally:
        writer.kill()
        writer.wait(10)
    removed = snapshot.clean_debris(tmp_path)
    assert sorted(p.name for p in removed) == sorted([busy.name, f"{busy.name}-journal"])
    assert elsewhere.exists(), "another host's debris waits a day"
    (tmp_path / "unrelated.partial").write_text("not ours")
    snapshot.clean_debris(tmp_path)
    assert (tmp_path / "unrelated.partial").exists()
