"""What a file's schema is made of, read the same way from the live file and
from the schema this app's version creates (for store/schema_check.py).

The EXPECTED schema is never a hand-kept list: :func:`expected` runs this
app's own migration scripts (``schema.SCRIPTS`` and their Python upgrades) on
an in-memory database and introspects it exactly like the live file, so a
new schema version is checked the moment it exists. Introspection goes
through ``sqlite-utils`` (tables, columns, indexes and their columns,
triggers, views); ``PRAGMA table_list`` (shadow tables, WITHOUT ROWID,
STRICT), ``pragma_index_list`` (whether an index is UNIQUE) and
``pragma_foreign_key_list`` (ON DELETE / ON UPDATE, which sqlite-utils 3.x
does not give) are read directly. CHECK constraints, trigger and view bodies
and FTS5 definitions have no introspection in SQLite, so their CREATE text
is compared after normalising it (comments, spacing, quoting and case of
names removed; string literals kept).
"""

from __future__ import annotations

import functools
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

_TOKEN = re.compile(r"""
    (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


def tokens(sql: str) -> list[str]:
    """SQL as comparable tokens: no comments or spacing, identifiers unquoted
    and lower case (SQLite's names ignore case), string literals kept as
    written."""
    out = []
    for match in _TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind in ("comment", "space"):
            continue
        if kind == "quoted":
            out.append(text[1:-1].replace(text[0] * 2, text[0]).lower() if text[0] != "[" else text[1:-1].lower())
        elif kind == "word":
            out.append(text.lower())
        else:
            out.append(text)
    return out


def normal(sql: str | None) -> str:
    """One spelling per meaning, for comparing CREATE statements: ``CREATE
    TABLE IF NOT EXISTS "t"`` and ``create table t`` read the same."""
    words = tokens(sql or "")
    if words[:2] == ["create", "table"] and words[2:5] == ["if", "not", "exists"]:
        words = words[:2] + words[5:]
    return " ".join(words)


def _balanced(words: list[str], start: int) -> tuple[list[str], int]:
    """The tokens inside the parenthesis opening at ``start``, and the index after it."""
    depth, inside = 0, list[str]()
    for i in range(start, len(words)):
        if words[i] == "(":
            depth += 1
            if depth == 1:
                continue
        elif words[i] == ")":
            depth -= 1
            if depth == 0:
                return inside, i + 1
        inside.append(words[i])
    return inside, len(words)


def checks_of(sql: str | None) -> tuple[str, ...]:
    """Every CHECK constraint of a CREATE TABLE statement (column or table
    level), normalised and sorted: SQLite keeps them nowhere but in the text."""
    words, found, i = tokens(sql or ""), [], 0
    while i < len(words):
        if words[i] == "check" and i + 1 < len(words) and words[i + 1] == "(":
            inside, i = _balanced(words, i + 1)
            found.append(" ".join(inside))
        else:
            i += 1
    return tuple(sorted(found))


def where_of(sql: str | None) -> str | None:
    """The WHERE of a partial index, normalised; None for a full index."""
    words = tokens(sql or "")
    return " ".join(words[words.index("where") + 1:]) if "where" in words else None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    to: tuple[str | None, ...]
    on_delete: str
    on_update: str


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    unique: bool
    columns: tuple[str, ...]   # key columns (or expressions' text), with DESC / COLLATE when not default
    where: str | None
    sql: str


@dataclass(frozen=True)
class Table:
    name: str
    virtual: bool
    sql: str
    columns: tuple[Column, ...] = ()
    checks: tuple[str, ...] = ()
    foreign_keys: frozenset[ForeignKey] = frozenset()
    uniques: frozenset[tuple[str, ...]] = frozenset()   # UNIQUE / PRIMARY KEY constraints (autoindexes)
    without_rowid: bool = False
    strict: bool = False

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    sql: str


@dataclass(frozen=True)
class View:
    name: str
    sql: str


@dataclass
class Schema:
    """What a file's schema is made of, keyed by lower-case name."""

    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)


def _index(conn: sqlite3.Connection, table: str, index: object, sql: str | None) -> Index:
    columns = []
    for col in index.columns:  # type: ignore[attr-defined]  # sqlite_utils XIndex
        if not col.key:
            continue
        text = col.name if col.name is not None else ("rowid" if col.cid == -1 else "<expression>")
        if col.desc:
            text += " desc"
        if col.coll and col.coll.upper() != "BINARY":
            text += f" collate {col.coll.lower()}"
        columns.append(text.lower())
    if "<expression>" in columns and sql:  # an index on expressions: its text says what
        columns = [normal(sql).split(" on ", 1)[-1]]
    unique = bool(conn.execute("SELECT \"unique\" FROM pragma_index_list(?) WHERE name = ?",
                               (table, index.name)).fetchone()[0])  # type: ignore[attr-defined]
    return Index(index.name, table, unique, tuple(columns), where_of(sql), sql or "")  # type: ignore[attr-defined]


def introspect(conn: sqlite3.Connection) -> Schema:
    """The schema of ``conn``'s main database, read, never written (so it
    works on a read-only connection and inside another transaction)."""
    su = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    listing = {row[1]: row for row in conn.execute("PRAGMA main.table_list") if row[0] == "main"}
    sql_of = {(row[0], row[1].lower()): row[2] for row in
              conn.execute("SELECT type, name, sql FROM main.sqlite_master WHERE sql IS NOT NULL")}
    schema = Schema()
    for name in su.table_names():
        kind = listing.get(name, (None, None, "table"))[2]
        if kind == "shadow" or name.startswith("sqlite_"):
            continue  # FTS5's own storage, SQLite's own tables: part of their owner
        table_sql = sql_of.get(("table", name.lower()), "")
        if kind == "virtual":
            schema.tables[name.lower()] = Table(name, True, table_sql)
            continue
        t = su.table(name)
        columns = tuple(Column(c.name, (c.type or "").upper(), bool(c.notnull), c.default_value, c.is_pk)
                        for c in t.columns)
        fks: dict[int, list] = {}
        for row in conn.execute("SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete "
                                "FROM pragma_foreign_key_list(?) ORDER BY id, seq", (name,)):
            fks.setdefault(row[0], []).append(row)
        foreign = frozenset(ForeignKey(tuple(r[3].lower() for r in rows), rows[0][2].lower(),
                                       tuple((r[4] or "").lower() or None for r in rows), rows[0][6], rows[0][5])
                            for rows in fks.values())
        uniques = set()
        for index in t.xindexes:
            index_sql = sql_of.get(("index", index.name.lower()))
            if index_sql is None:  # a UNIQUE or PRIMARY KEY constraint's own index
                uniques.add(tuple(c.name.lower() for c in index.columns if c.key and c.name))
            else:
                schema.indexes[index.name.lower()] = _index(conn, name, index, index_sql)
        flags = listing.get(name)
        schema.tables[name.lower()] = Table(name, False, table_sql, columns, checks_of(table_sql), foreign,
                                            frozenset(uniques), bool(flags and flags[4]), bool(flags and flags[5]))
    for trigger in su.triggers:
        schema.triggers[trigger.name.lower()] = Trigger(trigger.name, trigger.table, trigger.sql)
    for name in su.view_names():
        schema.views[name.lower()] = View(name, sql_of.get(("view", name.lower()), ""))
    return schema


@functools.lru_cache(maxsize=4)
def expected(version: int | None = None) -> Schema:
    """The schema this app creates for ``version`` (default: the current
    one), built by its own migrations on an in-memory database. Cached: the
    scripts do not change while the process runs."""
    from amends.core.store import migrations
    from amends.core.store.schema import CURRENT_VERSION, SCRIPTS

    version = CURRENT_VERSION if version is None else version
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        scripts = SCRIPTS if version == CURRENT_VERSION else {k: v for k, v in SCRIPTS.items() if k <= version}
        migrations.migrate(conn, Path(":memory:"), scripts)
        return introspect(conn)
    finally:
        conn.close()
