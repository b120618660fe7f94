"""The PostgreSQL Database and its dialect (issue 19 points 1 and 2): the
translation of SQLite's SQL, and the store's promises on a real server —
immutable history by triggers, ids like lastrowid, rows like sqlite3.Row,
data_version, one writer at a time."""

from __future__ import annotations

import sqlite3

import pytest
from amends.core import policies
from amends.core.errors import Busy
from amends.core.store import Database
from amends.core.store.dialect import Unsupported, to_postgres
from amends.core.store.postgres import PostgresDatabase, is_url, redact
from amends.core.workspace import open_database

from tests.conftest import ACTOR, make_customer, make_ticket
from tests.pg_support import fresh_database


# -- the dialect (no server needed) --------------------------------------------
def test_placeholders_percent_and_strings() -> None:
    sql = to_postgres("SELECT '?', 'it''s ? %', x FROM t WHERE a = ? AND b LIKE '%a' AND c = :name -- ?").sql
    assert sql == "SELECT '?', 'it''s ? %%', x FROM t WHERE a = %s AND b LIKE '%%a' AND c = %(name)s -- ?"


def test_sqlite_only_forms_are_rewritten() -> None:
    assert to_postgres("INSERT OR IGNORE INTO tags (name) VALUES (?)").sql == \
        "INSERT INTO tags (name) VALUES (%s) ON CONFLICT DO NOTHING"
    assert to_postgres("SELECT 1 FROM t WHERE a IS ? AND b IS NOT ? AND c IS NOT NULL").sql == \
        "SELECT 1 FROM t WHERE a IS NOT DISTINCT FROM %s AND b IS DISTINCT FROM %s AND c IS NOT NULL"
    assert "jsonb_array_elements_text(%s::jsonb)::bigint" in to_postgres(
        "SELECT id FROM tickets WHERE id IN (SELECT value FROM json_each(?))").sql
    assert to_postgres("SELECT a FROM t WHERE 1 ORDER BY a COLLATE NOCASE").sql == \
        "SELECT a FROM t WHERE true ORDER BY a"
    assert to_postgres("SELECT id FROM tickets t INDEXED BY tickets_snoozed WHERE 1").sql == \
        "SELECT id FROM tickets t WHERE true"
    assert to_postgres("SELECT id FROM tickets t NOT INDEXED WHERE t.id IN (SELECT 1)").sql == \
        "SELECT id FROM tickets t WHERE t.id IN (SELECT 1)"


def test_what_cannot_be_translated_is_refused_by_name() -> None:
    with pytest.raises(Unsupported, match="PRAGMA page_size"):
        to_postgres("PRAGMA page_size")
    with pytest.raises(Unsupported, match="INSERT OR REPLACE"):
        to_postgres("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)")


def test_urls_are_told_from_files_and_passwords_never_shown() -> None:
    assert is_url("postgresql://ada@host/db") and is_url("postgres://ada@host/db")
    assert not is_url("amends.db") and not is_url("/tmp/postgresql:/x.db")
    assert redact("postgresql://ada:s3cret@host:5432/db") == "postgresql://ada:***@host:5432/db"


def test_a_file_still_opens_as_sqlite(db_path) -> None:
    db = open_database(db_path, ACTOR)
    try:
        assert type(db) is Database and isinstance(db.conn, sqlite3.Connection)
    finally:
        db.close()


# -- on a server ------------------------------------------------------------------
@pytest.fixture
def pg(pg_server):
    with fresh_database(pg_server) as url:
        db = open_database(url, ACTOR)
        yield db
        db.close()


def test_published_versions_and_the_audit_log_cannot_be_changed(pg: PostgresDatabase) -> None:
    assert isinstance(pg, PostgresDatabase) and pg.schema_version >= 4
    before = pg.tuples("SELECT * FROM policy_versions ORDER BY id")
    assert before
    for sql in ("UPDATE policy_versions SET note = 'rewritten'", "DELETE FROM policy_steps",
                "UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match=r"immutable|append-only"), pg.transaction() as conn:
            conn.execute(sql)
    assert pg.tuples("SELECT * FROM policy_versions ORDER BY id") == before


def test_new_ids_rows_and_data_version(pg: PostgresDatabase) -> None:
    customer = make_customer(pg)
    first, second = make_ticket(pg, customer), make_ticket(pg, customer)
    assert second == first + 1
    row = pg.one("SELECT id, subject FROM tickets WHERE id = ?", (first,))
    assert row[0] == row["id"] == first and dict(row) == {"id": first, "subject": "Box arrived crushed"}
    seen = pg.data_version()
    make_ticket(pg, customer)
    assert pg.data_version() == seen  # our own commit: not "someone else changed it"
    other = pg.reopen()
    try:
        make_ticket(other, customer)
    finally:
        other.close()
    assert pg.data_version() != seen


def test_one_writer_at_a_time_like_begin_immediate(pg: PostgresDatabase) -> None:
    other = pg.reopen()
    try:
        with pg.transaction(), pytest.raises(Busy, match="nothing was saved"), \
                other.transaction(wait=False) as conn:
            conn.execute("UPDATE tickets SET subject = 'x'")
        with other.transaction() as conn:  # free again once the first committed
            conn.execute("UPDATE settings SET value = value WHERE key = 'none'")
    finally:
        other.close()


def test_lifting_the_triggers_for_a_new_database_works_and_restores_them(pg: PostgresDatabase) -> None:
    with pg.transaction() as conn:
        policies.remove_all(conn)
    assert pg.scalar("SELECT count(*) FROM policy_versions") == 0
    with pg.transaction() as conn:
        policies.seed_defaults(conn, ACTOR)
    with pytest.raises(sqlite3.IntegrityError, match="immutable"), pg.transaction() as conn:
        conn.execute("DELETE FROM policy_versions")


def test_scalar_min_max_and_unaliased_subqueries() -> None:
    sql = to_postgres("SELECT max(a, ?), max(b), min(c, 1) FROM (SELECT 1 AS a, 'x)' AS b, 2 AS c) WHERE 1").sql
    assert sql == "SELECT GREATEST(a, %s), max(b), LEAST(c, 1) FROM (SELECT 1 AS a, 'x)' AS b, 2 AS c) AS _sub0 WHERE true"


def test_counting_with_sum_of_a_comparison(pg: PostgresDatabase) -> None:
    make_ticket(pg, make_customer(pg))
    assert pg.scalar("SELECT sum(status = 'open') FROM tickets") == 1
    assert pg.scalar("SELECT sum(status = 'open') FROM tickets WHERE 0") is None
    assert pg.scalar("SELECT avg(status = 'open') FROM tickets") == 1.0
    assert pg.scalar("PRAGMA user_version") == pg.schema_version


def test_a_waiting_writer_asks_the_waiter_between_slices_and_can_stop(pg: PostgresDatabase) -> None:
    """As on a file: while another writer holds the lock, the waiter is asked (elapsed growing),
    False stops with Cancelled, nothing saved, and the connection writes fine afterwards."""
    from amends.core.errors import Cancelled

    other = pg.reopen()
    asked: list[float] = []

    def waiter(elapsed: float) -> bool:
        asked.append(elapsed)
        return len(asked) < 3

    other.waiter = waiter
    try:
        with pg.transaction(), pytest.raises(Cancelled, match="nothing was saved"), other.transaction() as conn:
            conn.execute("UPDATE settings SET value = 'mine' WHERE key = 'none'")
        assert len(asked) == 3 and asked == sorted(asked) and asked[-1] > 0
        other.waiter = None
        with other.transaction() as conn:  # the lock is free again and the connection is usable
            conn.execute("UPDATE settings SET value = value WHERE key = 'none'")
    finally:
        other.close()
