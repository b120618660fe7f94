"""Reading a live Amends file with sqlite-utils, read-only (``?mode=ro``),
while the app's core writes to it from another process: neither side sees
a lock error, the reader sees the writes arrive, and the file's schema is
exactly what the app expects afterwards (reading changed nothing)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from amends.core import demo, health
from amends.core.workspace import open_database

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_utils_reads_a_live_file_read_only_while_the_core_writes(tmp_path: Path, trials: int | None) -> None:
    path = tmp_path / "live.db"
    db = open_database(path, ACTOR)
    demo.generate(db, 40, seed=4, now=datetime(2026, 11, 1, tzinfo=UTC))
    messages_before = db.scalar("SELECT count(*) FROM messages")
    db.close()
    seconds = 2.5 * (trials or 1)
    ledger = tmp_path / "ledger"
    writer = subprocess.Popen([sys.executable, "-m", "tests.e2e.writer", str(path), str(ledger), str(seconds), "1",
                               "writer@host"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    # timeout 0: the reader is never made to wait, so any lock it met would be an error here
    reader = sqlite_utils.Database(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0),
                                   recursive_triggers=False, execute_plugins=False)
    errors: list[str] = []
    seen: list[int] = []
    reads = 0
    try:
        while writer.poll() is None:
            try:
                seen.append(reader["messages"].count)
                list(reader["tickets"].rows_where("status <> ?", ["resolved"], order_by="updated_at desc",
                                                  limit=20))
                reader.execute("SELECT rowid FROM ticket_search WHERE ticket_search MATCH 'box' LIMIT 5").fetchall()
                _ = reader["policy_versions"].columns, reader.triggers  # what a person exploring looks at
                reads += 1
            except sqlite3.Error as error:
                errors.append(str(error))
            time.sleep(0.01)
        try:
            reader.execute("INSERT INTO tags (name) VALUES ('from the reader')")
            errors.append("a ?mode=ro connection wrote")
        except sqlite3.OperationalError as error:
            assert "readonly" in str(error)
    finally:
        reader.close()
    assert writer.wait(30) == 0, writer.stderr.read() if writer.stderr else ""
    assert errors == [], errors[:5]
    writes = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert reads > 20 and len(writes) > 20, (reads, len(writes))
    assert seen[-1] > messages_before and seen == sorted(seen), "the reader saw the writer's messages arrive"
    after = open_database(path, ACTOR)
    try:
        report = health.check(after)
        assert report.ok, report.problems
    finally:
        after.close()
