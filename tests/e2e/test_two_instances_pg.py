"""Two app instances (separate processes, offscreen) on one PostgreSQL
database (issue 19 point 4): a change made in one arrives in the other by
NOTIFY (polling is slowed to a minute, so nothing else could bring it in
time), presence shows, a save over the other's change shows the same
conflict dialog as on a file; and when the LISTEN connection is lost, the
window falls back to polling and still sees changes. The latency figure is
benchmarks/bench_notify.py's, not asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from amends.core import tickets
from amends.core.workspace import open_database

from tests.conftest import ACTOR
from tests.e2e.test_two_instances import run_writer_and_watcher
from tests.pg_support import fresh_database

ROOT = Path(__file__).resolve().parents[2]
NO_POLLING = {"AMENDS_POLL_MS": "60000", "AMENDS_LISTEN_POLL_MS": "60000"}


def _seed(url: str) -> int:
    db = open_database(url, ACTOR)
    try:
        ticket_id = tickets.create(db, "Shared ticket", "hello", category="damaged_shipment")
        for i in range(5):
            tickets.create(db, f"Other ticket {i}", "hi")
        return ticket_id
    finally:
        db.close()


def test_on_a_server_changes_and_presence_arrive_by_notify_and_conflicts_are_the_same(tmp_path, pg_server):
    with fresh_database(pg_server) as url:
        ticket_id = _seed(url)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_HOME": str(tmp_path / "home"), **NO_POLLING}
        writer, watcher = run_writer_and_watcher(url, ticket_id, tmp_path, env)
    assert watcher["presence"] and "writer@trial is replying" in watcher["presence"]
    assert watcher["seen_at"] is not None, "the new ticket appeared in the other window by itself"
    assert watcher["seen_via"] == "notify", "it came by LISTEN/NOTIFY, not by polling"
    print(f"change visible in the other instance after {watcher['seen_at'] - writer['created_at']:.3f} s (notify)")
    assert watcher["selection_kept"]
    assert writer["priority_saved"]
    assert watcher["conflict_shown"] and "writer@trial" in watcher["conflict_text"]
    assert watcher["category_unchanged"], "nothing was silently overwritten"


def test_when_the_listen_connection_is_lost_the_window_polls_and_still_sees_changes(tmp_path, pg_server):
    import psycopg

    with fresh_database(pg_server) as url:
        _seed(url)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_HOME": str(tmp_path / "home"),
               "AMENDS_POLL_MS": "200", "AMENDS_LISTEN_POLL_MS": "60000", "AMENDS_LISTEN_RETRY_SECONDS": "60"}
        agent = subprocess.Popen([sys.executable, "-m", "tests.e2e.listen_agent", url, str(tmp_path)], cwd=ROOT,
                                 env=env)
        try:
            assert _wait(lambda: (tmp_path / "listening").exists() or agent.poll() is not None, 60)
            pid = int((tmp_path / "listening").read_text())
            with psycopg.connect(url, autocommit=True) as admin:
                assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
            assert _wait(lambda: (tmp_path / "lost").exists() or agent.poll() is not None, 60)
            other = open_database(url, "other@process", create=False)
            try:
                tickets.create(other, "Made while nobody listened", "hello")
            finally:
                other.close()
            assert agent.wait(90) == 0
        finally:
            if agent.poll() is None:
                agent.kill()
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["lost_seen"] and result["poll_ms_when_lost"] == 200, result
    assert result["seen"] and result["seen_via"] == "poll", result


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
