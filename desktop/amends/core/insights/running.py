"""Running the Review's parts side by side, all on one snapshot.

The Review is eight independent reads (recurring complaints, resolutions,
churn, ...). Run one after another on one connection they take the sum of
their times; SQLite in WAL mode lets several connections read at once, and
the sqlite3 module releases the GIL while a statement steps, so on a machine
with several cores the parts run concurrently on read-only connections of
the same file, each on a thread of a small pool, and the Review takes about
as long as its longest part.

What is guaranteed (docs/INSIGHTS.md, "One snapshot"):

* **SQLite, WAL (a local file):** every reader opens its read transaction
  between two ``PRAGMA data_version`` readings of the caller's connection;
  equal readings mean no other connection committed in between, so all
  readers see the same snapshot (the same committed state). A commit that
  lands in between makes us try again (three times), then fall back to the
  sequential run below. The parts therefore always see one snapshot, even
  while others write.
* **PostgreSQL:** the parts run on connections of their own, each in a
  ``REPEATABLE READ READ ONLY`` transaction importing the snapshot the
  caller's connection exports (``pg_export_snapshot`` / ``SET TRANSACTION
  SNAPSHOT``): one snapshot, always.
* **Sequential (the fallback):** one thread, the caller's connection. On a
  WAL file, and on a server, it runs inside one read transaction (one
  snapshot; writers are not held up). With a rollback journal (a file on a
  network share) a long read transaction would hold other writers' commits
  back, so there each statement reads the latest state, as before (no
  snapshot guarantee).
* Sequential is used when a second connection is not possible or not
  worth it: ``workers=1`` or one core, a rollback journal (network share:
  its locking is not to be leaned on), a database in memory, a caller
  already in a transaction, a file opened read-only (no snapshot either),
  or a reader that cannot be opened.

Progress is reported and ``cancelled`` asked on the caller's thread, every
part finished and every 50 ms; cancelling interrupts the statements still
running and raises :class:`~amends.core.errors.Cancelled`. A part's error
interrupts the others and is raised as it was (the typed error the store
raised), never lost; the readers are always closed.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from amends.core import errors
from amends.core.store import Database
from amends.core.store.connection import BUSY_TIMEOUT_MS
from amends.core.store.errors import translate
from amends.core.store.pg_errors import translated

log = logging.getLogger(__name__)

#: At most this many readers: the parts are eight, and the longest decides.
MAX_WORKERS = 4
#: How often the caller's thread asks ``cancelled`` while parts run.
POLL_SECONDS = 0.05
#: Tries at one snapshot for every reader before falling back to sequential.
SNAPSHOT_TRIES = 3
#: What pg_export_snapshot() returns (e.g. 00000003-0000001B-1), checked before it is spliced into SQL.
_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")


@dataclass(frozen=True)
class Part:
    """One independent read of the Review: its name and the function that
    computes it from a database (any connection to the same data)."""

    name: str
    run: Callable[[Database], Any]


def default_workers() -> int:
    """Readers for this machine: one per core, up to :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def run_parts(db: Database, parts: Sequence[Part], *, workers: int | None = None,
              report: Callable[[int, int], None], stop: Callable[[], bool]) -> dict[str, Any]:
    """Every part's result by name, computed on one snapshot of ``db``
    (concurrently where the database allows it, see the module docstring).
    ``report(done, total)`` after each part; raises Cancelled when ``stop()``."""
    total = len(parts)
    if stop():
        raise errors.Cancelled()
    report(0, total)
    wanted = min(default_workers() if workers is None else workers, total)
    readers = _snapshot_readers(db, wanted) if wanted > 1 and _can_share(db) else None
    if readers is None:
        return _sequential(db, parts, report, stop)
    try:
        return _concurrent(readers, parts, report, stop)
    finally:
        for reader in readers:
            _close(reader)


def _can_share(db: Database) -> bool:
    """Whether readers of their own may read ``db`` beside it (see the module docstring)."""
    if db.conn.in_transaction:
        return False
    if db.journal_mode == "postgresql":
        return True
    if type(db) is not Database or db.journal_mode != "wal":
        return False
    files = [r[2] for r in db.tuples("PRAGMA database_list") if r[1] == "main"]
    return bool(files and files[0])  # "" : in memory (or a temporary database)


def _open_reader(db: Database) -> Database | None:
    """A read-only connection to ``db``'s file, usable from another thread, its schema already read (a few
    ms with the schema's triggers: done here, on the pool's threads at once, not inside the snapshot window);
    None when it cannot be opened."""
    conn = None
    try:
        conn = sqlite3.connect(f"{db.path.as_uri()}?mode=ro", uri=True, isolation_level=None,
                               timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.Error as error:
        log.info("no second reader of %s (%s): the Review runs its parts one after another", db.path, error)
        if conn is not None:
            conn.close()
        return None
    conn.row_factory = sqlite3.Row
    return Database(conn=conn, path=db.path, actor=db.actor, readonly=True, journal_mode=db.journal_mode)


def _snapshot_readers(db: Database, count: int) -> list[Database] | None:
    """``count`` readers, each in a read transaction on the same snapshot, or None (then: sequential)."""
    if db.journal_mode == "postgresql":
        return _server_readers(db, count)
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="review-open") as opening:
        opened = list(opening.map(lambda _: _open_reader(db), range(count)))
    readers = [reader for reader in opened if reader is not None]
    try:
        if len(readers) == count:
            for _ in range(SNAPSHOT_TRIES):
                before = db.data_version()
                for reader in readers:
                    reader.conn.execute("BEGIN")
                    # the read transaction (the snapshot) starts with the first read
                    reader.conn.execute("SELECT 1 FROM sqlite_schema LIMIT 1").fetchone()
                if db.data_version() == before:
                    return readers
                for reader in readers:
                    reader.conn.execute("ROLLBACK")
            log.info("others kept committing to %s: the Review runs its parts one after another", db.path)
    except sqlite3.Error as error:
        log.info("readers of %s not usable (%s): the Review runs its parts one after another", db.path, error)
    for reader in readers:
        _close(reader)
    return None


def _server_readers(db: Database, count: int) -> list[Database] | None:
    """PostgreSQL: ``count`` connections of their own, each in a repeatable-read transaction that imports
    the snapshot ``db`` exports (``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``): all see the same
    committed state. None when a connection cannot be opened (then: sequential on ``db``)."""
    readers: list[Database] = []
    try:
        for _ in range(count):
            readers.append(db.reopen())
        db.conn.execute("BEGIN DEFERRED")  # on a server: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY
        try:
            snapshot = str(db.scalar("SELECT pg_export_snapshot()"))
            if not _SNAPSHOT_ID.fullmatch(snapshot):
                raise errors.DatabaseProblem(f"unexpected snapshot id {snapshot!r}")
            for reader in readers:
                reader.conn.execute("BEGIN DEFERRED")
                with translated("importing the Review's snapshot"):  # a psycopg error as the store's own
                    reader.conn.raw.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")  # type: ignore[attr-defined]
        finally:
            db.conn.execute("ROLLBACK")  # the importers hold the snapshot now
        return readers
    except (errors.AmendsError, sqlite3.Error) as error:
        log.info("no readers of their own on %s (%s): the Review runs its parts one after another",
                 db.location, error)
    except BaseException:
        for reader in readers:  # never a connection left open on the server
            _close(reader)
        raise
    for reader in readers:
        _close(reader)
    return None


def _close(reader: Database) -> None:
    try:
        if reader.conn.in_transaction:
            reader.conn.execute("ROLLBACK")
    except (sqlite3.Error, errors.AmendsError) as error:  # e.g. interrupted: closing ends it anyway
        log.info("ending a Review reader's transaction: %s", error)
    if reader.journal_mode == "postgresql":
        reader.close()
    else:
        reader.conn.close()  # read-only: nothing to checkpoint


def _sequential(db: Database, parts: Sequence[Part], report: Callable[[int, int], None],
                stop: Callable[[], bool]) -> dict[str, Any]:
    """The parts one after another on ``db``; in one read transaction on a WAL file (one snapshot)."""
    snapshot = db.journal_mode in ("wal", "postgresql") and not db.conn.in_transaction
    results: dict[str, Any] = {}
    if snapshot:
        db.conn.execute("BEGIN DEFERRED")  # on a server: REPEATABLE READ READ ONLY (pg_connection.py)
    try:
        for done, part in enumerate(parts, 1):
            results[part.name] = part.run(db)
            if stop():
                raise errors.Cancelled()
            report(done, len(parts))
    finally:
        if snapshot and db.conn.in_transaction:
            db.conn.execute("ROLLBACK")  # it only read
    return results


def _concurrent(readers: list[Database], parts: Sequence[Part], report: Callable[[int, int], None],
                stop: Callable[[], bool]) -> dict[str, Any]:
    """The parts on a pool of threads, each taking a free reader for the part it runs."""
    free: queue.SimpleQueue[Database] = queue.SimpleQueue()
    for reader in readers:
        free.put(reader)

    def one(part: Part) -> Any:
        reader = free.get()
        try:
            return part.run(reader)
        except sqlite3.Error as error:
            raise translate(error, str(reader.path)) from error
        finally:
            free.put(reader)

    results: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=len(readers), thread_name_prefix="review-part") as pool:
        running: dict[Future[Any], Part] = {pool.submit(one, part): part for part in parts}
        try:
            while running:
                finished, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                for future in finished:
                    part = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        raise error
                    results[part.name] = future.result()
                if stop():
                    raise errors.Cancelled()
                if finished:
                    report(len(results), len(parts))
        except BaseException:
            for future in running:
                future.cancel()
            for reader in readers:
                reader.interrupt()  # the statements still running stop; their "interrupted" is not the news
            raise  # once the pool's threads are done (leaving the with block waits for them)
    return results
