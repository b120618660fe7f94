"""What the core writes to the log (the app's amends.log): what a person
needs later to tell what happened to a file — a backup made, an import's
counts, an upgrade, a known problem — each from its module's own logger."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from amends.core import backups, importers
from amends.core.errors import DatabaseProblem
from amends.core.store import Database
from amends.core.workspace import open_database

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def messages(caplog, logger: str, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno >= level]


def test_a_backup_and_a_restore_are_logged(db, db_path, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="amends.core")
    made = backups.make(db, "manual")
    assert any(str(made) in m and "manual" in m for m in messages(caplog, "amends.core.backups"))
    db.close()
    backups.restore(db_path, made, force=True)
    assert any("Restored" in m and str(made) in m for m in messages(caplog, "amends.core.backups"))


def test_an_import_logs_its_counts_and_a_refused_one_why(db, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="amends.core")
    report = importers.import_file(db, FIXTURES / "import" / "first.eml")
    assert report.written and not report.errors
    [line] = messages(caplog, "amends.core.importers")
    assert "first.eml" in line and "1 messages new or changed, 0 unchanged, 1 messages, 0 skipped" in line
    broken = tmp_path / "broken.csv"
    broken.write_text("subject,category,created_at\nHello,no_such_category,2026-01-01\n", encoding="utf-8")
    caplog.clear()
    refused = importers.import_file(db, broken, "csv")
    assert refused.errors and not refused.written
    [warning] = messages(caplog, "amends.core.importers", logging.WARNING)
    assert "broken.csv" in warning and f"{len(refused.errors)} problems, nothing written" in warning


def test_an_upgrade_logs_its_backup(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="amends.core")
    old = tmp_path / "old.db"
    shutil.copy(FIXTURES / "amends-v1.db", old)
    open_database(old, "tester").close()
    [line] = messages(caplog, "amends.core.store.migrations")
    assert str(old) in line and "schema 1" in line and ".bak" in line


def test_a_known_problem_is_logged_as_a_warning(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="amends.core")
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_bytes(b"these are not the tables you are looking for" * 100)
    with pytest.raises(DatabaseProblem):
        Database.open(not_a_database, "tester", create=False)
    [warning] = messages(caplog, "amends.core.store.errors", logging.WARNING)
    assert str(not_a_database) in warning and "SQLITE_NOTADB" in warning
