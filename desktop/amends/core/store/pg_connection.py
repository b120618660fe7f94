"""The ``sqlite3`` connection and cursor the services use, over a psycopg 3
connection (issue 19): SQLite SQL translated by :mod:`dialect` on the way,
rows like ``sqlite3.Row``, ``lastrowid`` from ``RETURNING id``,
``total_changes`` counted here, ``EXPLAIN QUERY PLAN`` answered in SQLite's
shape, and the tables each write transaction changed noted (what its
commit's NOTIFY names). :func:`connect` opens the psycopg connection itself
(the kept password added, numbers and booleans read as SQLite gives them).

psycopg is imported only when a server is used (``pip install amends[postgres]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from amends.core.errors import DatabaseProblem
from amends.core.store import pg_access
from amends.core.store.dialect import to_postgres
from amends.core.store.pg_errors import translated

#: Seconds to wait for a server: the first connection.
CONNECT_TIMEOUT = 10
#: The table a write statement changes (what a commit's NOTIFY names, store/pg_listen.py).
_WRITES = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|"
                     r"TRUNCATE(?:\s+TABLE)?)\s+(\w+)", re.IGNORECASE)
_SCHEMA_CHANGES = re.compile(r"^\s*(?:CREATE|DROP|ALTER)\b", re.IGNORECASE)
_EXPLAIN_PLAN = re.compile(r"^\s*EXPLAIN\s+QUERY\s+PLAN\s+", re.IGNORECASE)


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
        with translated(self.where, sql, params):
            cursor = self.raw.cursor(row_factory=None if tuples else _row_factory)
            cursor.execute(text, statement.parameters(params if isinstance(params, dict) else tuple(params)),
                           prepare=None)
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
            with translated(self.where, sql, params):
                self.raw.execute("SET LOCAL enable_seqscan = off")
                self.raw.execute("SET LOCAL enable_sort = off")
                lines = [row[0] for row in self.raw.execute(
                    "EXPLAIN " + statement.sql,
                    statement.parameters(params if isinstance(params, dict) else tuple(params)))]
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
        with translated(self.where):
            cursor.execute(word)
        return Cursor(cursor)

    def executemany(self, sql: str, rows: Any) -> Cursor:
        self._note_write(sql)
        statement = to_postgres(sql)
        cursor = self.raw.cursor()
        rows = list(rows)
        with translated(self.where, sql, *rows[:1]):
            cursor.executemany(statement.sql, [statement.parameters(row) for row in rows])
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


def connect(url: str, actor: str = "", timeout: float = CONNECT_TIMEOUT, password: str | None = None) -> Any:
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


def schema_version(conn: Connection) -> int:
    """The schema version of the server's database (0: no Amends schema yet)."""
    exists = conn.raw.execute("SELECT to_regclass('amends_schema')").fetchone()[0]
    if exists is None:
        return 0
    row = conn.raw.execute("SELECT max(version) FROM amends_schema").fetchone()
    return int(row[0] or 0)
