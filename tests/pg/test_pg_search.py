"""Search on PostgreSQL finds what it finds on SQLite (issue 19 point 3).

One demo dataset, written through the same services into an SQLite file and
a PostgreSQL database; the same searches (words, phrases, a prefix while
typing, fields, OR, NOT, from:) must give the same tickets in the same order
(recency). Runs whatever --backend says: it needs both."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from amends.core import demo, tickets
from amends.core.workspace import open_database

from tests.conftest import ACTOR
from tests.pg_support import fresh_database

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SEARCHES = [
    "crushed", "box", "refund", '"arrived crushed"', "cru", "crus", "arr", "charged twice",
    "from:ada", "from:example", "from:ok", "from:gmail.com", "category:damaged_shipment crushed",
    "status:all refund", "crushed OR refund", "-crushed", "box -crushed", "status:resolved", "cycle:1",
    "café", "cafe", "ünïcode", "a'b", '"unclosed phrase', "beans AND", "NEAR(a b)",
    "status:all from:ada box", "tag:vip", "is:snoozed", "before:2026-10-01 status:all",
]


def _ids(db, text: str) -> list[int]:
    found: list[int] = []
    after = None
    while True:
        rows, after = tickets.page(db, tickets.InboxQuery(text=text, status="all" if "status:" not in text
                                                          else "active"), after, limit=100, now="2026-11-01T00:00:00Z")
        found += [row.id for row in rows]
        if after is None:
            return found


@pytest.fixture(scope="module")
def both(pg_server, tmp_path_factory):
    sqlite = open_database(tmp_path_factory.mktemp("search") / "amends.db", ACTOR)
    with fresh_database(pg_server) as url:
        pg = open_database(url, ACTOR)
        for db in (sqlite, pg):
            demo.generate(db, 300, seed=7, now=NOW)
            ticket = tickets.create(db, "Café order arrived crushed", "Ünïcode body; a'b", created_at="2026-10-30T00:00:00Z")
            tickets.add_message(db, ticket, "in", "The box arrived crushed again.")
        yield sqlite, pg
        pg.close()
    sqlite.close()


@pytest.mark.parametrize("text", SEARCHES)
def test_the_same_search_finds_the_same_tickets_on_both_backends(both, text: str) -> None:
    sqlite, pg = both
    expected = _ids(sqlite, text)
    assert _ids(pg, text) == expected


def test_the_dataset_is_the_same_and_searches_find_something(both) -> None:
    """Not a vacuous comparison: the data agree and most searches find tickets."""
    sqlite, pg = both
    assert sqlite.tuples("SELECT id, subject FROM tickets ORDER BY id") == pg.tuples(
        "SELECT id, subject FROM tickets ORDER BY id")
    found = [text for text in SEARCHES if _ids(sqlite, text)]
    assert len(found) >= len(SEARCHES) // 2, found
