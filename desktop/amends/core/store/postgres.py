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

Its parts: pg_connection.py (the sqlite3-like connection and rows),
pg_errors.py (the error translation), pg_locks.py (the write locks),
pg_migrate.py (the schema brought up to date).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from amends.core.errors import ConnectionLost, DatabaseProblem
from amends.core.store import location, pg_access, pg_listen, pg_locks
from amends.core.store.connection import Database
from amends.core.store.pg_connection import Connection, Cursor, connect, redact, schema_version
from amends.core.store.pg_errors import is_psycopg, translated
from amends.core.store.pg_migrate import migrate

__all__ = ["PostgresDatabase", "ServerCheck", "is_url", "probe", "redact"]

log = logging.getLogger(__name__)

#: Seconds to wait for a server at each reconnection try (the first connection: pg_connection.CONNECT_TIMEOUT).
RECONNECT_TIMEOUT = 3


def is_url(target: str | Path) -> bool:
    """Whether ``--db`` / AMENDS_DB names a server rather than a file (store/location.py decides)."""
    return location.is_server_url(target)


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
    raw = connect(url, timeout=timeout, password=password)
    try:
        conn = Connection(raw, redact(url))
        version = schema_version(conn)
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
        conn = Connection(connect(url, actor), redact(url))
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
            fresh = connect(self.url, self.actor, timeout=RECONNECT_TIMEOUT)
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
            if is_psycopg(error):
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
        return schema_version(self._pg)

    @contextmanager
    def transaction(self, *, wait: bool = True, tickets: Iterable[int] | None = None) -> Iterator[Any]:
        """One write transaction (see :meth:`Database.transaction`). ``tickets``:
        the only tickets whose rows it reads-then-writes (its other writes only
        add rows); then only writers of the same tickets, and unscoped writers,
        wait for it. A nested call widens the outer one's locks if it needs more."""
        scope = pg_locks.scope(tickets)
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
        with translated(self._pg.where):
            row = self._pg.raw.execute(query).fetchone()
        return int(row[0])

    def _widen(self, scope: frozenset[int] | None) -> None:
        """A nested transaction that needs more than the outer one locked takes it now."""
        held = self._scope
        if held is None:
            return  # the whole database is held already
        if scope is None:
            log.info("a write scoped to tickets %s also writes outside them: taking the whole database",
                     sorted(held))
            pg_locks.wait_for_locks(self, pg_locks.lock_statement(None), patient=True, started=time.monotonic())
            self._scope = None
        elif not scope <= held:
            pg_locks.wait_for_locks(self, pg_locks.lock_statement(scope - held), patient=True,
                                    started=time.monotonic())
            self._scope = held | scope

    def _begin(self, patient: bool, scope: frozenset[int] | None = None) -> None:
        """BEGIN and the write locks, waiting in slices and asking ``waiter``
        like SQLite's Database (store/pg_locks.py); free locks are taken at
        once, with the BEGIN, in one round trip."""
        pg_locks.wait_for_locks(self, pg_locks.lock_statement(scope), patient, time.monotonic(), begin=True)

    def interrupt(self) -> None:
        self._pg.interrupt()
