"""``amends check`` and ``check --repair`` on files changed by the tools
people really use: the ``sqlite-utils`` command and the ``sqlite3`` shell,
each a separate process, like the ``amends`` command itself."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import amends

SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"
SQLITE3 = shutil.which("sqlite3")


def tool(*args: str) -> None:
    result = subprocess.run([*args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("drift") / "made.db"
    result = amends("--db", str(path), "demo", "--tickets", "40", "--seed", "2")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def work(tmp_path: Path, made: Path) -> Path:
    copy = tmp_path / "work.db"
    copy.write_bytes(made.read_bytes())  # the demo's file is closed and checkpointed
    return copy


def table_sql(path: Path, name: str) -> str:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    finally:
        raw.close()


def test_check_names_what_sqlite_utils_transform_dropped_and_repair_restores_it(work: Path) -> None:
    tool(str(SQLITE_UTILS), "transform", str(work), "policy_versions", "--type", "note", "text")
    found = amends("--db", str(work), "check")
    assert found.returncode == 1
    assert "problem: schema: trigger policy_versions_immutable_update is missing: an UPDATE on policy_versions " \
           "is no longer refused (published policy versions are immutable)" in found.stderr
    assert found.stderr.strip().splitlines()[-1] == \
        f"amends: {work} has 2 problem(s); run 'amends check --repair'"
    assert "Traceback" not in found.stderr
    fixed = amends("--db", str(work), "check", "--repair")
    assert fixed.returncode == 0, fixed.stderr
    assert "fixed: backup made before repairing: " in fixed.stdout
    assert "fixed: trigger policy_versions_immutable_update restored" in fixed.stdout
    assert f"{work}: healthy" in fixed.stdout
    raw = sqlite3.connect(work)
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        raw.execute("UPDATE policy_versions SET note = 'rewritten'")
    raw.close()


def test_customers_rebuilt_by_sqlite_utils_and_edited_is_told_and_reindexed(work: Path) -> None:
    tool(str(SQLITE_UTILS), "transform", str(work), "customers", "--rename", "name", "full_name")
    tool(str(SQLITE_UTILS), "transform", str(work), "customers", "--rename", "full_name", "name")
    tool(str(SQLITE_UTILS), "query", str(work), "UPDATE customers SET name = 'Zebedee Quartermain' WHERE id = 1")
    found = amends("--db", str(work), "check")
    assert found.returncode == 1 and "damaged" not in found.stderr, found.stderr
    assert "problem: schema: trigger customers_search_update is missing: the search index customer_search no " \
           "longer follows an UPDATE on customers" in found.stderr
    assert "problem: search index: the customer index is inconsistent" in found.stderr
    fixed = amends("--db", str(work), "check", "--repair")
    assert fixed.returncode == 0, fixed.stderr
    assert "fixed: search index customer_search rebuilt" in fixed.stdout


@pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 shell is not installed")
def test_drop_trigger_and_drop_index_from_the_sqlite3_shell(work: Path) -> None:
    tool(SQLITE3, str(work), "DROP TRIGGER attachments_release; DROP INDEX tickets_customer;")
    found = amends("--db", str(work), "check")
    assert found.returncode == 1
    assert "problem: schema: trigger attachments_release is missing: a DELETE on attachments no longer also " \
           "changes attachment_contents" in found.stderr
    assert "problem: schema: index tickets_customer is missing: lists and searches that read tickets by " \
           "customer_id, created_at get slow on a large file" in found.stderr
    fixed = amends("--db", str(work), "check", "--repair")
    assert fixed.returncode == 0, fixed.stderr
    assert "fixed: index tickets_customer restored" in fixed.stdout
    assert amends("--db", str(work), "check").returncode == 0


def test_repair_refuses_changed_and_added_columns_says_why_and_changes_nothing_of_them(work: Path) -> None:
    tool(str(SQLITE_UTILS), "transform", str(work), "tickets", "--type", "priority", "text")
    tool(str(SQLITE_UTILS), "add-column", str(work), "tickets", "my_flag", "text")  # ALTER TABLE ADD COLUMN
    tool(str(SQLITE_UTILS), "query", str(work), "DROP TRIGGER policy_steps_immutable_delete")
    tickets_before = table_sql(work, "tickets")
    result = amends("--db", str(work), "check", "--repair")
    assert result.returncode == 1
    assert "fixed: trigger policy_steps_immutable_delete restored" in result.stdout
    assert "not repaired: column tickets.priority is declared TEXT, expected INTEGER" in result.stderr
    assert "not repaired: column tickets.my_flag is not Amends'" in result.stderr
    assert "restore a backup" in result.stderr.strip().splitlines()[-1]
    assert table_sql(work, "tickets") == tickets_before, "the refused table is left exactly as it was"
    assert "Traceback" not in result.stderr


def test_a_healthy_file_stays_healthy_and_quiet(work: Path) -> None:
    result = amends("--db", str(work), "check")
    assert result.returncode == 0 and result.stderr == ""
    assert "schema: as version" in result.stdout


def test_a_table_rebuilt_without_a_column_is_left_and_the_hint_is_a_backup(work: Path) -> None:
    raw = sqlite3.connect(work, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("BEGIN")
    raw.execute("CREATE TABLE customers_new (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, email TEXT NOT NULL, "
                "created_at TEXT NOT NULL, first_ticket_at TEXT, first_ticket_id INTEGER, "
                "version INTEGER NOT NULL DEFAULT 1)")
    raw.execute("INSERT INTO customers_new SELECT id, ref, email, created_at, first_ticket_at, first_ticket_id, "
                "version FROM customers")
    raw.execute("DROP TABLE customers")
    raw.execute("ALTER TABLE customers_new RENAME TO customers")
    raw.execute("COMMIT")
    raw.close()
    result = amends("--db", str(work), "check", "--repair")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "fixed: index customers_email restored" in result.stdout
    assert "not repaired: trigger customers_search_insert is missing" in result.stderr
    assert "not repaired: search index not rebuilt: SQLite refused it" in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("restore a backup ('amends restore')")
