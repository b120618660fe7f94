"""Another process holds the write lock: writers wait (asking the waiter),
give up cleanly when told to, and "database is locked" never escapes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from amends.core import tickets
from amends.core.errors import Busy, Cancelled

from tests.conftest import make_ticket

ROOT = Path(__file__).resolve().parents[2]


def hold_lock(db_path: Path, seconds: float, tmp_path: Path) -> subprocess.Popen:
    ready = tmp_path / f"ready-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.lock_holder", str(db_path), str(seconds), str(ready)],
                            cwd=ROOT)
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert proc.poll() is None, "the lock holder died"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return proc


def test_a_writer_waits_for_another_process_and_then_saves(db, db_path, tmp_path):
    ticket_id = make_ticket(db)
    waited: list[float] = []
    db.waiter = lambda elapsed: waited.append(elapsed) or True
    proc = hold_lock(db_path, 1.2, tmp_path)
    tickets.update(db, ticket_id, 1, priority=3)
    proc.wait(10)
    assert waited and max(waited) >= 0.5, "the waiter was asked while the other process held the lock"
    assert tickets.get(db, ticket_id).priority == 3


def test_the_person_can_stop_waiting_and_nothing_is_saved(db, db_path, tmp_path):
    ticket_id = make_ticket(db)
    db.waiter = lambda elapsed: elapsed < 0.3
    proc = hold_lock(db_path, 2.0, tmp_path)
    with pytest.raises(Cancelled, match="nothing was saved"):
        tickets.update(db, ticket_id, 1, priority=3)
    proc.wait(10)
    assert tickets.get(db, ticket_id).priority == 1 and tickets.get(db, ticket_id).version == 1


def test_a_lock_held_too_long_is_a_clear_busy_error(db, db_path, tmp_path):
    ticket_id = make_ticket(db)
    db.write_wait_seconds = 0.5
    proc = hold_lock(db_path, 2.0, tmp_path)
    with pytest.raises(Busy, match="kept the database busy"):
        tickets.add_message(db, ticket_id, "note", "hello")
    proc.wait(10)
    assert [m.body for m in tickets.get(db, ticket_id).messages] == ["The box was crushed."]
