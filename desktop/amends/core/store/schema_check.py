"""Schema drift: the live file's schema against the one this app's version
creates, difference by difference, in plain words with what each one breaks.

People change an Amends file with other tools (``sqlite-utils transform``,
DB Browser's "Modify table", the sqlite3 shell). A table rebuilt that way
silently loses its triggers (published policy versions become editable, the
customer search index stops following the customers), an index or a CHECK
constraint, and the file still opens. This module finds that.

The EXPECTED schema is never a hand-kept list: :func:`expected` runs this
app's own migration scripts (``schema.SCRIPTS`` and their Python upgrades) on
an in-memory database and introspects it exactly like the live file, so a
new schema version is checked the moment it exists. Introspection goes
through ``sqlite-utils`` (columns, indexes, triggers, views, virtual tables);
``PRAGMA table_list`` (shadow tables, WITHOUT ROWID, STRICT) and ``PRAGMA
foreign_key_list`` (ON DELETE, also on sqlite-utils 3.x) are read directly;
CHECK constraints, trigger and view bodies and FTS5 definitions have no
introspection in SQLite, so their CREATE text is compared after
normalising it (comments, spacing, quoting and keyword case removed).

Only reads here: repairing lives in :mod:`amends.core.store.schema_repair`.
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


# -- differences ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One way the live schema differs from the expected one.

    ``text`` is the sentence people read: what differs, then what it breaks.
    ``fix`` holds the statements that put this app's definition back, when
    that is safe without looking at the data (triggers, indexes, views and
    search indexes hold no data of their own); empty when it is not, with
    ``refusal`` saying why. ``harmless`` marks things that are not the app's
    (a table or view someone added) and change nothing the app relies on."""

    kind: str        # table | column | index | unique | check | foreign_key | trigger | view | search_index
    name: str
    change: str      # missing | extra | changed
    text: str
    table: str = ""
    fix: tuple[str, ...] = ()
    refusal: str = ""
    rebuild: tuple[str, ...] = ()   # search indexes whose content is rebuilt after the fix
    harmless: bool = False
    touches: tuple[str, ...] = ()   # tables a restored trigger reads or writes

    @property
    def repairable(self) -> bool:
        return bool(self.fix) and not self.harmless


_RESTORE_BACKUP = "its data cannot be checked from here; restore a backup made before the change ('amends restore')"
_TABLE_DATA = ("rebuilding {table} with the app's definition could lose or reject rows: compare it with a backup "
               "made before the change, or restore one ('amends restore')")


def _affinity(declared: str) -> str:
    """SQLite's type affinity rules (section 3.1 of its datatype page)."""
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(word in t for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if any(word in t for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _default(column: Column) -> str | None:
    """A default as it behaves: ``DEFAULT '1'`` on an INTEGER column stores 1
    (sqlite-utils writes defaults quoted), ``(0)`` is 0."""
    if column.default is None:
        return None
    words = tokens(column.default)
    while len(words) >= 2 and words[0] == "(" and words[-1] == ")":
        words = words[1:-1]
    text = " ".join(words)
    if len(words) == 1 and text.startswith("'") and _affinity(column.type) in ("INTEGER", "REAL", "NUMERIC"):
        inner = text[1:-1]
        if re.fullmatch(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?", inner):
            return str(float(inner)) if "." in inner or "e" in inner.lower() else str(int(inner))
    if re.fullmatch(r"[+-]?\d+", text):
        return str(int(text))
    return text


def _trigger_parts(sql: str) -> tuple[str, str, list[str]]:
    """(event, table, body tokens) of a CREATE TRIGGER statement."""
    words = tokens(sql)
    event = next((w for w in words if w in ("insert", "update", "delete")), "change")
    table = words[words.index("on") + 1] if "on" in words else ""
    body = words[words.index("begin") + 1:] if "begin" in words else []
    return event.upper(), table, body


def _a(word: str) -> str:
    return ("an " if word[:1] in "AEIOU" else "a ") + word


def _trigger_effect(trigger: Trigger, virtual: set[str]) -> str:
    """What goes wrong without this trigger, read from its own text."""
    event, table, body = _trigger_parts(trigger.sql)
    if "raise" in body:
        message = next((w[1:-1].replace("''", "'") for w in body[body.index("raise"):] if w.startswith("'")), "")
        return f"{_a(event)} on {table} is no longer refused" + (f" ({message})" if message else "")
    targets = [body[i + 1] for i, w in enumerate(body[:-1]) if w in ("into", "from") or
               (w == "update" and (i == 0 or body[i - 1] == ";"))]
    searched = [t for t in targets if t in virtual]
    if searched:
        return (f"the search index {searched[0]} no longer follows {_a(event)} on {table}: searches miss or show "
                "stale rows")
    if targets:
        return f"{_a(event)} on {table} no longer also changes {targets[0]}"
    return f"{_a(event)} on {table} no longer runs it"


def _index_effect(index: Index) -> str:
    cols = ", ".join(index.columns)
    if index.unique:
        return f"{index.table} no longer refuses two rows with the same {cols}"
    return f"lists and searches that read {index.table} by {cols} get slow on a large file"


def _names_in(sql: str, names: set[str]) -> tuple[str, ...]:
    return tuple(sorted(set(tokens(sql)) & names))


def compare(want: Schema, live: Schema) -> list[Difference]:
    """Every difference between the expected and the live schema, tables
    first (their columns, constraints), then indexes, triggers, views."""
    out: list[Difference] = []
    virtual = {k for k, t in want.tables.items() if t.virtual}
    ours = set(want.tables)
    for key, table in want.tables.items():
        found = live.tables.get(key)
        if found is None:
            if table.virtual:
                out.append(Difference("search_index", table.name, "missing",
                                      f"search index {table.name} is missing: searches that use it fail",
                                      table.name, (table.sql,), rebuild=(table.name,)))
            else:
                out.append(Difference("table", table.name, "missing",
                                      f"table {table.name} is missing: everything in the app that reads or writes "
                                      "it fails", table.name, refusal=_RESTORE_BACKUP))
            continue
        if table.virtual or found.virtual:
            if normal(table.sql) != normal(found.sql):
                out.append(Difference("search_index", table.name, "changed",
                                      f"search index {table.name} is defined differently: searches may miss or "
                                      "fail", table.name, (f'DROP TABLE "{found.name}"', table.sql),
                                      rebuild=(table.name,)))
            continue
        out.extend(_table_differences(table, found))
    for key, table in live.tables.items():
        if key not in ours:
            out.append(Difference("table", table.name, "extra", f"table {table.name} is not Amends' own: the app "
                                  "leaves it alone", table.name, harmless=True))
    blocked = {d.table.lower() for d in out if (d.kind, d.change) == ("table", "missing") or
               (d.kind == "column" and d.change != "extra")}
    for key, index in want.indexes.items():
        found_index = live.indexes.get(key)
        if found_index is None:
            out.append(Difference("index", index.name, "missing", f"index {index.name} is missing: "
                                  f"{_index_effect(index)}", index.table, (index.sql,)))
        elif (found_index.table.lower(), found_index.unique, found_index.columns, found_index.where) != \
                (index.table.lower(), index.unique, index.columns, index.where):
            out.append(Difference("index", index.name, "changed", f"index {index.name} is defined differently: "
                                  f"{_index_effect(index)}", index.table,
                                  (f'DROP INDEX "{found_index.name}"', index.sql)))
    for key, index in live.indexes.items():
        if key not in want.indexes:
            harmless = not index.unique or index.table.lower() not in ours
            effect = ("the app does not use it (harmless; it costs a little on every write)" if harmless else
                      f"{index.table} refuses rows with the same {', '.join(index.columns)}, which the app may "
                      "write: its saves can fail")
            out.append(Difference("index", index.name, "extra", f"index {index.name} is not Amends': {effect}",
                                  index.table, refusal="an index someone added is theirs to drop "
                                  f"(DROP INDEX {index.name})", harmless=harmless))
    for key, trigger in want.triggers.items():
        found_trigger = live.triggers.get(key)
        touches = _names_in(trigger.sql, ours)
        rebuild = tuple(t for t in touches if t in virtual)
        if found_trigger is None:
            out.append(Difference("trigger", trigger.name, "missing", f"trigger {trigger.name} is missing: "
                                  f"{_trigger_effect(trigger, virtual)}", trigger.table, (trigger.sql,),
                                  rebuild=rebuild, touches=touches))
        elif normal(found_trigger.sql) != normal(trigger.sql):
            out.append(Difference("trigger", trigger.name, "changed", f"trigger {trigger.name} does something "
                                  f"else than the app's: {_trigger_effect(trigger, virtual)} as intended",
                                  trigger.table, (f'DROP TRIGGER "{found_trigger.name}"', trigger.sql),
                                  rebuild=rebuild, touches=touches))
    for key, trigger in live.triggers.items():
        if key not in want.triggers:
            harmless = trigger.table.lower() not in ours
            out.append(Difference("trigger", trigger.name, "extra", f"trigger {trigger.name} is not Amends': " +
                                  ("it is on a table of someone else's (harmless)" if harmless else
                                   f"it runs inside the app's own writes to {trigger.table}"), trigger.table,
                                  refusal=f"a trigger someone added is theirs to drop (DROP TRIGGER {trigger.name})",
                                  harmless=harmless))
    for key, view in want.views.items():
        found_view = live.views.get(key)
        if found_view is None:
            out.append(Difference("view", view.name, "missing", f"view {view.name} is missing: what reads it "
                                  "fails", view.name, (view.sql,)))
        elif normal(found_view.sql) != normal(view.sql):
            out.append(Difference("view", view.name, "changed", f"view {view.name} shows something else than the "
                                  "app's", view.name, (f'DROP VIEW "{found_view.name}"', view.sql)))
    for key, view in live.views.items():
        if key not in want.views:
            out.append(Difference("view", view.name, "extra", f"view {view.name} is not Amends' own: the app "
                                  "leaves it alone", view.name, harmless=True))
    return [d if d.kind != "trigger" or not d.fix or not set(d.touches) & blocked else
            Difference(d.kind, d.name, d.change, d.text, d.table, (), "it belongs to or writes a table that is "
                       "missing or lost columns; restored, it could make the app's writes fail", d.rebuild,
                       d.harmless, d.touches)
            for d in out]


def _table_differences(want: Table, live: Table) -> list[Difference]:
    out = []
    name = want.name
    refusal = _TABLE_DATA.format(table=name)

    def add(kind: str, what: str, change: str, text: str) -> None:
        out.append(Difference(kind, what, change, text, name, refusal=refusal))

    for column in want.columns:
        found = live.column(column.name)
        where = f"{name}.{column.name}"
        if found is None:
            add("column", where, "missing", f"column {where} is missing: the app's reads and writes of {name} fail")
            continue
        if found.type != column.type:
            same = " (stored the same way)" if _affinity(found.type) == _affinity(column.type) else \
                ": SQLite converts values by the declared type, so they may be stored and read back differently"
            add("column", where, "changed", f"column {where} is declared {found.type or 'with no type'}, expected "
                f"{column.type or 'no type'}{same}")
        if found.notnull != column.notnull:
            add("column", where, "changed", f"column {where} " + (
                "accepts empty (NULL) values, which the app never writes and does not expect" if column.notnull
                else "refuses empty (NULL) values, which the app writes: its saves fail"))
        if _default(found) != _default(column):
            add("column", where, "changed", f"column {where} defaults to {found.default or 'NULL'}, expected "
                f"{column.default or 'NULL'}: rows written without it get another value")
        if bool(found.pk) != bool(column.pk):
            add("column", where, "changed", f"column {where} is " + ("no longer" if column.pk else "now") +
                " part of the primary key: rows are identified differently")
    for found in live.columns:
        if want.column(found.name) is None:
            strict = found.notnull and found.default is None
            add("column", f"{name}.{found.name}", "extra", f"column {name}.{found.name} is not Amends': " + (
                f"it is NOT NULL with no default, so the app's inserts into {name} fail" if strict else
                "the app leaves it empty and exports do not carry it"))
    lost, gained = _multiset_minus(want.checks, live.checks), _multiset_minus(live.checks, want.checks)
    for rule in lost:
        add("check", f"{name}: CHECK ({rule})", "missing", f"{name} lost its CHECK ({rule}): it now accepts "
            "values the app refuses and cannot read back")
    for rule in gained:
        add("check", f"{name}: CHECK ({rule})", "extra", f"{name} has a CHECK ({rule}) the app does not know: "
            "some of its saves may be refused")
    for fk in want.foreign_keys - live.foreign_keys:
        cols = ", ".join(fk.columns)
        twin = next((f for f in live.foreign_keys if f.columns == fk.columns), None)
        cascade = f"; deleting a {fk.table} row no longer removes its {name} rows" \
            if fk.on_delete == "CASCADE" and (twin is None or twin.on_delete != "CASCADE") else ""
        add("foreign_key", f"{name}.{cols}", "changed" if twin else "missing",
            f"the link {name}.{cols} → {fk.table} is " + ("defined differently" if twin else "gone") +
            (f": rows can point at {fk.table} rows that do not exist" if twin is None else "") + cascade)
    for fk in live.foreign_keys - want.foreign_keys:
        if not any(f.columns == fk.columns for f in want.foreign_keys):
            add("foreign_key", f"{name}.{', '.join(fk.columns)}", "extra", f"{name}.{', '.join(fk.columns)} "
                f"links to {fk.table}, which the app does not expect: some of its saves may be refused")
    for key in want.uniques - live.uniques:
        add("unique", f"{name} ({', '.join(key)})", "missing", f"{name} no longer refuses two rows with the same "
            f"{', '.join(key)}")
    for key in live.uniques - want.uniques:
        add("unique", f"{name} ({', '.join(key)})", "extra", f"{name} refuses two rows with the same "
            f"{', '.join(key)}, which the app does not expect: some of its saves may be refused")
    if want.without_rowid != live.without_rowid:
        add("table", name, "changed", f"table {name} is " + (
            "no longer WITHOUT ROWID: it keeps a hidden row id besides its key (more space, slower lookups by key)"
            if want.without_rowid else "now WITHOUT ROWID: its rows have no row id, which the app may use"))
    if want.strict != live.strict:
        add("table", name, "changed", f"table {name} is " + (
            "no longer STRICT: values of the wrong type are stored instead of refused" if want.strict else
            "now STRICT: values the app writes in another type than declared are refused"))
    return out


def _multiset_minus(a: tuple[str, ...], b: tuple[str, ...]) -> list[str]:
    rest = list(b)
    out = []
    for check in a:
        if check in rest:
            rest.remove(check)
        else:
            out.append(check)
    return out


def drift(conn: sqlite3.Connection) -> list[Difference]:
    """The cheap check, run when a file is opened: this file's schema
    against the one its schema version should have (catalogue reads only,
    no table scan). A file of no or a newer version is someone else's
    business (the store refuses it before this runs)."""
    from amends.core.store.schema import CURRENT_VERSION

    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if not 0 < version <= CURRENT_VERSION:
        return []
    return compare(expected(version), introspect(conn))
