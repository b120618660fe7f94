"""``amends move`` (issue 19 point 5): a file to a real PostgreSQL server and
back to a new file, as real processes; what it refuses; and that a move it
cannot verify leaves nothing behind."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.test_cli import amends, one_line_error
from tests.pg_support import fresh_database

_names = itertools.count(1)
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "amends-v4.db"


@contextmanager
def empty_database(server) -> Iterator[str]:
    """A new database with nothing in it (``createdb``), dropped afterwards."""
    import psycopg

    name = f"amends_move_{next(_names)}"
    with psycopg.connect(server.url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(server.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = current_schema()").fetchall()]


def _rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (the search index's text too), sorted: two files hold the same data when equal."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%search%'")]
        found = {name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr) for name in names}
        found["ticket_search"] = sorted(conn.execute("SELECT rowid, subject, body FROM ticket_search").fetchall())
        return found
    finally:
        conn.close()


def _export(db: str, out: Path) -> bytes:
    result = amends("--db", db, "export", "--format", "amends", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def _copy(source: Path, dest: Path) -> Path:
    """A private copy through SQLite's backup API (DESIGN.md: never file copies of a database)."""
    with sqlite3.connect(source) as src, sqlite3.connect(dest) as out:
        src.backup(out)
    src.close()
    out.close()
    return dest


def test_demo_file_to_server_and_back_gives_the_same_exports(pg_server, tmp_path: Path) -> None:
    source = tmp_path / "shop.db"
    made = amends("--db", str(source), "demo", "--tickets", "120", "--seed", "4")
    assert made.returncode == 0, made.stderr
    with empty_database(pg_server) as url:
        there = amends("move", "--from", str(source), "--to", url)
        assert there.returncode == 0, there.stderr
        assert "verified" in there.stdout and "rows/s" in there.stdout
        assert "moving: table 1/" in there.stderr and "verifying" in there.stderr  # the progress, on stderr
        back = tmp_path / "back.db"
        home = amends("move", "--from", url, "--to", str(back))
        assert home.returncode == 0, home.stderr
        original = _export(str(source), tmp_path / "a.json")
        assert _export(url, tmp_path / "server.json") == original  # byte-equal: ids kept, nothing normalised
        assert _export(str(back), tmp_path / "b.json") == original
        # the server works as a database afterwards: new rows get new ids (sequences moved past the copied ones)
        added = amends("--db", url, "rules", "add", "--name", "after the move", "--when", "refund",
                       "--set", "priority=2")
        assert added.returncode == 0, added.stderr
    assert _rows(back) == _rows(source)
    checked = amends("--db", str(back), "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_rows_of_every_kind_survive_both_ways(pg_server, tmp_path: Path) -> None:
    """The v4 fixture has rows in almost every table (audit, attachments with bytes, policy
    versions, merges, surveys …); the four it lacks get rows here, with NULLs, floats,
    big numbers and non-ASCII text."""
    source = _copy(FIXTURE, tmp_path / "every.db")
    conn = sqlite3.connect(source)
    with conn:
        ticket = conn.execute("SELECT min(id) FROM tickets").fetchone()[0]
        account = conn.execute("SELECT min(id) FROM mail_accounts").fetchone()[0]
        conn.execute("INSERT INTO presence VALUES ('inst-1', 'Zoë Ångström', ?, 'replying', '2026-11-01T10:00:00Z')",
                     (ticket,))
        conn.execute("INSERT INTO drafts VALUES ('Ana', ?, 'reply', 'Grüße — 🎉 \"quoted\" ''single''', "
                     "'2026-11-01T10:00:00Z')", (ticket,))
        conn.execute("INSERT INTO mail_folders VALUES (?, 'INBOX/Ünïcode', 9223372036854775807, 42)", (account,))
        conn.execute("INSERT INTO away_replies VALUES (?, 'Ada@Example.com', '2026-11-01', NULL)", (account,))
    empty = [name for name, rows in _rows(source).items() if not rows]
    conn.close()
    assert empty == [], f"tables without rows in the test's source: {empty}"
    with empty_database(pg_server) as url:
        there = amends("move", "--from", str(source), "--to", url)
        assert there.returncode == 0, there.stderr
        back = tmp_path / "back.db"
        home = amends("move", "--from", url, "--to", str(back))
        assert home.returncode == 0, home.stderr
    assert _rows(back) == _rows(source)
    # published versions and the audit log are still immutable on the new file
    conn = sqlite3.connect(back)
    try:
        for statement in ("DELETE FROM audit_log", "UPDATE policy_versions SET note = 'x'"):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(statement)
    finally:
        conn.close()


def test_refuses_a_target_that_is_not_new(pg_server, tmp_path: Path) -> None:
    source = tmp_path / "shop.db"
    assert amends("--db", str(source), "demo", "--tickets", "5").returncode == 0
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"mine")
    refused = amends("move", "--from", str(source), "--to", str(taken))
    assert refused.returncode == 1
    assert "already exists" in one_line_error(refused)
    assert taken.read_bytes() == b"mine"
    with fresh_database(pg_server) as url:  # an Amends database already: not empty
        before = amends("--db", url, "stats").stdout
        refused = amends("move", "--from", str(source), "--to", url)
        assert refused.returncode == 1
        assert "is not empty" in one_line_error(refused)
        assert amends("--db", url, "stats").stdout == before
    with empty_database(pg_server) as url:  # a server database that holds no Amends data is no source
        refused = amends("move", "--from", url, "--to", str(tmp_path / "new.db"))
        assert refused.returncode == 1
        assert "holds no Amends database" in one_line_error(refused)
        assert _tables(url) == []  # not created by looking
        assert not (tmp_path / "new.db").exists()
    missing = amends("move", "--from", str(tmp_path / "none.db"), "--to", str(tmp_path / "new.db"))
    assert missing.returncode == 1 and "missing or empty" in one_line_error(missing)


@pytest.mark.parametrize("args", [
    ["move", "--from", "a.db"],
    ["move", "--to", "postgresql://x@127.0.0.1/db"],
    ["move", "--from", "a.db", "--to", "mysql://x@host/db"],
    ["move", "--from", "", "--to", "b.db"],
    ["--db", "c.db", "move", "--from", "a.db", "--to", "b.db"],
])
def test_bad_arguments_exit_2(args: list[str], tmp_path: Path) -> None:
    result = amends(*args)
    assert result.returncode == 2, result.stderr
    one_line_error(result)


def _refused_move(source: Path, pg_server) -> str:
    """``amends move`` of ``source`` to an empty server database, refused:
    exit 1, no traceback, and the server database as empty as before. Its
    last line of stderr, the message."""
    with empty_database(pg_server) as url:
        refused = amends("move", "--from", str(source), "--to", url)
        assert refused.returncode == 1, refused.stderr
        assert "Traceback" not in refused.stderr
        assert _tables(url) == []
    return refused.stderr.strip().splitlines()[-1]


def test_a_move_that_does_not_verify_leaves_the_server_empty(pg_server, tmp_path: Path) -> None:
    """SQLite keeps bytes in a TEXT column; the server would store them as text: not the same
    row, so the digest check refuses it and the server keeps nothing, not even the schema."""
    source = tmp_path / "odd.db"
    assert amends("--db", str(source), "demo", "--tickets", "5").returncode == 0
    conn = sqlite3.connect(source)
    with conn:
        conn.execute("UPDATE settings SET value = ? WHERE rowid = (SELECT min(rowid) FROM settings)", (b"\x01\x02",))
    conn.close()
    message = _refused_move(source, pg_server)
    assert "Verifying" in message and "settings" in message and "not in content" in message, message


def test_a_value_the_server_cannot_hold_is_refused_naming_table_and_column(pg_server, tmp_path: Path) -> None:
    """SQLite keeps a NUL character in text, PostgreSQL cannot: one line naming the table, the
    row and the column, exit 1, and the server database as empty as before."""
    source = tmp_path / "nul.db"
    assert amends("--db", str(source), "demo", "--tickets", "5").returncode == 0
    conn = sqlite3.connect(source)
    with conn:
        conn.execute("UPDATE messages SET body = 'before' || char(0) || 'after' WHERE id = (SELECT max(id) FROM messages)")
    conn.close()
    message = _refused_move(source, pg_server)
    assert message.startswith("amends: messages (row ") and "column body" in message, message
