"""What differs between SQLite's SQL and PostgreSQL's, in one place (issue 19).

Services write SQLite SQL, as they always have; :func:`to_postgres` turns a
statement into PostgreSQL once (cached: the same few hundred statements run
again and again). Only mechanical rewrites live here: placeholders (``?`` and
``:name`` → ``%s`` / ``%(name)s``, literal ``%`` doubled), ``INSERT OR
IGNORE``, ``IS [NOT] ?`` (null-safe comparison), ``json_each(?)`` id lists,
``char(n)``, ``COLLATE NOCASE`` (PostgreSQL's columns are ``citext`` where it
matters), ``INDEXED BY``, and full-text ``MATCH`` on the two search tables.
A statement it cannot translate is refused with :class:`Unsupported`,
naming it, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from amends.core.errors import DatabaseProblem


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
_IS_NOT_Q = re.compile(r"\bIS\s+NOT\s+\?", re.IGNORECASE)
_IS_Q = re.compile(r"\bIS\s+\?", re.IGNORECASE)
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


def _placeholders(sql: str) -> str:
    out: list[str] = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        text = match.group()
        if kind == "qmark":
            out.append("%s")
        elif kind == "named":
            out.append(f"%({text[1:]})s")
        elif kind == "percent":
            out.append("%%")
        else:
            out.append(text)
    return "".join(out)


_TICKET_SUBQUERY = re.compile(r"FROM\s+ticket_search\s+WHERE\s+ticket_search\s+MATCH\s+\?", re.IGNORECASE)
_TICKET_ALIAS = re.compile(r"\bticket_search\s+(?:AS\s+)?(?!WHERE\b|JOIN\b|ON\b|MATCH\b)([A-Za-z_]\w*)", re.IGNORECASE)
_TICKET_MATCH = re.compile(r"\bticket_search\s+MATCH\s+\?", re.IGNORECASE)
_CUSTOMER_MATCH = re.compile(r"\bcustomer_search\s+MATCH\s+\?", re.IGNORECASE)
_INDEXED_BY = re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE)


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


def _outside_strings(sql: str, pattern: re.Pattern[str], replacement: str) -> str:
    """Apply a rewrite to the code, not to quoted strings or comments."""
    parts = re.split(r"('(?:[^']|'')*'|--[^\n]*)", sql)
    return "".join(part if i % 2 else pattern.sub(replacement, part) for i, part in enumerate(parts))


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> Statement:
    """SQLite SQL as the services write it → PostgreSQL (see the module's docstring)."""
    code = re.sub(r"('(?:[^']|'')*'|--[^\n]*)", "", sql)
    if _MATCH.search(code):
        sql = _search(sql)
    if _INSERT_OR_REPLACE.search(code):
        raise Unsupported("INSERT OR REPLACE has no PostgreSQL translation; use ON CONFLICT: " + sql.strip()[:120])
    ignore = bool(_INSERT_OR_IGNORE.search(sql))
    if ignore:
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql, count=1)
    sql = _outside_strings(sql, _JSON_IDS, "SELECT jsonb_array_elements_text(?::jsonb)::bigint")
    sql = _outside_strings(sql, _IS_NOT_Q, "IS DISTINCT FROM ?")
    sql = _outside_strings(sql, _IS_Q, "IS NOT DISTINCT FROM ?")
    sql = _outside_strings(sql, _NOCASE, "")
    sql = _outside_strings(sql, _CHAR, "chr(")
    sql = _outside_strings(sql, _INDEXED_BY, "")
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
    return Statement(sql=sql, insert_table=insert.group(1).lower() if insert else None, returning=returning)
