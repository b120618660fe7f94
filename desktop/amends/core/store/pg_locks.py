"""The write locks of a PostgreSQL database (issue 19): server-wide advisory
locks that serialise writers exactly as ``BEGIN IMMEDIATE`` does on a file.

Every write transaction takes :data:`WRITE_LOCK`: exclusive, or *shared*
when the transaction says which tickets it reads-then-writes, together with
one exclusive lock per such ticket. Writers of different tickets then run
side by side, two writers of one ticket wait for each other, and every
unscoped writer still excludes them all (8 writers, benchmarks/bench_postgres.py).
A lock not free at once is waited for in slices, the waiter asked between
them, as SQLite's Database waits for its lock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import cast

from amends.core.errors import Busy, Cancelled
from amends.core.store.connection import Database
from amends.core.store.pg_connection import Connection
from amends.core.store.pg_errors import as_sqlite_error

#: The advisory lock every write transaction holds (SQLite's one write lock):
#: exclusive, or shared by the transactions scoped to some tickets.
WRITE_LOCK = 0x616D656E  # "amen"
#: The first key of the per-ticket advisory locks (two-key form: (TICKET_LOCKS, ticket id)).
TICKET_LOCKS = 0x616D7463  # "amtc"
#: A transaction scoped to more tickets than this takes the whole-database lock instead.
MAX_SCOPED_TICKETS = 200
WAIT_SLICE_SECONDS = 0.2


def scope(tickets: Iterable[int] | None) -> frozenset[int] | None:
    """The tickets a transaction locks, or None for the whole database (unscoped, or too many)."""
    if tickets is None:
        return None
    chosen = frozenset(int(t) for t in tickets)
    return chosen if 0 < len(chosen) <= MAX_SCOPED_TICKETS else None


def lock_statement(scope: frozenset[int] | None) -> str:
    """The SQL that takes a transaction's write locks (blocking): the database
    lock, exclusive; or shared plus each ticket's, in id order (no two scoped
    writers wait for each other in a circle)."""
    if scope is None:
        return f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"
    ids = ",".join(str(i) for i in sorted(scope))
    return (f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK}), (SELECT count(pg_advisory_xact_lock("
            f"{TICKET_LOCKS}, id)) FROM (SELECT unnest(ARRAY[{ids}]::int[]) AS id ORDER BY 1) AS t)")


def wait_for_locks(db: Database, statement: str, patient: bool, started: float, *, begin: bool = False) -> None:
    """Run the blocking ``statement`` in ``lock_timeout`` slices inside the open
    transaction of ``db`` (a PostgresDatabase; opened first, in the same round
    trip, when ``begin``), until it has its locks; Busy or Cancelled (rolled
    back) otherwise. How long it waits and whom it asks between slices are
    read from ``db`` (``write_wait_seconds``, ``waiter``) as it goes.

    Free locks are taken at once, in one round trip. Otherwise the wait
    *blocks* on the server for a slice at a time, so the lock goes to the
    next writer the moment it is released, in the order they asked: polling
    it with sleeps in between left it idle between writers (8 writer
    processes: 13 resolutions/s against 224 for the same rows raw,
    benchmarks/bench_postgres.py)."""
    import psycopg

    conn = cast(Connection, db.conn)
    raw = conn.raw
    tries = 0
    while True:
        elapsed = time.monotonic() - started
        if tries:
            if elapsed >= db.write_wait_seconds or not patient:
                raw.execute("ROLLBACK")
                raise Busy(f"{db.location}: another user kept the database busy for {elapsed:.0f} s; "
                           "nothing was saved.", path=db.location, hint="Try again in a moment.")
            if db.waiter is not None and not db.waiter(elapsed):
                raw.execute("ROLLBACK")
                raise Cancelled("You stopped waiting for the other user; nothing was saved.")
        slice_s = min(WAIT_SLICE_SECONDS, max(0.001, db.write_wait_seconds - elapsed))
        slice_ms = max(1, int(1000 * (slice_s if patient else min(slice_s, 0.05))))
        opening = "BEGIN; " if begin and not tries else ""
        tries += 1
        try:  # one round trip; a timeout undoes the savepoint, and the SET LOCAL with it
            raw.execute(f"{opening}SAVEPOINT amends_lock_wait; SET LOCAL lock_timeout = {slice_ms}; "
                        f"{statement}; RELEASE SAVEPOINT amends_lock_wait; SET LOCAL lock_timeout TO DEFAULT")
        except psycopg.errors.LockNotAvailable:
            raw.execute("ROLLBACK TO SAVEPOINT amends_lock_wait")
            continue
        except psycopg.Error as error:  # e.g. interrupted (Cancel) while waiting: nothing was saved
            raw.execute("ROLLBACK")
            raise as_sqlite_error(error, conn.where) from error
        return
