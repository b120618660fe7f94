"""Real database files of every released schema version (tests/fixtures/)
open and upgrade to the current version with their data intact."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from amends.core import health, resolution, tickets
from amends.core.store.schema import CURRENT_VERSION
from amends.core.workspace import open_database

from tests.conftest import ACTOR

FIXTURES = sorted(Path(__file__).resolve().parents[1].joinpath("fixtures").glob("amends-v*.db"))


def schema_of(path: Path) -> list[tuple[str, str]]:
    raw = sqlite3.connect(path)
    rows = raw.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                       "'ticket_search_%' ORDER BY name").fetchall()
    raw.close()
    return [(name, re.sub(r"\s+", " ", sql)) for name, sql in rows]


def test_there_is_a_fixture_for_the_current_version():
    assert any(p.name == f"amends-v{CURRENT_VERSION}.db" for p in FIXTURES)


def test_a_released_schema_is_never_edited(tmp_path):
    """A fresh database must have exactly the schema of the released file
    of its version: change the schema only through a new version."""
    fresh = tmp_path / "fresh.db"
    open_database(fresh, ACTOR).close()
    current = next(p for p in FIXTURES if p.name == f"amends-v{CURRENT_VERSION}.db")
    assert schema_of(fresh) == schema_of(current)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_every_released_version_upgrades_with_its_data(tmp_path, fixture):
    path = tmp_path / fixture.name
    shutil.copy(fixture, path)
    raw = sqlite3.connect(path)
    before = {t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("tickets", "messages", "resolutions", "policy_versions", "audit_log")}
    raw.close()
    db = open_database(path, ACTOR)
    assert db.schema_version == CURRENT_VERSION
    assert health.check(db).ok
    for table, count in before.items():
        assert db.scalar(f"SELECT count(*) FROM {table}") >= count
    open_ticket = next(r for r in tickets.page(db, tickets.InboxQuery(status="active"))[0])
    checklist = resolution.checklist_for(db, open_ticket.id)
    assert checklist.ticket_id == open_ticket.id
