"""``PostgresDatabase``: the same :class:`~amends.core.store.Database` on a
PostgreSQL server through psycopg 3 (issue 19, docs/SCALING.md).

Services keep calling ``db.query/one/scalar/tuples`` and ``with
db.transaction() as conn: conn.execute(...)`` with SQLite SQL; every
statement goes through :func:`amends.core.store.dialect.to_postgres` (once,
cached). Writes keep SQLite's semantics by default: a transaction first takes
one server-wide advisory lock, so writers are serialised exactly as ``BEGIN
IMMEDIATE`` serialises them on a file (services read-then-write inside a
transaction and rely on that). A transaction that says which tickets it
reads-then-writes (``transaction(tickets=...)``: resolving, editing a ticket's
fields) takes that lock *shared* plus one exclusive lock per ticket instead,
so writers of different tickets run side by side while two writers of one
ticket still wait for each other, and every unscoped writer still excludes
them all (issue 19, 8 writers).
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from amends.core.errors import Busy, Cancelled, ConnectionLost, DatabaseProblem, ValidationError
from amends.core.store import location, pg_access, pg_listen, pg_schema
from amends.core.store.connection import Database
from amends.core.store.dialect import to_postgres
from amends.core.store.schema import CURRENT_VERSION, SCRIPTS

log = logging.getLogger(__name__)

#: Seconds to wait for a server: the first connection, and each reconnection try.
CONNECT_TIMEOUT = 10
RECONNECT_TIMEOUT = 3
#: The advisory lock every write transaction holds (SQLite's one write lock):
#: exclusive, or shared by the transactions scoped to some tickets.
WRITE_LOCK = 0x616D656E  # "amen"
#: The first key of the per-ticket advisory locks (two-key form: (TICKET_LOCKS, ticket id)).
TICKET_LOCKS = 0x616D7463  # "amtc"
#: A transaction scoped to more tickets than this takes the whole-database lock instead.
MAX_SCOPED_TICKETS = 200
WAIT_SLICE_SECONDS = 0.2
#: The table a write statement changes (what a commit's NOTIFY names, store/pg_listen.py).
_WRITES = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|"
                     r"TRUNCATE(?:\s+TABLE)?)\s+(\w+)", re.IGNORECASE)
_SCHEMA_CHANGES = re.compile(r"^\s*(?:CREATE|DROP|ALTER)\b", re.IGNORECASE)


def is_url(target: str | Path) -> bool:
    """Whether ``--db`` / AMENDS_DB names a server rather than a file (store/location.py decides)."""
    return location.is_server_url(target)


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


_EXPLAIN_PLAN = re.compile(r"^\s*EXPLAIN\s+QUERY\s+PLAN\s+", re.IGNORECASE)
_NUL = "\x00"


def _nul_field(sql: str, params: Any) -> str | None:
    """The column a text parameter holding NUL was meant for (best effort), or None if none holds one."""
    values = list(params.items()) if isinstance(params, dict) else list(enumerate(params or ()))
    for key, value in values:
        if isinstance(value, str) and _NUL in value:
            if isinstance(key, str):
                return key
            insert = re.match(r"\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w+\s*\(([^)]*)\)\s*VALUES\s*\(([^)]*)\)", sql,
                              re.IGNORECASE)
            if insert:
                columns = [c.strip() for c in insert.group(1).split(",")]
                slots = [i for i, v in enumerate(insert.group(2).split(",")) if v.strip() == "?"]
                if key < len(slots) and slots[key] < len(columns):
                    return columns[slots[key]]
            before = sql.split("?")[:key + 1]
            named = re.search(r"(\w+)\s*(?:=|<>|<=|>=|<|>|LIKE)\s*$", before[-1] if before else "", re.IGNORECASE)
            return named.group(1) if named else "text"
    return None


def _as_sqlite_error(error: Exception, where: str, sql: str = "", params: Any = ()) -> Exception:
    """The sqlite3 exception the services already handle, for a psycopg one."""
    import psycopg

    text = f"{error}".strip()
    if isinstance(error, psycopg.DataError) and "NUL" in text:
        field_name = _nul_field(sql, params) or "text"
        # SQLite keeps NUL characters in text; PostgreSQL's text type cannot: refused, naming the field
        return ValidationError([(field_name, "contains a NUL character (\\x00), which PostgreSQL cannot store in "
                                             "text; remove it")])
    if isinstance(error, psycopg.errors.IntegrityError):
        return sqlite3.IntegrityError(text)
    if isinstance(error, psycopg.errors.RaiseException | psycopg.errors.RestrictViolation):
        return sqlite3.IntegrityError(text)
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return DatabaseProblem(f"{where}: the server refused: {text}.", path=where,
                               hint="Published policy versions and the audit log can only be added to; other "
                                    "changes to the schema need the database's owner.")
    if isinstance(error, psycopg.errors.QueryCanceled):  # an OperationalError too: first
        return sqlite3.OperationalError("interrupted")
    if isinstance(error, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure):
        # two writers each waiting for the other's tickets: the server gave up one of them
        return Busy(f"{where}: another user was changing the same tickets at the same moment; nothing was saved.",
                    path=where, hint="Try again.")
    if isinstance(error, psycopg.OperationalError):
        state = getattr(error, "sqlstate", None) or ""
        # no SQLSTATE: the client lost the socket; 08…: connection exceptions; 57P01–03: the server shut down
        if not state or state.startswith("08") or state in ("57P01", "57P02", "57P03"):
            return ConnectionLost(f"{where}: the server could not be reached or stopped answering "
                                  f"({' '.join(text.split())}); nothing of it was saved.",
                                  path=where, hint="Amends reconnects by itself when the server is back.")
        return DatabaseProblem(f"{where}: the server refused the work ({' '.join(text.split())}).",
                               path=where, hint="Check the server, then try again.")
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
        return self._raw.fetchone() if self._raw is not None and self._raw.description else None

    def fetchall(self) -> list[Any]:
        rows, self._pending = self._pending, []
        return rows + (self._raw.fetchall() if self._raw is not None and self._raw.description else [])

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Connection:
    """What services use of an ``sqlite3.Connection``, over a psycopg one."""

    def __init__(self, raw: Any, where: str) -> None:
        self.raw = raw
        self.where = where
        self._id_tables: dict[str, bool] = {}
        #: rows changed by this connection (SQLite's total_changes())
        self.total_changes = 0
        #: what core code that must differ asks (store.schema_check, health)
        self.dialect = "postgresql"
        self.row_factory: Any = None  # accepted for sqlite3 compatibility; rows are always Row
        #: the tables the open write transaction changed ("*": the schema, i.e. anything); None outside one
        self.written: set[str] | None = None

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

    def _note_write(self, sql: str) -> None:
        if self.written is None:
            return
        write = _WRITES.match(sql)
        if write is not None:
            self.written.add(write.group(1).lower())
        elif _SCHEMA_CHANGES.match(sql):
            self.written.add("*")

    def execute(self, sql: str, params: Sequence[Any] | dict = (), *, tuples: bool = False) -> Cursor:
        stripped = sql.strip().rstrip(";").upper()
        if stripped in ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "COMMIT", "ROLLBACK"):
            return self._control(stripped)
        if stripped == "SELECT TOTAL_CHANGES()":
            # SQLite's count of rows this connection changed: counted here (no server equivalent)
            return self.execute("SELECT CAST(? AS BIGINT)", (self.total_changes,), tuples=tuples)
        if _EXPLAIN_PLAN.match(sql):
            return self._plan(_EXPLAIN_PLAN.sub("", sql, count=1), params)
        self._note_write(sql)
        statement = to_postgres(sql)
        text = statement.sql
        fetch_id = (statement.insert_table is not None and not statement.returning and not statement.explicit_id
                    and self._has_id(statement.insert_table))
        if fetch_id:
            text += " RETURNING id"
        try:
            cursor = self.raw.cursor(row_factory=None if tuples else _row_factory)
            cursor.execute(text, statement.parameters(params if isinstance(params, dict) else tuple(params)),
                           prepare=None)
        except Exception as error:
            if _is_psycopg(error):
                raise _as_sqlite_error(error, self.where, sql, params) from error
            raise
        if cursor.rowcount > 0 and stripped.startswith(("INSERT", "UPDATE", "DELETE", "WITH")) \
                and not stripped.startswith("UPDATE AMENDS_CHANGES"):  # the store's own counter is no change
            self.total_changes += cursor.rowcount
        if text.lstrip().upper().startswith(("CREATE", "ALTER", "DROP")):
            self._id_tables.clear()
        if statement.explicit_id and statement.insert_table:
            self._advance(statement.insert_table)
        if fetch_id:
            row = cursor.fetchone()
            return Cursor(cursor, None if row is None else row[0])
        return Cursor(cursor)

    def _plan(self, sql: str, params: Sequence[Any] | dict) -> Cursor:
        """``EXPLAIN QUERY PLAN`` read as SQLite's: rows (id, parent, 0, detail), the
        index names as they are and a Sort node as ``USE TEMP B-TREE``. Asked with
        sequential scans and sorts priced out, so that on a test's few rows it says
        whether an index *can* give the rows in order, which is what SQLite's plan says."""
        statement = to_postgres(sql)
        outer = not self.in_transaction
        if outer:
            self.raw.execute("BEGIN")
        try:
            self.raw.execute("SET LOCAL enable_seqscan = off")
            self.raw.execute("SET LOCAL enable_sort = off")
            lines = [row[0] for row in self.raw.execute(
                "EXPLAIN " + statement.sql, statement.parameters(params if isinstance(params, dict) else tuple(params)))]
        except Exception as error:
            if _is_psycopg(error):
                raise _as_sqlite_error(error, self.where, sql, params) from error
            raise
        finally:
            if outer:
                self.raw.execute("ROLLBACK")
        cursor = Cursor(None)
        cursor._pending = [(i, 0, 0, line + (" USE TEMP B-TREE FOR ORDER BY" if re.search(r"\bSort\b", line) else ""))
                           for i, line in enumerate(lines)]
        return cursor

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
        self._note_write(sql)
        statement = to_postgres(sql)
        cursor = self.raw.cursor()
        rows = list(rows)
        try:
            cursor.executemany(statement.sql, [statement.parameters(row) for row in rows])
        except Exception as error:
            if _is_psycopg(error):
                raise _as_sqlite_error(error, self.where, sql, *rows[:1]) from error
            raise
        if cursor.rowcount > 0:
            self.total_changes += cursor.rowcount
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


def _connect(url: str, actor: str = "", timeout: float = CONNECT_TIMEOUT, password: str | None = None) -> Any:
    """A psycopg connection to ``url`` (which has no password: the kept one is
    added here, never written back), named after the person for the server's views."""
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

    address = pg_access.parse(url)[0]
    extra: dict[str, Any] = {"application_name": f"Amends: {actor}"[:63]} if actor else {}
    password = password or pg_access.password_for(url)
    if password:
        extra["password"] = password
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)), **extra)
    except psycopg.Error as error:
        reason, hint = pg_access.explain(" ".join(str(error).split()), address)
        raise DatabaseProblem(f"Cannot connect to {redact(url)}: {reason}", path=redact(url), hint=hint) from error
    raw.adapters.register_loader("numeric", Number)
    # bool as 0/1 like SQLite (columns are integers); str sent as text
    from psycopg.types.numeric import IntDumper

    class BoolAsInt(IntDumper):
        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    raw.adapters.register_dumper(bool, BoolAsInt)
    return raw


@dataclass(frozen=True)
class ServerCheck:
    """What "Test connection" found (File → Connect to server…)."""

    server_version: str
    tls: bool
    user: str
    schema_version: int  # 0: an empty database, which Amends sets up when it connects

    def describe(self) -> str:
        what = (f"an Amends database (schema {self.schema_version})" if self.schema_version
                else "an empty database: Amends sets it up when you connect")
        secure = "encrypted (TLS)" if self.tls else "NOT encrypted (no TLS)"
        return f"Connected as {self.user} to PostgreSQL {self.server_version}, {secure}; {what}."


def probe(url: str, password: str | None = None, timeout: float = 5) -> ServerCheck:
    """Connect, look and leave (nothing is created or changed): for "Test connection"."""
    url = pg_access.parse(url)[0].url()
    raw = _connect(url, timeout=timeout, password=password)
    try:
        conn = Connection(raw, redact(url))
        version = _version(conn)
        return ServerCheck(server_version=str(raw.info.parameter_status("server_version") or "?"),
                           tls=bool(raw.pgconn.ssl_in_use), user=str(raw.info.user), schema_version=version)
    finally:
        raw.close()


@dataclass
class PostgresDatabase(Database):
    """A connection to one Amends database on a PostgreSQL server."""

    url: str = ""
    #: Told False when the server stopped answering, True when it answers again
    #: (the app's "connection lost" banner). Called on the thread that used the database.
    connection_listeners: list[Callable[[bool], None]] = field(default_factory=list, repr=False)
    _changes_seen: int = field(default=0, repr=False)
    _own_commit: int = field(default=-1, repr=False)
    _lost: bool = field(default=False, repr=False)
    #: the tickets the open transaction locked; None: the whole database (or none open)
    _scope: frozenset[int] | None = field(default=None, repr=False)

    @property
    def location(self) -> str:
        """The server's URL without its password (``path`` is that URL as a Path: one slash lost)."""
        return redact(self.url)

    @property
    def _pg(self) -> Connection:
        return cast(Connection, self.conn)

    @classmethod
    def open(cls, path: str | Path, actor: str, *, create: bool = True,
             after_migration: Callable[[Any, int], None] | None = None) -> PostgresDatabase:
        url = pg_access.take_password(str(path))  # a password given in the URL goes to the keyring
        conn = Connection(_connect(url, actor), redact(url))
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

    @property
    def tls(self) -> bool:
        """Whether this connection is encrypted (``sslmode`` in the URL decides)."""
        return bool(self._pg.raw.pgconn.ssl_in_use)

    # -- a lost connection ---------------------------------------------------------
    def _tell(self, up: bool) -> None:
        if self._lost == (not up):
            return
        self._lost = not up
        log.warning("%s: %s", redact(self.url), "the server answers again" if up else "the server stopped answering")
        for listener in list(self.connection_listeners):
            listener(up)

    def _ensure_connected(self) -> None:
        """Before each use: a connection the server dropped is replaced (one
        quick try; ConnectionLost when the server is still away)."""
        raw = self._pg.raw
        if not (raw.closed or raw.broken):
            return
        if self._depth:
            raise ConnectionLost(f"{redact(self.url)}: the server stopped answering in the middle of a change; "
                                 "nothing of it was saved.", path=redact(self.url))
        try:
            fresh = _connect(self.url, self.actor, timeout=RECONNECT_TIMEOUT)
        except DatabaseProblem as problem:
            self._tell(False)
            raise ConnectionLost(f"{redact(self.url)}: the server cannot be reached ({problem}).",
                                 path=redact(self.url),
                                 hint="Amends reconnects by itself when the server is back.") from problem
        if not raw.closed:
            raw.close()
        self.conn = Connection(fresh, redact(self.url))  # type: ignore[assignment]
        self._changes_seen = -1  # whatever others did meanwhile: everything shown is re-read
        self._tell(True)

    def _lost_now(self, error: BaseException) -> None:
        if isinstance(error, ConnectionLost):
            self._tell(False)

    def ping(self) -> bool:
        """Reconnect if needed; whether the server answers (the banner's retry)."""
        try:
            self._ensure_connected()
            self._pg.raw.execute("SELECT 1")
        except ConnectionLost:
            return False
        except Exception as error:
            if _is_psycopg(error):
                self._tell(False)
                return False
            raise
        return True

    def _read(self, sql: str, params: Sequence[Any] | dict, *, tuples: bool = False) -> Cursor:
        self._ensure_connected()
        try:
            return self._pg.execute(sql, params, tuples=tuples)
        except ConnectionLost as error:
            self._lost_now(error)
            raise

    def query(self, sql: str, params: Sequence[Any] | dict = ()) -> list[Any]:
        return self._read(sql, params).fetchall()

    def tuples(self, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
        return [tuple(row) for row in self._read(sql, params, tuples=True).fetchall()]

    def one(self, sql: str, params: Sequence[Any] | dict = ()) -> Any:
        return self._read(sql, params).fetchone()

    def _changes(self) -> int:
        return int(self._read("SELECT n FROM amends_changes", ()).fetchone()[0])

    @property
    def backend_pid(self) -> int:
        """This connection's server process: what its commits' notifications carry."""
        return int(self._pg.raw.info.backend_pid)

    def listen(self, on_change: Callable[[pg_listen.Notice], None],
               on_state: Callable[[bool, str], None] | None = None, *,
               retry_seconds: float = 2.0) -> pg_listen.ChangeListener:
        """Hear other connections' commits as they happen (LISTEN/NOTIFY, on a
        connection and thread of its own; this connection's commits are left
        out). See store/pg_listen.py."""
        return pg_listen.ChangeListener(self.url, on_change, on_state, ignore_pid=self.backend_pid,
                                        retry_seconds=retry_seconds, where=redact(self.url)).start()

    #: the change counter below is in commit order and not moved by presence heartbeats
    data_version_skips_presence = True

    def data_version(self) -> int:
        """Changes when *another* connection commits a write other than a presence
        heartbeat (a counter those writes bump, serialised at commit: in commit
        order, unlike ids, when writers of different tickets run side by side)."""
        now = self._changes()
        if now != self._own_commit:
            self._changes_seen = now
        return self._changes_seen

    @property
    def schema_version(self) -> int:
        return _version(self._pg)

    @contextmanager
    def transaction(self, *, wait: bool = True, tickets: Iterable[int] | None = None) -> Iterator[Any]:
        """One write transaction (see :meth:`Database.transaction`). ``tickets``:
        the only tickets whose rows it reads-then-writes (its other writes only
        add rows); then only writers of the same tickets, and unscoped writers,
        wait for it. A nested call widens the outer one's locks if it needs more."""
        scope = _scope(tickets)
        with self._lock:
            if self._depth:
                self._widen(scope)
                with self._joined() as conn:
                    yield conn
                return
            self._ensure_connected()
            try:
                self._begin(patient=wait, scope=scope)
            except ConnectionLost as error:
                self._lost_now(error)
                raise
            self._depth = 1
            self._scope = scope
            self._pg.written = set()
            try:
                yield self.conn
                written = set(self._pg.written or ())
            except BaseException as error:
                self._depth = 0
                self._pg.written = None
                self._lost_now(error)
                self._rollback()
                raise
            self._depth = 0
            self._pg.written = None
            try:
                self._own_commit = self._commit(written)
            except BaseException as error:
                self._lost_now(error)
                self._rollback()
                raise

    def _rollback(self) -> None:
        """After a failed write; on a connection the server dropped there is nothing to roll back."""
        raw = self._pg.raw
        if not (raw.closed or raw.broken) and self._pg.in_transaction:
            raw.execute("ROLLBACK")

    def _commit(self, written: set[str]) -> int:
        """Count the change, NOTIFY what it changed and COMMIT: one round trip.

        The change counter's row is updated last and in the same message as the
        COMMIT, so concurrent writers queue on it (and on the server's notify
        lock, taken at commit) only for the commit itself, not for their work.
        The NOTIFY is delivered when (and only if) the transaction commits.
        Returns the counter's value after this commit."""
        from psycopg import sql

        tables = () if "*" in written else written
        text = pg_listen.payload(0, self.backend_pid, self.actor, tables)
        # a presence heartbeat is no change to the data: the counter stays (data_version, live.py)
        counted = "SELECT n FROM amends_changes" if written == {"presence"} else \
            "UPDATE amends_changes SET n = n + 1 RETURNING n"
        query = sql.SQL("WITH c AS (" + counted + ") "
                        "SELECT c.n, pg_notify({}, jsonb_set({}::jsonb, '{{n}}', to_jsonb(c.n))::text) FROM c; "
                        "COMMIT").format(sql.Literal(pg_listen.CHANNEL), sql.Literal(text))
        try:
            row = self._pg.raw.execute(query).fetchone()
        except Exception as error:
            if _is_psycopg(error):
                raise _as_sqlite_error(error, self._pg.where) from error
            raise
        return int(row[0])

    def _lock_statement(self, scope: frozenset[int] | None) -> str:
        """The SQL that takes a transaction's write locks (blocking): the database
        lock, exclusive; or shared plus each ticket's, in id order (no two scoped
        writers wait for each other in a circle)."""
        if scope is None:
            return f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"
        ids = ",".join(str(i) for i in sorted(scope))
        return (f"SELECT pg_advisory_xact_lock_shared({WRITE_LOCK}), (SELECT count(pg_advisory_xact_lock("
                f"{TICKET_LOCKS}, id)) FROM (SELECT unnest(ARRAY[{ids}]::int[]) AS id ORDER BY 1) AS t)")

    def _widen(self, scope: frozenset[int] | None) -> None:
        """A nested transaction that needs more than the outer one locked takes it now."""
        held = self._scope
        if held is None:
            return  # the whole database is held already
        if scope is None:
            log.info("a write scoped to tickets %s also writes outside them: taking the whole database",
                     sorted(held))
            self._lock_wait(self._lock_statement(None), patient=True, started=time.monotonic())
            self._scope = None
        elif not scope <= held:
            self._lock_wait(self._lock_statement(scope - held), patient=True, started=time.monotonic())
            self._scope = held | scope

    def _begin(self, patient: bool, scope: frozenset[int] | None = None) -> None:
        """BEGIN and the write locks, waiting in slices and asking ``waiter`` like SQLite's Database.

        Free locks are taken at once, with the BEGIN, in one round trip. Otherwise the wait
        *blocks* on the server for a slice at a time (``lock_timeout``), so the lock goes to
        the next writer the moment it is released, in the order they asked: polling it
        with sleeps in between left it idle between writers (8 writer processes:
        13 resolutions/s against 224 for the same rows raw, benchmarks/bench_postgres.py)."""
        started = time.monotonic()
        self._lock_wait(self._lock_statement(scope), patient, started, begin=True)

    def _lock_wait(self, statement: str, patient: bool, started: float, *, begin: bool = False) -> None:
        """Run the blocking ``statement`` in ``lock_timeout`` slices inside the open
        transaction (opened first, in the same round trip, when ``begin``), until
        it has its locks; Busy or Cancelled (rolled back) otherwise."""
        import psycopg

        raw = self._pg.raw
        tries = 0
        while True:
            elapsed = time.monotonic() - started
            if tries:
                if elapsed >= self.write_wait_seconds or not patient:
                    raw.execute("ROLLBACK")
                    raise Busy(f"{self.location}: another user kept the database busy for {elapsed:.0f} s; "
                               "nothing was saved.", path=self.location, hint="Try again in a moment.")
                if self.waiter is not None and not self.waiter(elapsed):
                    raw.execute("ROLLBACK")
                    raise Cancelled("You stopped waiting for the other user; nothing was saved.")
            slice_s = min(WAIT_SLICE_SECONDS, max(0.001, self.write_wait_seconds - elapsed))
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
                raise _as_sqlite_error(error, self._pg.where) from error
            return

    def interrupt(self) -> None:
        self._pg.interrupt()


def _scope(tickets: Iterable[int] | None) -> frozenset[int] | None:
    """The tickets a transaction locks, or None for the whole database (unscoped, or too many)."""
    if tickets is None:
        return None
    scope = frozenset(int(t) for t in tickets)
    return scope if 0 < len(scope) <= MAX_SCOPED_TICKETS else None


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
        if _access_revision(conn) < pg_schema.ACCESS_REVISION:
            if _owns_schema(conn):
                with _lock:
                    _apply_access(conn)
            else:
                log.warning("%s: the grants of the role %s are not set yet: the database's owner sets them "
                            "when they next open it", conn.where, pg_schema.APP_ROLE)
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
        _apply_access(conn)
    return start


def _access_revision(conn: Connection) -> int:
    if conn.raw.execute("SELECT to_regclass('amends_access')").fetchone()[0] is None:
        return 0
    row = conn.raw.execute("SELECT max(revision) FROM amends_access").fetchone()
    return int(row[0] or 0)


def _owns_schema(conn: Connection) -> bool:
    """Whether this role owns (or is in the role owning) the tables: only the owner grants."""
    row = conn.raw.execute("SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables "
                           "WHERE schemaname = current_schema() AND tablename = 'tickets'").fetchone()
    return bool(row and row[0])


def _apply_access(conn: Connection) -> None:
    """After the schema: the truncate guards and the app role's grants
    (pg_schema's access section), in one transaction under the write lock.
    When the app role cannot be made here, the triggers still go in, the
    grants wait for an opening by someone who may (a warning says so)."""
    conn.execute("BEGIN")
    try:
        conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        conn.raw.execute("CREATE TABLE IF NOT EXISTS amends_access (revision INTEGER NOT NULL)")
        for statement in pg_schema.truncate_triggers():
            conn.raw.execute(statement)
        why_not = pg_schema.ensure_app_role(conn.raw)
        if why_not:
            log.warning("%s: the app role's grants were not set: %s", conn.where, why_not)
        else:
            for statement in pg_schema.grant_statements():
                conn.raw.execute(statement)
            conn.raw.execute("DELETE FROM amends_access")
            conn.raw.execute("INSERT INTO amends_access (revision) VALUES (%s)", (pg_schema.ACCESS_REVISION,))
        conn.raw.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.raw.execute("ROLLBACK")
        raise
