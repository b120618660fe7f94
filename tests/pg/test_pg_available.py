"""The one test that says whether this run has a PostgreSQL (issue 19): where
none can be made, it is the one skip (with the reason) and every other test
that needs the server is deselected (tests/conftest.py), so the run says why once."""

from __future__ import annotations


def test_a_throwaway_postgresql_runs_here(pg_server) -> None:
    import psycopg

    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
