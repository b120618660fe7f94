"""Putting back what another tool took out of the schema, and only that.

Triggers, indexes, views and search indexes hold no data of their own (a
search index's content is derived from tables), so this app's definition
can be restored without judging anybody's rows. Everything else (a column
missing, added or retyped, a CHECK constraint or a link lost, a table gone)
would mean rebuilding a table around data this code cannot vouch for: it is
refused, with the reason, and left exactly as it is.

Runs inside the caller's transaction (``health.repair``: one ``BEGIN
IMMEDIATE``, after a backup); each fix in its own savepoint, so one that
SQLite refuses (a unique index that duplicates made since now break) is
reported and the others still apply.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from amends.core.store.schema_check import Difference
from amends.core.store.schema_introspect import tokens

#: How a search index whose content is its own (not ``content=`` another
#: table) is filled again; the caller knows its tables (``health``).
Rebuilder = Callable[[sqlite3.Connection], object]


@dataclass
class RepairResult:
    done: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)


def external_content(sql: str) -> bool:
    """An FTS5 table indexing another table (``content = 'customers'``): its
    'rebuild' command reads everything from there."""
    words = tokens(sql)
    return any(w == "content" and i + 2 < len(words) and words[i + 1] == "=" and words[i + 2] not in ("''", '""')
               for i, w in enumerate(words))


def repair(conn: sqlite3.Connection, differences: list[Difference], sql_of: Mapping[str, str],
           rebuilders: Mapping[str, Rebuilder]) -> RepairResult:
    """Apply the safe fixes among ``differences``; say what was done and what
    was not, and why. ``sql_of`` maps each expected search index to its
    CREATE statement (to know how it is rebuilt)."""
    result = RepairResult()
    rebuild: list[str] = []
    for difference in differences:
        if difference.harmless:
            continue
        if not difference.fix:
            result.refused.append(f"{difference.text} — left as it is: {difference.refusal}")
            continue
        unknown = [name for name in difference.rebuild
                   if name.lower() not in rebuilders and not external_content(sql_of.get(name.lower(), ""))]
        if unknown:
            result.refused.append(f"{difference.text} — left as it is: the content of {unknown[0]} cannot be "
                                  "rebuilt from the other tables")
            continue
        problem = attempt(conn, functools.partial(_execute_all, conn, difference.fix))
        if problem:
            result.refused.append(f"{difference.text} — left as it is: SQLite refused it ({problem})")
            continue
        verb = {"missing": "restored", "changed": "put back as the app defines it"}[difference.change]
        result.done.append(f"{difference.kind.replace('_', ' ')} {difference.name} {verb}")
        rebuild.extend(name for name in difference.rebuild if name not in rebuild)
    for name in rebuild:
        builder = rebuilders.get(name.lower())
        command = f'INSERT INTO "{name}" ("{name}") VALUES (\'rebuild\')'  # FTS5 reads its content table again
        problem = attempt(conn, functools.partial(builder, conn) if builder is not None else
                          functools.partial(conn.execute, command))
        if problem:
            result.refused.append(f"search index {name} was not rebuilt: SQLite refused it ({problem}); "
                                  "the table it indexes has changed")
            continue
        count = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        result.rebuilt.append(f"search index {name} rebuilt ({count:,} rows)")
    return result


def _execute_all(conn: sqlite3.Connection, statements: tuple[str, ...]) -> None:
    for statement in statements:
        conn.execute(statement)


def attempt(conn: sqlite3.Connection, work: Callable[[], object]) -> str:
    """Run ``work`` in a savepoint of the caller's transaction: all of it or
    none. Returns SQLite's complaint ('' when it went through), so one fix
    that cannot be made leaves the others standing."""
    conn.execute("SAVEPOINT schema_fix")
    try:
        work()
    except sqlite3.Error as error:
        conn.execute("ROLLBACK TO schema_fix")
        conn.execute("RELEASE schema_fix")
        return str(error)
    conn.execute("RELEASE schema_fix")
    return ""
