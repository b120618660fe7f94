"""Writers on a server run side by side only where that is safe (issue 19, 8 writers).

A transaction scoped to some tickets (``db.transaction(tickets=...)``) takes the
database's write lock shared and one lock per ticket: writers of *other*
tickets go in beside it, writers of the *same* ticket and unscoped writers
wait. Real processes, a real server: a read-then-write that loses an update,
or two resolutions of one ticket, means the locks are wrong.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pytest
from amends.core import resolution
from amends.core.errors import ConflictError
from amends.core.workspace import open_database

from tests.conftest import ACTOR, make_customer, make_ticket
from tests.pg_support import fresh_database

HOLD_SECONDS = 1.5


def _wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _holder(url: str, ticket: int, folder: str) -> None:
    """Hold a transaction scoped to ``ticket``; note whether the other process got in meanwhile."""
    db = open_database(url, "holder", create=False)
    here = Path(folder)
    with db.transaction(tickets=(ticket,)) as conn:
        conn.execute("UPDATE tickets SET subject = 'held' WHERE id = ?", (ticket,))
        (here / "holder-in").write_text("")
        got_in = _wait_for(here / "other-in", HOLD_SECONDS)
    (here / "holder.json").write_text(json.dumps({"other_got_in_meanwhile": got_in}))
    db.close()


def _other(url: str, tickets: list[int] | None, folder: str) -> None:
    """Once the holder is in: a transaction scoped to ``tickets`` (None: unscoped)."""
    db = open_database(url, "other", create=False)
    here = Path(folder)
    assert _wait_for(here / "holder-in", 30)
    with db.transaction(tickets=tickets) as conn:
        conn.execute("UPDATE settings SET value = value WHERE key = 'none'")
        (here / "other-in").write_text("")
    db.close()


def _run(*targets: tuple) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=fn, args=args) for fn, *args in targets]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0] * len(procs)


@pytest.fixture
def server_db(pg_server):
    with fresh_database(pg_server) as url:
        db = open_database(url, ACTOR)
        yield url, db
        db.close()


@pytest.mark.parametrize("scope, goes_in", [("another ticket", True), ("the same ticket", False),
                                            ("the whole database", False)])
def test_only_writers_of_other_tickets_go_in_beside_a_scoped_writer(server_db, tmp_path, scope, goes_in) -> None:
    url, db = server_db
    customer = make_customer(db)
    first, second = make_ticket(db, customer), make_ticket(db, customer)
    tickets = {"another ticket": [second], "the same ticket": [first], "the whole database": None}[scope]
    _run((_holder, url, first, str(tmp_path)), (_other, url, tickets, str(tmp_path)))
    seen = json.loads((tmp_path / "holder.json").read_text())
    assert seen["other_got_in_meanwhile"] is goes_in
    assert (tmp_path / "other-in").exists()  # and the waiting one got in after


def _increment(url: str, ticket: int, times: int, scoped: bool) -> None:
    """Read the ticket's version, pause, write it back + 1: a lost update unless locked."""
    db = open_database(url, "incrementer", create=False)
    for _ in range(times):
        with db.transaction(tickets=(ticket,) if scoped else None) as conn:
            version = conn.execute("SELECT version FROM tickets WHERE id = ?", (ticket,)).fetchone()[0]
            time.sleep(0.03)
            conn.execute("UPDATE tickets SET version = ? WHERE id = ?", (version + 1, ticket))
    db.close()


def test_read_then_write_of_one_ticket_loses_no_update(server_db) -> None:
    """Four processes scoped to the ticket and one unscoped, each reading then writing its version."""
    url, db = server_db
    ticket = make_ticket(db, make_customer(db))
    before = db.scalar("SELECT version FROM tickets WHERE id = ?", (ticket,))
    _run(*[(_increment, url, ticket, 5, n < 4) for n in range(5)])
    assert db.scalar("SELECT version FROM tickets WHERE id = ?", (ticket,)) == before + 25


def _resolver(url: str, ids: list[int], start_at: float, out: str) -> None:
    """Resolve each ticket with the checklist read before the start (as a person would have it on screen)."""
    db = open_database(url, "resolver", create=False)
    shown = {tid: resolution.checklist_for(db, tid) for tid in ids}
    time.sleep(max(0.0, start_at - time.time()))
    won, conflicts = [], []
    for tid in ids:
        checklist = shown[tid]
        assert checklist.policy is not None
        try:
            resolution.resolve(db, tid, checklist.policy.id, [resolution.StepOutcome(i, True)
                                                              for i in range(len(checklist.steps))],
                               resolution.Offer(5), expected_version=checklist.ticket_version)
            won.append(tid)
        except ConflictError:
            conflicts.append(tid)
    Path(out).write_text(json.dumps({"won": won, "conflicts": conflicts}))
    db.close()


def test_two_processes_resolving_the_same_tickets_one_wins_each_the_other_conflicts(server_db, tmp_path) -> None:
    url, db = server_db
    customer = make_customer(db)
    ids = [make_ticket(db, customer, created_at="2026-01-15T00:00:00Z") for _ in range(20)]
    start_at = time.time() + 3.0
    outs = [tmp_path / f"resolver-{n}.json" for n in range(2)]
    _run(*[(_resolver, url, ids, start_at, str(out)) for out in outs])
    results = [json.loads(out.read_text()) for out in outs]
    assert sorted(results[0]["won"] + results[1]["won"]) == ids
    assert sorted(results[0]["conflicts"] + results[1]["conflicts"]) == ids
    rows = db.tuples("SELECT ticket_id, count(*) FROM resolutions GROUP BY ticket_id HAVING count(*) > 1")
    assert rows == []
    assert db.scalar("SELECT count(*) FROM tickets WHERE status = 'resolved'") == len(ids)
