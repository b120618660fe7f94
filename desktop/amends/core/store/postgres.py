"""``PostgresDatabase``: the same :class:`~amends.core.store.Database` on a
PostgreSQL server through psycopg 3 (issue 19, docs/SCALING.md).

Services keep calling ``db.query/one/scalar/tuples`` and ``with
db.transaction() as conn: conn.execute(...)`` with SQLite SQL; every
statement goes through :func:`amends.core.store.dialect.to_postgres` (once,
cached). Writes keep SQLite's semantics on purpose: a transaction first takes
one server-wide advisory lock, so writers are serialised exactly as ``BEGIN
IMMEDIATE`` serialises them on a file (services read-then-write inside a
transaction and rely on that); finer locks can come once measured.
Errors come back as the ``sqlite3`` classes the services already handle
(a constraint is an ``IntegrityError`` on both), environment problems as
:class:`DatabaseProblem` naming the server.

psycopg is an optional dependency (``pip install amends[postgres]``): it is
imported only when a ``postgresql://`` database is opened.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from amends.core.errors import Busy, Cancelled, DatabaseProblem
from amends.core.store import pg_schema
from amends.core.store.connection import Database
from amends.core.store.dialect import to_postgres
from amends.core.store.schema import CURRENT_VERSION, SCRIPTS

log = logging.getLogger(__name__)

#: The advisory lock every write transaction holds (SQLite's one write lock).
WRITE_LOCK = 0x616D656E  # "amen"
WAIT_SLICE_SECONDS = 0.2


def is_url(target: str | Path) -> bool:
    """Whether ``--db`` / AMENDS_DB names a server rather than a file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class Row(tuple):
    """Like ``sqlite3.Row``: by index, by column name, ``keys()``, ``dict(row)``."""

    _names: tuple[str, ...] = ()
    _index: dict[str, int] = {}  # noqa: RUF012 (replaced per row; one dict shared by a query's rows)

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...], index: dict[str, int] | None = None) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        row._index = index if index is not None else {name: i for i, name in enumerate(names)}
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            position = self._index.get(key)  # a dict, not names.index: exports read millions of fields
            if position is not None:
                return tuple.__getitem__(self, position)
            lowered = key.lower()
            for i, name in enumerate(self._names):
                if name.lower() == lowered:
                    return tuple.__getitem__(self, i)
            raise IndexError(f"No item with that key: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    names = tuple(column.name for column in (cursor.description or ()))
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)  # the first of two same-named columns, as names.index gave
    return lambda values: Row(values, names, index)


def _as_sqlite_error(error: Exception, where: str) -> Exception:
    """The sqlite3 exception the services already handle, for a psycopg one."""
    import psycopg

    text = f"{error}".strip()
    if isinstance(error, psycopg.errors.IntegrityError):
        return sqlite3.IntegrityError(text)
    if isinstance(error, psycopg.errors.RaiseException | psycopg.errors.RestrictViolation):
        return sqlite3.IntegrityError(text)
    if isinstance(error, psycopg.OperationalError):
        return DatabaseProblem(f"{where}: the server could not be reached or stopped answering ({text}).",
                               path=where, hint="Check the server and the network, then try again.")
    if isinstance(error, psycopg.errors.QueryCanceled):
        return sqlite3.OperationalError("interrupted")
    return sqlite3.OperationalError(text)


class Cursor:
    """What services use of an ``sqlite3.Cursor``: fetch*, lastrowid, rowcount, iteration."""

    def __init__(self, raw: Any, lastrowid: int | None = None) -> None:
        self._raw = raw
        self.lastrowid = lastrowid
        self._pending: list[Any] = []

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount

    @property
    def description(self) -> Any:
        return self._raw.description

    def fetchone(self) -> Any:
        if self._pending:
            return self._pending.pop(0)
        return self._raw.fetchone() if self._raw.description else None

    def fetchall(self) -> list[Any]:
        rows, self._pending = self._pending, []
        return rows + (self._raw.fetchall() if self._raw.description else [])

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Connection:
    """What services use of an ``sqlite3.Connection``, over a psycopg one."""

    def __init__(self, raw: Any, where: str) -> None:
        self.raw = raw
        self.where = where
        self._id_tables: dict[str, bool] = {}
        self.row_factory: Any = None  # accepted for sqlite3 compatibility; rows are always Row

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def _has_id(self, table: str) -> bool:
        if table not in self._id_tables:
            found = self.raw.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                                     " AND table_name = %s AND column_name = 'id'", (table,)).fetchone()
            if found is None:  # not created yet (or a view): ask again next time
                return False
            self._id_tables[table] = True
        return self._id_tables[table]

    def execute(self, sql: str, params: Sequence[Any] | dict = (), *, tuples: bool = False) -> Cursor:
        stripped = sql.strip().rstrip(";").upper()
        if stripped in ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "COMMIT", "ROLLBACK"):
            return self._control(stripped)
        statement = to_postgres(sql)
        text = statement.sql
        fetch_id = (statement.insert_table is not None and not statement.returning and not statement.explicit_id
                    and self._has_id(statement.insert_table))
        if fetch_id:
            text += " RETURNING id"
        try:
            cursor = self.raw.cursor(row_factory=None if tuples else _row_factory)
            cursor.execute(text, params if isinstance(params, dict) else tuple(params), prepare=None)
        except Exception as error:
            if _is_psycopg(error):
                raise _as_sqlite_error(error, self.where) from error
            raise
        if text.lstrip().upper().startswith(("CREATE", "ALTER", "DROP")):
            self._id_tables.clear()
        if statement.explicit_id and statement.insert_table:
            self._advance(statement.insert_table)
        if fetch_id:
            row = cursor.fetchone()
            return Cursor(cursor, None if row is None else row[0])
        return Cursor(cursor)

    def _control(self, word: str) -> Cursor:
        # BEGIN DEFERRED is a read snapshot (exports): one consistent view on a server too
        word = {"BEGIN DEFERRED": "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                "BEGIN IMMEDIATE": "BEGIN"}.get(word, word)
        cursor = self.raw.cursor()
        try:
            cursor.execute(word)
        except Exception as error:
            if _is_psycopg(error):
                raise _as_sqlite_error(error, self.where) from error
            raise
        return Cursor(cursor)

    def executemany(self, sql: str, rows: Any) -> Cursor:
        statement = to_postgres(sql)
        cursor = self.raw.cursor()
        try:
            cursor.executemany(statement.sql, list(rows))
        except Exception as error:
            if _is_psycopg(error):
                raise _as_sqlite_error(error, self.where) from error
            raise
        if statement.explicit_id and statement.insert_table:
            self._advance(statement.insert_table)
        return Cursor(cursor)

    # Services that take "a Database or a connection" (customers.subscription_at …) tell
    # them apart with isinstance(…, sqlite3.Connection); this one answers like a Database.
    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> list[Any]:
        return self.execute(sql, params).fetchall()

    def tuples(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        return [tuple(row) for row in self.execute(sql, params, tuples=True).fetchall()]

    def one(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def _advance(self, table: str) -> None:
        """After rows were written with their own ids: new rows get ids after them (as SQLite's rowid would)."""
        self.raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                         "HAVING max(id) IS NOT NULL")

    def cursor(self) -> Connection:
        return self

    def interrupt(self) -> None:
        self.raw.cancel_safe()

    def close(self) -> None:
        self.raw.close()


def _is_psycopg(error: BaseException) -> bool:
    import psycopg

    return isinstance(error, psycopg.Error)


def _connect(url: str) -> Any:
    try:
        import psycopg
        from psycopg.adapt import Loader
    except ImportError as error:
        raise DatabaseProblem(f"{redact(url)}: PostgreSQL needs the psycopg package, which is not installed.",
                              path=redact(url), hint="Install it with: pip install 'amends[postgres]'") from error

    class Number(Loader):
        """numeric → int or float, as SQLite gives them (sum() of integers is numeric here)."""

        def load(self, data: Any) -> Any:
            text = bytes(data).decode()
            return float(text) if ("." in text or "e" in text.lower() or "N" in text) else int(text)

    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as error:
        raise DatabaseProblem(f"Cannot connect to {redact(url)}: {str(error).strip()}", path=redact(url),
                              hint="Check the address, the user and that the server is running.") from error
    raw.adapters.register_loader("numeric", Number)
    # bool as 0/1 like SQLite (columns are integers); str sent as text
    from psycopg.types.numeric import IntDumper

    class BoolAsInt(IntDumper):
        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    raw.adapters.register_dumper(bool, BoolAsInt)
    return raw


@dataclass
class PostgresDatabase(Database):
    """A connection to one Amends database on a PostgreSQL server."""

    url: str = ""
    _changes_seen: int = field(default=0, repr=False)
    _own_commit: int = field(default=-1, repr=False)

    @property
    def _pg(self) -> Connection:
        return cast(Connection, self.conn)

    @classmethod
    def open(cls, path: str | Path, actor: str, *, create: bool = True,
             after_migration: Callable[[Any, int], None] | None = None) -> PostgresDatabase:
        url = str(path)
        conn = Connection(_connect(url), redact(url))
        try:
            migrate(conn, after=after_migration)
        except BaseException:
            conn.close()
            raise
        db = cls(conn=conn, path=Path(redact(url)), actor=actor, journal_mode="postgresql",  # type: ignore[arg-type]
                 url=url)
        db._changes_seen = db._changes()
        log.info("Opened %s (PostgreSQL)", redact(url))
        return db

    def reopen(self) -> PostgresDatabase:
        return PostgresDatabase.open(self.url, self.actor, create=False)

    def close(self) -> None:
        if not self._pg.raw.closed:
            self._pg.close()

    def _read(self, sql: str, params: Sequence[Any] | dict, *, tuples: bool = False) -> Cursor:
        return self._pg.execute(sql, params, tuples=tuples)

    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> list[Any]:
        return self._read(sql, params).fetchall()

    def tuples(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        return [tuple(row) for row in self._read(sql, params, tuples=True).fetchall()]

    def one(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        return self._read(sql, params).fetchone()

    def _changes(self) -> int:
        return int(self._pg.raw.execute("SELECT n FROM amends_changes").fetchone()[0])

    def data_version(self) -> int:
        """Changes when *another* connection commits a write (a counter every write bumps)."""
        now = self._changes()
        if now != self._own_commit:
            self._changes_seen = now
        return self._changes_seen

    @property
    def schema_version(self) -> int:
        return _version(self._pg)

    @contextmanager
    def transaction(self, *, wait: bool = True) -> Iterator[Any]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self._begin(patient=wait)
            self._depth = 1
            try:
                yield self.conn
                row = self._pg.raw.execute("UPDATE amends_changes SET n = n + 1 RETURNING n").fetchone()
            except BaseException:
                self._depth = 0
                if self._pg.in_transaction:
                    self._pg.raw.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                self._pg.execute("COMMIT")
            except BaseException:
                if self._pg.in_transaction:
                    self._pg.raw.execute("ROLLBACK")
                raise
            self._own_commit = int(row[0])

    def _begin(self, patient: bool) -> None:
        """BEGIN and the write lock, waiting in slices and asking ``waiter`` like SQLite's Database.

        A free lock is taken at once (one round trip). Otherwise the wait *blocks* on
        the server for a slice at a time (``lock_timeout``), so the lock goes to the
        next writer the moment it is released, in the order they asked: polling it
        with sleeps in between left it idle between writers (8 writer processes:
        13 resolutions/s against 224 for the same rows raw, benchmarks/bench_postgres.py)."""
        import psycopg

        started = time.monotonic()
        raw = self._pg.raw
        self._pg.execute("BEGIN")
        if raw.execute("SELECT pg_try_advisory_xact_lock(%s)", (WRITE_LOCK,)).fetchone()[0]:
            return
        while True:
            elapsed = time.monotonic() - started
            if elapsed >= self.write_wait_seconds or not patient:
                self._pg.raw.execute("ROLLBACK")
                raise Busy(f"{self.path}: another user kept the database busy for {elapsed:.0f} s; nothing was saved.",
                           path=str(self.path), hint="Try again in a moment.")
            if self.waiter is not None and not self.waiter(elapsed):
                self._pg.raw.execute("ROLLBACK")
                raise Cancelled("You stopped waiting for the other user; nothing was saved.")
            slice_ms = max(1, int(1000 * min(WAIT_SLICE_SECONDS, self.write_wait_seconds - elapsed)))
            try:  # one round trip; a timeout undoes the savepoint, and the SET LOCAL with it
                raw.execute(f"SAVEPOINT amends_lock_wait; SET LOCAL lock_timeout = {slice_ms}; "
                            f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            except psycopg.errors.LockNotAvailable:
                raw.execute("ROLLBACK TO SAVEPOINT amends_lock_wait")
                continue
            except psycopg.Error as error:  # e.g. interrupted (Cancel) while waiting: nothing was saved
                raw.execute("ROLLBACK")
                raise _as_sqlite_error(error, self._pg.where) from error
            raw.execute("RELEASE SAVEPOINT amends_lock_wait; SET LOCAL lock_timeout TO DEFAULT")
            return

    def interrupt(self) -> None:
        self._pg.interrupt()


def _version(conn: Connection) -> int:
    exists = conn.raw.execute("SELECT to_regclass('amends_schema')").fetchone()[0]
    if exists is None:
        return 0
    row = conn.raw.execute("SELECT max(version) FROM amends_schema").fetchone()
    return int(row[0] or 0)


_lock = threading.Lock()


def migrate(conn: Connection, after: Callable[[Any, int], None] | None = None) -> int:
    """Bring the server's schema up to date, one transaction per version under the
    write lock (two first openers do not both create it); return the version it had."""
    from amends.core.store.migrations import UPGRADES, refuse_if_too_new

    start = _version(conn)
    refuse_if_too_new(start, conn.where)
    if start >= CURRENT_VERSION:
        return start
    with _lock:
        conn.execute("BEGIN")
        try:
            conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            if _version(conn) == 0:
                for statement in pg_schema.PRELUDE:
                    conn.raw.execute(statement)
                conn.raw.execute("CREATE TABLE IF NOT EXISTS amends_changes (n BIGINT NOT NULL)")
                conn.raw.execute("INSERT INTO amends_changes SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM amends_changes)")
            conn.raw.execute("COMMIT")
        except BaseException:
            conn.raw.execute("ROLLBACK")
            raise
        for version in range(start + 1, CURRENT_VERSION + 1):
            conn.execute("BEGIN")
            try:
                conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                if _version(conn) < version:
                    for statement in pg_schema.translate(version):
                        conn.raw.execute(statement)
                    conn._id_tables.clear()
                    if version in UPGRADES and version in SCRIPTS:
                        UPGRADES[version](cast(sqlite3.Connection, conn))
                    conn.raw.execute("DELETE FROM amends_schema")
                    conn.raw.execute("INSERT INTO amends_schema (version) VALUES (%s)", (version,))
                    if after is not None:
                        after(conn, version)
                conn.raw.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.raw.execute("ROLLBACK")
                raise
    return start
