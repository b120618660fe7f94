"""The test databases on PostgreSQL (tests/pg_support.py): a used one is
emptied back to exactly what a new one holds before it is handed out again,
and one whose schema a test changed is never handed out again."""

from __future__ import annotations

import pytest
from amends.core import demo
from amends.core.workspace import open_database

from tests.conftest import ACTOR, make_ticket
from tests.pg_support import TEMPLATE, pool


def _state(url: str) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        rows = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
        sequences = conn.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1").fetchall()
    return {"rows": rows, "sequences": sequences}


def test_a_reused_database_is_what_a_new_one_is(pg_server) -> None:
    import psycopg

    owner = pool(pg_server)
    name = owner.acquire()
    db = open_database(pg_server.url(name), ACTOR)
    demo.generate(db, 30, seed=2)
    make_ticket(db)
    leaked = open_database(pg_server.url(name), ACTOR)  # a connection a test forgot to close
    db.close()
    owner.release(name)
    assert name in owner.free
    assert _state(pg_server.url(name)) == _state(pg_server.url(TEMPLATE))
    with pytest.raises(psycopg.OperationalError):  # the forgotten connection was ended first
        leaked.conn.raw.execute("SELECT 1")
    leaked.conn.raw.close()
    assert owner.acquire() == name, "the emptied database is handed out again"
    db = open_database(pg_server.url(name), ACTOR)
    try:
        assert make_ticket(db) == 1, "ids start again as in a new database"
    finally:
        db.close()
        owner.release(name)


def test_a_database_whose_schema_changed_is_dropped(pg_server) -> None:
    import psycopg

    owner = pool(pg_server)
    name = owner.acquire()
    with psycopg.connect(pg_server.url(name), autocommit=True) as conn:
        conn.execute("CREATE INDEX someone_elses ON tickets (subject)")
    owner.release(name)
    assert name not in owner.free
    with psycopg.connect(pg_server.url(), autocommit=True) as admin:
        assert admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0] == 0
