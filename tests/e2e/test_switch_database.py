"""File → Open another database in the real app: each switch replaces the
window it was asked from, and only that one (the slot is bound to its own
window, not to whichever the opening loop saw last)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from amends.core import tickets
from amends.core.workspace import open_database

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]


def test_opening_another_database_twice_replaces_the_window_each_time(tmp_path):
    paths = [tmp_path / f"{name}.db" for name in ("first", "second", "third")]
    for path in paths:  # not empty: no demo offer in the way
        db = open_database(path, ACTOR)
        tickets.create(db, f"In {path.name}", "hello")
        db.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_HOME": str(tmp_path / "home"),
           "AMENDS_ACTOR": "switcher@trial"}
    done = subprocess.run([sys.executable, "-m", "tests.e2e.switch_agent", *map(str, paths)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["second.db", "third.db"], done.stdout
