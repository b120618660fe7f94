"""A psycopg error as what the services already handle: the ``sqlite3``
exception classes (a constraint is an ``IntegrityError`` on both backends),
and environment problems as typed errors naming the server (a connection
lost, a deadlock between writers, a refusal by privilege, NUL in text)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from amends.core.errors import Busy, ConnectionLost, DatabaseProblem, ValidationError

_NUL = "\x00"


def is_psycopg(error: BaseException) -> bool:
    import psycopg

    return isinstance(error, psycopg.Error)


@contextmanager
def translated(where: str, sql: str = "", params: Any = ()) -> Iterator[None]:
    """Around a statement sent to the server: a psycopg error raised in it
    comes out as :func:`as_sqlite_error` makes it (naming ``where``); any
    other error as it is."""
    try:
        yield
    except Exception as error:
        if is_psycopg(error):
            raise as_sqlite_error(error, where, sql, params) from error
        raise


def nul_field(sql: str, params: Any) -> str | None:
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


def as_sqlite_error(error: Exception, where: str, sql: str = "", params: Any = ()) -> Exception:
    """The sqlite3 exception the services already handle, for a psycopg one."""
    import psycopg

    text = f"{error}".strip()
    if isinstance(error, psycopg.DataError) and "NUL" in text:
        field_name = nul_field(sql, params) or "text"
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
