"""A PostgreSQL database's schema brought up to date (issue 19): one
transaction per version under the write lock, the SQLite schema translated
by :mod:`pg_schema`; then the access section (truncate guards, the app
role's grants), which only the owner of the tables can set.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, cast

from amends.core.store import pg_schema
from amends.core.store.pg_connection import Connection, schema_version
from amends.core.store.pg_locks import WRITE_LOCK
from amends.core.store.schema import CURRENT_VERSION, SCRIPTS

log = logging.getLogger(__name__)

_lock = threading.Lock()


def migrate(conn: Connection, after: Callable[[Any, int], None] | None = None) -> int:
    """Bring the server's schema up to date, one transaction per version under the
    write lock (two first openers do not both create it); return the version it had."""
    from amends.core.store.migrations import UPGRADES, refuse_if_too_new

    start = schema_version(conn)
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
            if schema_version(conn) == 0:
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
                if schema_version(conn) < version:
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
