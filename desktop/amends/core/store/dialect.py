"""What differs between SQLite's SQL and PostgreSQL's, in one place (issue 19).

Services write SQLite SQL, as they always have; :func:`to_postgres` turns a
statement into PostgreSQL once (cached: the same few hundred statements run
again and again). Only mechanical rewrites live here: placeholders (``?`` and
``:name`` → ``%s`` / ``%(name)s``, literal ``%`` doubled), ``INSERT OR
IGNORE``, ``IS [NOT] ?`` (null-safe comparison), ``json_each(?)`` id lists,
``char(n)``, ``COLLATE NOCASE`` (PostgreSQL's columns are ``citext`` where it
matters), ``INDEXED BY`` and ``NOT INDEXED`` (planner hints: dropped), and full-text ``MATCH`` on the two search tables.
A statement it cannot translate is refused with :class:`Unsupported`,
naming it, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from amends.core.errors import DatabaseProblem
from amends.core.store.schema import SCRIPTS


class Unsupported(DatabaseProblem):
    """A statement this dialect cannot translate yet (say which)."""


_TOKEN = re.compile(r"""
    (?P<string>'(?:[^']|'')*')
  | (?P<ident>"(?:[^"]|"")*")
  | (?P<comment>--[^\n]*)
  | (?P<qmark>\?)
  | (?P<named>(?<![:\w]):[A-Za-z_]\w*)
  | (?P<percent>%)
  | (?P<other>[^'"?:%-]+|[:-])
""", re.VERBOSE)

_JSON_IDS = re.compile(r"SELECT\s+value\s+FROM\s+json_each\(\s*\?\s*\)", re.IGNORECASE)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO", re.IGNORECASE)
_INSERT_OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE", re.IGNORECASE)
_IS_NOT_Q = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_IS_Q = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_UPSERT = re.compile(r"^(\s*INSERT\s+INTO\s+(\w+).*?\bDO\s+UPDATE\s+SET\b)(.*)$", re.IGNORECASE | re.DOTALL)
_NOCASE = re.compile(r"\s+COLLATE\s+NOCASE\b", re.IGNORECASE)
_CHAR = re.compile(r"\bchar\(", re.IGNORECASE)
_MATCH = re.compile(r"\bMATCH\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    """One translated statement and what the connection needs to know about it."""

    sql: str
    #: the table an INSERT writes (to fetch the new row's id, like lastrowid)
    insert_table: str | None
    returning: bool
    #: the INSERT gives ids itself (demo, imports): the id sequence must move past them
    explicit_id: bool = False


def _placeholders(sql: str) -> str:
    out: list[str] = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        text = match.group()
        if kind == "qmark":
            out.append("%s")
        elif kind == "named":
            out.append(f"%({text[1:]})s")
        elif kind in ("percent", "string", "ident", "comment"):
            out.append(text.replace("%", "%%"))  # psycopg reads % everywhere in the text, literals too
        else:
            out.append(text)
    return "".join(out)


_TICKET_SUBQUERY = re.compile(r"FROM\s+ticket_search\s+WHERE\s+ticket_search\s+MATCH\s+\?", re.IGNORECASE)
_TICKET_ALIAS = re.compile(r"\bticket_search\s+(?:AS\s+)?(?!WHERE\b|JOIN\b|ON\b|MATCH\b)([A-Za-z_]\w*)", re.IGNORECASE)
_TICKET_MATCH = re.compile(r"\bticket_search\s+MATCH\s+\?", re.IGNORECASE)
_CUSTOMER_MATCH = re.compile(r"\bcustomer_search\s+MATCH\s+\?", re.IGNORECASE)
#: SQLite's 1 / 0 as a whole condition ("WHERE 1", "AND 1", "(0)"): PostgreSQL wants booleans.
_TRUTH = re.compile(r"(\bWHERE|\bAND|\bOR|\bNOT|\bWHEN|\()(\s*)([01])(?=\s*(?:\)|\bAND\b|\bOR\b|\bORDER\b|"
                    r"\bLIMIT\b|\bGROUP\b|\bTHEN\b|$))", re.IGNORECASE)
_INDEXED_BY = re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED\b)", re.IGNORECASE)


def _search(sql: str) -> str:
    """FTS5 ``MATCH`` → the tsvector/pg_trgm forms (store/pg_schema.py): the
    bound text is the same FTS5 expression; the server turns it into a tsquery
    (``amends_tsquery``) or an ILIKE pattern (``amends_trgm``)."""
    sql = _TICKET_SUBQUERY.sub("FROM ticket_search WHERE ticket_search.document @@ amends_tsquery(?)", sql)
    alias = _TICKET_ALIAS.search(sql)
    owner = alias.group(1) if alias else "ticket_search"
    sql = _TICKET_MATCH.sub(f"{owner}.document @@ amends_tsquery(?)", sql)
    sql = _CUSTOMER_MATCH.sub("customer_search.rowid IN (SELECT c.id FROM customers c, (SELECT amends_trgm(?) AS p) x "
                              "WHERE c.email ILIKE x.p OR c.name ILIKE x.p)", sql)
    rest = re.sub(r"('(?:[^']|'')*'|--[^\n]*)", "", sql)
    if _MATCH.search(rest):
        raise Unsupported("This full-text search (MATCH) has no PostgreSQL translation yet: " + sql.strip()[:120])
    return sql


_CLAUSES = {"WHERE", "GROUP", "ORDER", "LIMIT", "UNION", "JOIN", "LEFT", "INNER", "CROSS", "ON", "HAVING",
            "EXCEPT", "INTERSECT", "OFFSET", "WINDOW"}


def _close(mask: str, start: int) -> int:
    """The index of the parenthesis closing the one at ``start``."""
    depth = 0
    for i in range(start, len(mask)):
        if mask[i] == "(":
            depth += 1
        elif mask[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(mask) - 1


def _shapes(sql: str) -> str:
    """Two SQLite shapes PostgreSQL refuses: scalar ``max(a, b)`` / ``min(a, b)``
    (→ GREATEST / LEAST) and a subquery in FROM without an alias."""
    mask = re.sub(r"'(?:[^']|'')*'", lambda m: "'" + "x" * (len(m.group()) - 2) + "'", sql)
    edits: list[tuple[int, int, str]] = []
    for match in re.finditer(r"\b(min|max)\s*\(", mask, re.IGNORECASE):
        start = match.end() - 1
        inner, depth = mask[start + 1:_close(mask, start)], 0
        for char in inner:
            depth += (char == "(") - (char == ")")
            if char == "," and depth == 0:
                edits.append((match.start(), len(match.group(1)), "GREATEST" if match.group(1).lower() == "max"
                              else "LEAST"))
                break
    for number, match in enumerate(re.finditer(r"\b(?:FROM|JOIN)\s*\(", mask, re.IGNORECASE)):
        start = match.end() - 1
        if not re.match(r"\s*(SELECT|WITH|VALUES)\b", mask[start + 1:], re.IGNORECASE):
            continue
        end = _close(mask, start)
        following = re.match(r"\s*(\w+)", mask[end + 1:])
        if following is None or following.group(1).upper() in _CLAUSES:
            edits.append((end + 1, 0, f" AS _sub{number}"))
    for position, length, text in sorted(edits, reverse=True):
        sql = sql[:position] + text + sql[position + length:]
    return sql


def _upsert(sql: str) -> str:
    """In ``DO UPDATE SET``, SQLite reads a bare column as the existing row's;
    PostgreSQL calls that ambiguous (``excluded`` has it too): qualify the
    bare columns that are read (``version = version + 1``, ``WHERE body …``)."""
    match = _UPSERT.match(sql)
    if match is None:
        return sql
    head, table, tail = match.groups()

    def qualify(part: str) -> str:
        # a bare name that is not being assigned, not excluded.x / t.x, not a keyword or function
        return re.sub(r"(?<![.\w])(?!excluded\b|NULL\b|DISTINCT\b|FROM\b|NOT\b|AND\b|OR\b|IS\b|WHERE\b)"
                      r"([a-z_]\w*)\b(?!\s*[(.])(?!\s*=[^=])", lambda m: f"{table}.{m.group(1)}", part)

    return head + "".join(qualify(p) if i % 2 == 0 else p for i, p in enumerate(re.split(r"('(?:[^']|'')*')", tail)))


def _outside_strings(sql: str, pattern: re.Pattern[str], replacement: Any) -> str:
    """Apply a rewrite to the code, not to quoted strings or comments."""
    parts = re.split(r"('(?:[^']|'')*'|--[^\n]*)", sql)
    return "".join(part if i % 2 else pattern.sub(replacement, part) for i, part in enumerate(parts))


_PRAGMA = re.compile(r"^\s*PRAGMA\s+(\w+)\s*(=.*)?;?\s*$", re.IGNORECASE | re.DOTALL)
#: SQLite's PRAGMAs the services use, on a server: tuning is the server's
#: business (a no-op here), and what the server guarantees itself reads as
#: SQLite's "all well": pages are checksummed/WAL-logged by PostgreSQL, and
#: foreign keys are always enforced there, so there is nothing to list.
_PRAGMAS = {
    "cache_size": "SELECT 0",
    "user_version": "SELECT coalesce(max(version), 0) FROM amends_schema",
    "integrity_check": "SELECT 'ok'",
    "quick_check": "SELECT 'ok'",
    "foreign_key_check": "SELECT NULL WHERE false",
    "optimize": "SELECT NULL WHERE false",
    # the schema's "cookie" (a window notices another tool's schema change): moves with the
    # tables, columns and triggers of this schema
    "schema_version": "SELECT (SELECT coalesce(sum(relnatts), 0) + count(*) FROM pg_class "
                      "WHERE relnamespace = current_schema()::regnamespace) + (SELECT count(*) FROM pg_trigger t "
                      "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = current_schema()::regnamespace)",
}


def _pragma(sql: str) -> Statement | None:
    match = _PRAGMA.match(sql)
    if match is None:
        return None
    name = match.group(1).lower()
    if name not in _PRAGMAS:
        raise Unsupported(f"PRAGMA {name} has no meaning on PostgreSQL: {sql.strip()[:120]}")
    return Statement(sql=_PRAGMAS[name], insert_table=None, returning=False)


_RAISE_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) BEFORE (UPDATE|DELETE) ON (\w+)\s+BEGIN SELECT RAISE\(ABORT, '([^']*)'\); END;?$",
    re.DOTALL)
def _strip_comments(statement: str) -> str:
    lines = []
    for line in statement.splitlines():
        code = re.sub(r"--.*$", "", line).rstrip()
        if code:
            lines.append(code)
    return "\n".join(lines).strip()


def trigger(statement: str) -> str | None:
    """A ``BEFORE UPDATE/DELETE … RAISE(ABORT)`` trigger (immutable rows) in PostgreSQL, or None."""
    match = _RAISE_TRIGGER.match(_strip_comments(statement))
    if match is None:
        return None
    name, event, table, message = match.groups()
    return (f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION amends_immutable('{message}')")


def trigger_tables() -> dict[str, str]:
    """Each trigger's table (PostgreSQL's DROP TRIGGER names it)."""
    found: dict[str, str] = {}
    for script in SCRIPTS.values():
        for name, table in re.findall(r"CREATE TRIGGER (\w+) [A-Z ]+? ON (\w+)", script):
            found[name] = table
    return found


_DROP_TRIGGER = re.compile(r"^\s*DROP TRIGGER (IF EXISTS )?(\w+)\s*;?\s*$", re.IGNORECASE)


def _triggers(sql: str) -> Statement | None:
    """policies.remove_all lifts the immutability triggers for one transaction
    by dropping and re-creating them with SQLite's DDL."""
    drop = _DROP_TRIGGER.match(sql)
    if drop:
        table = trigger_tables().get(drop.group(2))
        if table is None:
            raise Unsupported(f"DROP TRIGGER: no table known for trigger {drop.group(2)}")
        return Statement(sql=f"DROP TRIGGER {drop.group(1) or ''}{drop.group(2)} ON {table}", insert_table=None,
                         returning=False)
    if sql.lstrip().upper().startswith("CREATE TRIGGER"):
        translated = trigger(sql)
        if translated is None:
            raise Unsupported(f"This trigger has no PostgreSQL translation: {sql.strip()[:120]}")
        return Statement(sql=translated, insert_table=None, returning=False)
    return None


_EXPLICIT_ID = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+\w+\s*\(\s*id\s*,", re.IGNORECASE)


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> Statement:
    """SQLite SQL as the services write it → PostgreSQL (see the module's docstring)."""
    special = _pragma(sql) or _triggers(sql)
    if special is not None:
        return special
    code = re.sub(r"('(?:[^']|'')*'|--[^\n]*)", "", sql)
    if _MATCH.search(code):
        sql = _search(sql)
    if _INSERT_OR_REPLACE.search(code):
        raise Unsupported("INSERT OR REPLACE has no PostgreSQL translation; use ON CONFLICT: " + sql.strip()[:120])
    ignore = bool(_INSERT_OR_IGNORE.search(sql))
    if ignore:
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql, count=1)
    sql = _outside_strings(sql, _JSON_IDS, "SELECT jsonb_array_elements_text(?::jsonb)::bigint")
    sql = _outside_strings(sql, _IS_NOT_Q, "IS DISTINCT FROM ")
    sql = _outside_strings(sql, _IS_Q, "IS NOT DISTINCT FROM ")
    sql = _upsert(sql)
    sql = _shapes(sql)
    sql = _outside_strings(sql, _NOCASE, "")
    sql = _outside_strings(sql, _CHAR, "chr(")
    sql = _outside_strings(sql, _INDEXED_BY, "")
    sql = _outside_strings(sql, _TRUTH, lambda m: f"{m.group(1)}{m.group(2)}{'true' if m.group(3) == '1' else 'false'}")
    sql = _placeholders(sql)
    returning = bool(_RETURNING.search(re.sub(r"'(?:[^']|'')*'", "", sql)))
    if ignore:
        body = sql.rstrip().rstrip(";")
        if returning:
            head, tail = re.split(r"\bRETURNING\b", body, maxsplit=1, flags=re.IGNORECASE)
            sql = f"{head} ON CONFLICT DO NOTHING RETURNING{tail}"
        else:
            sql = body + " ON CONFLICT DO NOTHING"
    insert = _INSERT_INTO.match(sql)
    return Statement(sql=sql, insert_table=insert.group(1).lower() if insert else None, returning=returning,
                     explicit_id=bool(_EXPLICIT_ID.match(sql)))
