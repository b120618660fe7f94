"""Two app instances (separate processes, offscreen) on one file: a change
made in one appears in the other within 2 s by itself, presence shows, and
a save over the other's change shows the conflict dialog."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from amends.core import tickets
from amends.core.workspace import open_database

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]


def run_writer_and_watcher(target: str, ticket_id: int, folder: Path, env: dict[str, str]) -> tuple[dict, dict]:
    """Two app processes on one database (tests/e2e/app_agent.py): one writes,
    one watches; what each saw, as they wrote it to ``folder``."""
    agents = {role: subprocess.Popen([sys.executable, "-m", "tests.e2e.app_agent", role, target, str(ticket_id),
                                      str(folder)], cwd=ROOT, env=env)
              for role in ("watcher", "writer")}
    for role, proc in agents.items():
        assert proc.wait(90) == 0, f"{role} failed"
    return (json.loads((folder / "writer.json").read_text()), json.loads((folder / "watcher.json").read_text()))


def test_two_instances_see_each_other(tmp_path):
    path = tmp_path / "shared.db"
    db = open_database(path, ACTOR)
    ticket_id = tickets.create(db, "Shared ticket", "hello", category="damaged_shipment")
    for i in range(5):
        tickets.create(db, f"Other ticket {i}", "hi")
    db.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_HOME": str(tmp_path / "home")}
    writer, watcher = run_writer_and_watcher(str(path), ticket_id, tmp_path, env)
    assert watcher["presence"] and "writer@trial is replying" in watcher["presence"]
    assert watcher["seen_at"] is not None, "the new ticket appeared in the other window by itself"
    delay = watcher["seen_at"] - writer["created_at"]
    print(f"change visible in the other instance after {delay:.2f} s")
    assert delay < 2.0, f"seen after {delay:.2f} s"
    assert watcher["selection_kept"]
    assert writer["priority_saved"]
    assert watcher["conflict_shown"] and "writer@trial" in watcher["conflict_text"]
    assert watcher["category_unchanged"], "nothing was silently overwritten"
