"""The Review's parts run side by side on read-only connections of their own,
all on one snapshot (insights/running.py; issue 16: the Review at 1,000,000
tickets was the sum of eight parts on one connection). Real files, real
threads: the figures are the sequential ones, whatever the data (hypothesis);
a commit landing while the Review runs is seen by no part; progress, cancel
and errors behave as before; a read-only file, a rollback journal (a network
share) and a database in memory still work, one part after another."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from amends.core import errors, insights, tickets
from amends.core.insights.period import Period
from amends.core.insights.running import Part, run_parts
from amends.core.store import Database, location, migrations
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ACTOR, make_customer
from tests.core.test_review_facts import DAYS, FIRST, TICKET, WRITES, apply
from tests.helpers import read_only

NOW = "2026-11-01T00:00:00Z"
Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    """A small demo on a real WAL file, closed again (each test opens what it needs)."""
    from datetime import UTC, datetime

    from amends.core import demo

    path = tmp_path / "review.db"
    db = open_database(path, ACTOR)
    demo.generate(db, 300, seed=7, now=datetime(2026, 11, 1, tzinfo=UTC))
    db.close()
    return path


def test_the_parts_run_on_connections_of_their_own(demo_file):
    """The caller's connection runs none of the parts' reads: each reader does, on threads of the pool."""
    db = open_database(demo_file, ACTOR)
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    insights.compute(db, Q3, now=NOW, workers=3)
    db.conn.set_trace_callback(None)
    db.close()
    reads = [s for s in seen if "FROM tickets" in s or "FROM review_" in s or "FROM subscriptions" in s]
    assert reads == [], reads[:3]


def test_every_part_gets_a_reader_and_a_thread_of_its_own(db):
    """On both backends: a file's read-only readers, a server's connections of their own."""
    used: list[tuple[int, int]] = []
    lock = threading.Lock()
    ready = threading.Barrier(3, timeout=10)

    def part(d: Database) -> int:
        with lock:
            used.append((id(d.conn), threading.get_ident()))
        ready.wait()  # three parts at once: only possible on three threads
        return d.scalar("SELECT count(*) FROM tickets")

    make_customer(db)
    got = run_parts(db, [Part(str(n), part) for n in range(3)], workers=3, report=lambda d, t: None,
                    stop=lambda: False)
    assert set(got.values()) == {db.scalar("SELECT count(*) FROM tickets")}
    assert len({conn for conn, _ in used}) == 3 and len({thread for _, thread in used}) == 3
    assert id(db.conn) not in {conn for conn, _ in used}
    assert not db.conn.in_transaction


@pytest.mark.parametrize("workers", [1, 3])
def test_a_commit_while_the_review_runs_is_seen_by_no_part(demo_db, workers):
    """One snapshot, on both backends: another user commits tickets in the quarter after the first part has
    finished (from the progress callback, between parts); the figures are those from before that commit."""
    db = demo_db
    other = db.reopen()
    customer = make_customer(other, email="late@example.com", started_at="2026-06-01T00:00:00Z")
    before = insights.compute(db, Q3, now=NOW, workers=1).to_json()
    wrote: list[int] = []

    def progress(done: int, total: int) -> None:
        if done >= 1 and not wrote:
            for n in range(12):
                wrote.append(tickets.create(other, f"Late {n}", "It came late and broken.", customer_id=customer,
                                            category="wrong_item", created_at=f"2026-08-{n + 1:02d}T10:00:00Z"))

    during = insights.compute(db, Q3, now=NOW, progress=progress, workers=workers).to_json()
    after = insights.compute(db, Q3, now=NOW, workers=workers).to_json()
    other.close()
    assert wrote
    assert during == before
    assert after != before  # the commit is there for the next Review


def _no_reader_left(db) -> bool:
    """No reader still holds a snapshot (a file: a full checkpoint goes through and empties the log; a server:
    no other session of this database is left open)."""
    if db.journal_mode == "postgresql":
        # A closed connection's backend leaves pg_stat_activity a moment after the client hung up (the server
        # ends it asynchronously): under load the count is asked again for a few seconds, never more.
        deadline = time.monotonic() + 5
        while True:
            left = db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
            if left == 0 or time.monotonic() > deadline:
                return left == 0
            time.sleep(0.05)
    busy, _, _ = db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return busy == 0


def test_cancel_interrupts_and_leaves_no_reader_behind(demo_db):
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 1  # after the first ask: while parts run

    with pytest.raises(insights.Cancelled):
        insights.compute(demo_db, Q3, now=NOW, cancelled=cancelled, workers=3)
    assert _no_reader_left(demo_db)


def test_a_parts_error_is_raised_as_it_was_and_the_others_are_stopped(demo_file):
    db = open_database(demo_file, ACTOR)
    problem = errors.ValidationError("this part refuses")
    started = threading.Event()

    def slow(d: Database) -> int:
        started.set()
        # a long statement (a recursive count): interrupted when the other part fails
        return d.scalar("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
                        "SELECT count(*) FROM n")

    def failing(d: Database) -> int:
        started.wait(10)
        time.sleep(0.05)
        raise problem

    start = time.monotonic()
    with pytest.raises(errors.ValidationError) as raised:
        run_parts(db, [Part("slow", slow), Part("failing", failing)], workers=2, report=lambda d, t: None,
                  stop=lambda: False)
    assert raised.value is problem
    assert time.monotonic() - start < 20  # the slow statement was interrupted, not waited out
    assert _no_reader_left(db)
    db.close()


def test_a_broken_part_is_not_lost_in_the_threads(demo_file):
    """A missing table (a damaged file) fails the Review with SQLite's own error, as one after another did."""
    db = open_database(demo_file, ACTOR)
    db.conn.execute("DROP TABLE review_skipped_days")
    with pytest.raises(sqlite3.OperationalError, match="review_skipped_days"):
        insights.compute(db, Q3, now=NOW, workers=3)
    db.close()


def test_a_read_only_file_a_rollback_journal_and_memory_run_one_after_another(demo_file, tmp_path, monkeypatch):
    db = open_database(demo_file, ACTOR)
    want = insights.compute(db, Q3, now=NOW, workers=1).to_json()
    db.close()
    with read_only(demo_file):
        ro = Database.open(demo_file, ACTOR)
        assert ro.readonly
        assert insights.compute(ro, Q3, now=NOW, workers=3).to_json() == want
        ro.close()
    monkeypatch.setenv(location.JOURNAL_MODE_ENV, "delete")  # as on a network share
    shared = open_database(demo_file, ACTOR)
    assert shared.journal_mode == "delete"
    assert insights.compute(shared, Q3, now=NOW, workers=3).to_json() == want
    shared.close()
    monkeypatch.delenv(location.JOURNAL_MODE_ENV)
    memory = sqlite3.connect(":memory:", isolation_level=None)
    memory.row_factory = sqlite3.Row
    migrations.migrate(memory, Path(":memory:"))
    mem = Database(conn=memory, path=Path(":memory:"), actor=ACTOR, journal_mode="wal")  # as if: still one
    empty = insights.compute(mem, Q3, now=NOW, workers=3)
    assert empty.checklist.resolutions == 0
    memory.close()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(new=st.lists(TICKET, min_size=1, max_size=4), writes=st.lists(WRITES, min_size=1, max_size=20),
       span=st.tuples(st.integers(0, DAYS - 1), st.integers(0, DAYS - 1)))
def test_side_by_side_figures_are_the_sequential_ones(db, new, writes, span):
    """Whatever the data (written through the core at random, growing over the examples), the Review computed
    side by side is exactly the Review computed one part after another (on PostgreSQL both run sequentially)."""
    customer = db.scalar("SELECT min(id) FROM customers") or make_customer(db, started_at="2026-01-01T00:00:00Z")
    made = [r[0] for r in db.tuples("SELECT id FROM tickets ORDER BY id")]
    merged: list[int] = []
    for write in [*new, *writes]:
        apply(db, customer, write, made, merged)
    start, end = sorted(span)
    period = Period(FIRST + timedelta(days=start), FIRST + timedelta(days=end))
    one = insights.compute(db, period, now=NOW, workers=1).to_json()
    assert insights.compute(db, period, now=NOW, workers=3).to_json() == one
