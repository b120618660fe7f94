"""Schema drift: the live file's schema against the one this app's version
creates, difference by difference, in plain words with what each one breaks.

People change an Amends file with other tools (``sqlite-utils transform``,
DB Browser's "Modify table", the sqlite3 shell). A table rebuilt that way
silently loses its triggers (published policy versions become editable, the
customer search index stops following the customers), an index or a CHECK
constraint, and the file still opens. This module finds that; what the
schemas are made of, and the expected one, come from
:mod:`amends.core.store.schema_introspect`.

Only reads here: repairing lives in :mod:`amends.core.store.schema_repair`.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from amends.core.store.derived import DERIVED
from amends.core.store.schema_introspect import (
    Column,
    Index,
    Schema,
    Table,
    Trigger,
    checks_of,
    expected,
    introspect,
    normal,
    tokens,
)

#: read here, used by callers of this module too
__all__ = ["Difference", "Schema", "checks_of", "compare", "drift", "expected", "introspect", "normal", "tokens"]


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
        # search indexes, and the sums kept by triggers (store/derived.py), are filled again after the fix
        rebuild = tuple(t for t in touches if t in virtual or t in DERIVED)
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
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        return _server_drift(conn, version)
    return compare(expected(version), introspect(conn))


def _server_drift(conn: sqlite3.Connection, version: int) -> list[Difference]:
    """On PostgreSQL (issue 19): objects missing or added, by name (store/pg_schema.py).
    Nothing is repaired on a server yet: a missing object is said, with what to do."""
    from amends.core.store import pg_schema

    out = []
    for kind, name, change, table in pg_schema.drift(conn, version):
        if change == "missing":
            out.append(Difference(kind, name, change, f"{kind} {name} is missing (on {table}): what the app expects "
                                  "of it does not happen", table, refusal="repair is not built for a server yet: "
                                  "re-create it from the schema scripts or restore the server's backup"))
        else:
            out.append(Difference(kind, name, change, f"{kind} {name} is not part of Amends (on {table}); left alone",
                                  table, harmless=True))
    return out


def drift_of(conn: sqlite3.Connection) -> list[Difference]:
    """:func:`drift` for the window's banner: a catalogue SQLite cannot
    read is a typed :class:`DatabaseProblem` (the UI never handles
    ``sqlite3`` errors itself: tests/ui/common/test_ops_and_errors.py)."""
    from amends.core.errors import DatabaseProblem

    try:
        return drift(conn)
    except sqlite3.Error as error:
        raise DatabaseProblem(f"the schema could not be read ({error})") from error
