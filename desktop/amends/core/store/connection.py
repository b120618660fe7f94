"""The one place that opens connections to an Amends file.

Every connection gets the same setup: foreign keys on, a busy timeout, the
journal mode that suits where the file lives (WAL on a local disk, rollback
journal on a network share), and a schema-version check *before* anything
could write to the file, so a newer or foreign file is never modified.
Writes go through :meth:`Database.transaction`: one short ``BEGIN
IMMEDIATE`` transaction each.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from amends.core.errors import Busy, Cancelled, DatabaseProblem
from amends.core.store import location, migrations
from amends.core.store.errors import known, translate

log = logging.getLogger(__name__)

#: The first bytes of every SQLite file (for files no connection has open).
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
#: While waiting for the write lock, SQLite retries for this long before we
#: ask the waiter again.
WAIT_SLICE_MS = 200
OPEN_WAIT_SECONDS = 10


def _check_file(path: Path) -> bool:
    """Refuse paths we cannot use, before SQLite sees them. Return True when
    the file exists and has content.

    Only ``stat``-like calls here, never ``open()``: a process's POSIX locks
    on a file are dropped when *any* descriptor of that file is closed, so
    reading the header ourselves while this process holds a connection (a
    window, whose background jobs all reopen) would silently drop the
    window's locks; the next process to close would then think it is the
    last, checkpoint and delete the WAL under it (SQLite's "How To Corrupt
    An SQLite Database File", section 2.2). Whether it is an SQLite file and
    which schema it has is asked through SQLite, before anything writes."""
    try:
        if path.is_dir():
            raise DatabaseProblem(f"{path} is a folder, not a database file.", path=str(path))
        if not path.parent.exists():
            raise DatabaseProblem(f"The folder {path.parent} does not exist.", path=str(path),
                                  hint="Create it or choose another location.")
        if not path.exists():
            return False
        if not os.access(path, os.R_OK):
            raise DatabaseProblem(f"Permission denied reading {path}.", path=str(path),
                                  hint="Check the file's permissions.")
        return path.stat().st_size > 0
    except OSError as error:
        raise DatabaseProblem(f"Cannot read {path}: {error.strerror}.", path=str(path)) from error


@dataclass
class Database:
    """A connection to one Amends file plus who is using it.

    Not shared between threads: each worker opens its own with
    :meth:`reopen`.
    """

    conn: sqlite3.Connection
    path: Path
    actor: str
    readonly: bool = False
    journal_mode: str = "wal"
    #: Called with the seconds waited so far while another writer holds the
    #: lock; return False to give up (the UI's "waiting for another user…").
    waiter: Callable[[float], bool] | None = None
    write_wait_seconds: float = 30.0
    _depth: int = field(default=0, repr=False)
    _waiting: bool = field(default=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def location(self) -> str:
        """Where the database is, as messages name it: the file's path (a
        server's URL without its password: PostgresDatabase)."""
        return str(self.path)

    # -- opening ---------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, actor: str, *, create: bool = True,
             after_migration: Callable[[sqlite3.Connection, int], None] | None = None,
             ) -> Database:
        """Open (and set up, and migrate) the file. Several processes opening
        a new file at once can find it busy for a moment (switching a new
        file to WAL needs it alone): that is waited out, briefly."""
        deadline = time.monotonic() + OPEN_WAIT_SECONDS
        while True:
            try:
                return cls._open_once(path, actor, create=create, after_migration=after_migration)
            except DatabaseProblem as problem:
                busy = isinstance(problem.__cause__, sqlite3.OperationalError) and _is_busy(problem.__cause__)
                if not busy or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @classmethod
    def _open_once(cls, path: str | Path, actor: str, *, create: bool,
                   after_migration: Callable[[sqlite3.Connection, int], None] | None) -> Database:
        path = Path(path).expanduser().absolute()
        existed = _check_file(path)
        if not existed and not create:
            raise DatabaseProblem(f"{path} does not exist.", path=str(path))
        writable = _writable(path, existed)
        wanted = location.journal_mode_for(path) if writable else None  # before a new file is made
        try:
            if writable:
                conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                                       check_same_thread=True)
            else:
                conn = _open_read_only(path)
        except sqlite3.Error as error:
            raise translate(error, str(path)) from error
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            version = migrations.schema_version(conn)
            migrations.refuse_if_too_new(version, str(path))
            if migrations.is_foreign_database(conn):
                raise DatabaseProblem(
                    f"{path} is an SQLite database, but not an Amends one; it was not changed.",
                    path=str(path), hint="Open or create an Amends database instead.")
            mode = "query"
            if writable:
                mode = conn.execute(f"PRAGMA journal_mode = {wanted}").fetchone()[0]
                if mode.lower() == "wal":
                    conn.execute("PRAGMA synchronous = NORMAL")
                migrations.migrate(conn, path, after=after_migration)
            elif version < migrations.CURRENT_VERSION:
                raise DatabaseProblem(
                    f"{path} is read-only and needs an upgrade to schema {migrations.CURRENT_VERSION}.",
                    path=str(path), hint="Open a writable copy to upgrade it.")
        except sqlite3.Error as error:
            conn.close()
            raise translate(error, str(path)) from error
        except BaseException:
            conn.close()
            raise
        log.info("Opened %s (%s, journal mode %s)", path, "read-write" if writable else "read-only", mode.lower())
        return cls(conn=conn, path=path, actor=actor, readonly=not writable, journal_mode=mode.lower())

    def reopen(self) -> Database:
        """A new connection to the same file, for another thread."""
        return Database.open(self.path, self.actor, create=False)

    def close(self) -> None:
        """Close, first copying what the WAL holds into the file itself
        (a passive checkpoint: it never waits for others). SQLite does that
        on its own only when this is the last connection to the file; a
        connection another thread still holds must not leave a quit app's
        data in ``-wal``, where a copied or mailed ``.db`` file lacks it."""
        try:
            if self.journal_mode == "wal" and not self.readonly and not self.conn.in_transaction:
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.ProgrammingError as error:
            if "closed" in str(error).lower():
                return  # closed already: closing twice is harmless
            raise  # e.g. used from another thread: a bug, say so
        except sqlite3.Error as error:  # busy or read-only now: the next closer checkpoints
            log.info("no checkpoint when closing %s: %s", self.path, error)
        self.conn.close()

    # -- reading ---------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise translate(error, str(self.path)) from error

    def tuples(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        """Like :meth:`query` but plain tuples: the fast path for hot lists."""
        try:
            cursor = self.conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise translate(error, str(self.path)) from error

    def one(self, sql: str, params: Sequence[Any] | dict = ()) -> sqlite3.Row | None:
        try:
            return self.conn.execute(sql, params).fetchone()
        except sqlite3.Error as error:
            raise translate(error, str(self.path)) from error

    def scalar(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    #: Whether :meth:`data_version` ignores presence heartbeats (a server's
    #: counter does; a file's ``PRAGMA data_version`` moves with every commit).
    data_version_skips_presence: ClassVar[bool] = False

    def data_version(self) -> int:
        """Changes when *another* connection commits: cheap to poll."""
        return self.scalar("PRAGMA data_version")

    @property
    def schema_version(self) -> int:
        return self.scalar("PRAGMA user_version")

    def listen(self, on_change: Callable[[Any], None], on_state: Callable[[bool, str], None] | None = None, *,
               retry_seconds: float = 2.0) -> Any:
        """Hear other connections' commits as they happen, or None when the
        backend cannot: a file has no notifications, so the app polls
        :meth:`data_version` (a server's form: PostgresDatabase.listen)."""
        return None

    # -- writing ---------------------------------------------------------
    @contextmanager
    def _joined(self) -> Iterator[Any]:
        """A nested ``transaction()``: it joins the outer one, which alone
        begins and commits (the same on every backend; the lock is held)."""
        self._depth += 1
        try:
            yield self.conn
        finally:
            self._depth -= 1

    @contextmanager
    def transaction(self, *, wait: bool = True,
                    tickets: Iterable[int] | None = None) -> Iterator[sqlite3.Connection]:
        """One short ``BEGIN IMMEDIATE`` transaction; nested calls join the
        outer one, so a service can call another and still commit once.
        ``wait=False`` tries once (briefly) and raises :class:`Busy`: for
        background chores such as presence heartbeats. ``tickets``: the only
        tickets whose rows the transaction reads-then-writes (anything else it
        only adds to); a server then lets writers of other tickets run beside
        it (store/postgres.py). A file's write lock is always the whole file."""
        if self.readonly:
            raise known("SQLITE_READONLY", str(self.path))
        with self._lock:
            if self._depth:
                with self._joined() as conn:
                    yield conn
                return
            self._wait_for("BEGIN IMMEDIATE", patient=wait)
            self._depth = 1
            try:
                yield self.conn
            except BaseException as error:
                self._depth = 0
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    _reraise(error, str(self.path))
                raise
            else:
                self._depth = 0
                try:
                    self._wait_for("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise

    def _wait_for(self, statement: str, patient: bool = True) -> None:
        if self._waiting:
            # The waiter lets the UI breathe while we wait; a second save
            # started meanwhile from the same connection must not nest.
            raise Busy(f"{self.path}: another save is still waiting for the database.", path=str(self.path),
                       hint="Try again in a moment.")
        self._waiting = True
        try:
            self._wait_loop(statement, patient)
        except sqlite3.ProgrammingError as error:  # e.g. the connection was closed
            _reraise(error, str(self.path))
        finally:
            self._waiting = False

    def _wait_loop(self, statement: str, patient: bool) -> None:
        """Run BEGIN IMMEDIATE or COMMIT, waiting while another writer holds
        the lock: in short slices, asking ``waiter(elapsed)`` between them
        (the UI shows "waiting for another user…" and a Cancel button), up to
        ``write_wait_seconds``. "Database is locked" never escapes as such:
        it becomes :class:`Busy` or :class:`Cancelled`, and nothing is saved."""
        started = time.monotonic()
        self.conn.execute(f"PRAGMA busy_timeout = {WAIT_SLICE_MS}")
        try:
            while True:
                try:
                    self.conn.execute(statement)
                    return
                except sqlite3.OperationalError as error:
                    if not _is_busy(error):
                        _reraise(error, str(self.path))
                    elapsed = time.monotonic() - started
                    if elapsed >= self.write_wait_seconds or not patient:
                        raise Busy(f"{self.path}: another user kept the database busy for {elapsed:.0f} s; "
                                   "nothing was saved.", path=str(self.path),
                                   hint="Try again in a moment.") from error
                    if self.waiter is not None and not self.waiter(elapsed):
                        raise Cancelled("You stopped waiting for the other user; nothing was saved.") from error
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def interrupt(self) -> None:
        """Stop the statement running now (safe from another thread: a worker's Cancel)."""
        try:
            self.conn.interrupt()
        except sqlite3.ProgrammingError:  # closed already: nothing is running
            return


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Read-only: plain ``mode=ro`` first; a WAL file in a folder we may not
    write to cannot get its shared-memory file, so then it is read as an
    immutable snapshot (others' later changes show after reopening)."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None,
                           timeout=BUSY_TIMEOUT_MS / 1000)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(error).lower()


def _reraise(error: sqlite3.Error, path: str) -> None:
    translated = translate(error, path)
    if translated is error:
        raise error
    raise translated from error


def _writable(path: Path, existed: bool) -> bool:
    if existed:
        return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    if not os.access(path.parent, os.W_OK):
        raise known("SQLITE_READONLY", str(path))
    return True
