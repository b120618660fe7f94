"""Quitting the app leaves everything in the ``.db`` file itself, so a
founder who copies or mails just that file sends all the data."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from amends.core import tickets
from amends.core.workspace import open_database

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]


def test_after_quit_the_db_file_alone_holds_everything(tmp_path):
    path = tmp_path / "amends.db"
    db = open_database(path, ACTOR)
    for i in range(20):
        tickets.create(db, f"Old ticket {i}", "hello")
    db.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_HOME": str(tmp_path / "home"),
           "AMENDS_ACTOR": "quitter@trial"}
    done = subprocess.run([sys.executable, "-m", "tests.e2e.quit_agent", str(path), "30"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    written = [int(line) for line in done.stdout.split()]
    assert len(written) == 30
    alone = tmp_path / "mailed" / "amends.db"
    alone.parent.mkdir()
    shutil.copyfile(path, alone)  # no connection is open any more: a plain copy, without -wal and -shm
    conn = sqlite3.connect(alone)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        found = {r[0] for r in conn.execute("SELECT id FROM tickets")}
    finally:
        conn.close()
    assert set(written) <= found, "tickets written before Quit are missing from the .db file alone"
    assert len(found) == 50
