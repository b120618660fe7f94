"""The `amends` command on a PostgreSQL server (issue 19 point 1): `--db
postgresql://…` and AMENDS_DB, as real processes."""

from __future__ import annotations

import json

from tests.cli.test_cli import amends, one_line_error
from tests.pg_support import fresh_database


def test_demo_then_search_through_db_url(pg_server) -> None:
    with fresh_database(pg_server) as url:
        made = amends("--db", url, "demo", "--tickets", "40", "--seed", "3")
        assert made.returncode == 0, made.stderr
        found = amends("--db", url, "search", "box", "--json")
        assert found.returncode == 0, found.stderr
        assert isinstance(json.loads(found.stdout), list | dict)
        stats = amends("stats", env={"AMENDS_DB": url})
        assert stats.returncode == 0, stats.stderr
        assert "40" in stats.stdout


def test_an_unreachable_server_is_a_clear_error_not_a_traceback(pg_server) -> None:
    url = f"postgresql://nobody@127.0.0.1:{pg_server.port}/no_such_database"
    result = amends("--db", url, "stats")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    message = one_line_error(result)
    assert "Cannot connect to postgresql://nobody@127.0.0.1" in message, message


def test_a_newer_schema_on_the_server_is_refused_and_left_untouched(pg_server) -> None:
    import psycopg

    with fresh_database(pg_server) as url:
        assert amends("--db", url, "demo", "--tickets", "5").returncode == 0
        with psycopg.connect(url, autocommit=True) as raw:
            raw.execute("UPDATE amends_schema SET version = 42")

            def state() -> tuple:
                return (raw.execute("SELECT version FROM amends_schema").fetchall(),
                        raw.execute("SELECT count(*), max(id) FROM tickets").fetchone(),
                        raw.execute("SELECT n FROM amends_changes").fetchone())

            before = state()
            for command in (["stats"], ["check"], ["demo", "--tickets", "3"]):
                assert "newer Amends" in one_line_error(amends("--db", url, *command))
            assert state() == before


def test_a_cli_error_on_a_server_names_its_url_with_both_slashes_and_no_password(pg_server, tmp_path) -> None:
    """``db.path`` of a server is ``Path(url)``: messages printed 'postgresql:/host/db'; they name ``db.location``."""
    with fresh_database(pg_server) as url:
        result = amends("--db", url, "backup", str(tmp_path / "copy.db"))
        assert result.returncode != 0
        message = one_line_error(result)
        assert f"{url} is a server database" in message, message
        assert "postgresql:/" + url.split("://", 1)[1] not in message
