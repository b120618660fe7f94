"""Demo data: deterministic, realistic, all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from amends.core import clock, customers, demo, health
from amends.core.errors import ValidationError
from amends.core.workspace import open_database

from tests.conftest import ACTOR

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def snapshot(db) -> list:
    return [tuple(r) for r in db.query(
        "SELECT t.id, t.subject, t.category, t.status, t.billing_cycle, t.created_at, r.offer_value "
        "FROM tickets t LEFT JOIN resolutions r ON r.ticket_id = t.id ORDER BY t.id")]


def test_same_seed_same_data(tmp_path):
    a = open_database(tmp_path / "a.db", ACTOR)
    b = open_database(tmp_path / "b.db", ACTOR)
    c = open_database(tmp_path / "c.db", ACTOR)
    demo.generate(a, 400, seed=3, now=NOW)
    demo.generate(b, 400, seed=3, now=NOW)
    demo.generate(c, 400, seed=4, now=NOW)
    assert snapshot(a) == snapshot(b)
    assert snapshot(a) != snapshot(c)


def test_demo_is_realistic(demo_db):
    db = demo_db
    stats = health.stats(db)
    assert stats["tickets"] == 300 and stats["customers"] == 100
    assert health.check(db).ok
    span = db.one("SELECT min(started_at) AS first, max(started_at) AS last FROM subscriptions")
    assert span["first"] < "2025-06-01" and span["last"] > "2026-09-01", "about 18 months of subscriptions"
    assert db.scalar("SELECT count(DISTINCT category) FROM tickets") == 8
    assert db.scalar("SELECT count(*) FROM tickets WHERE billing_cycle = 1") > 30
    assert db.scalar("SELECT count(DISTINCT actor) FROM resolutions") >= 3
    assert db.scalar("SELECT count(*) FROM resolutions WHERE offer_in_bounds = 0 "
                     "AND override_reason IS NOT NULL") > 0, "some offers outside the bounds"
    assert db.scalar("SELECT count(*) FROM resolutions WHERE policy_version_id IS NULL") > 0
    assert db.scalar("SELECT count(*) FROM resolution_steps WHERE outcome = 'skipped' AND reason <> ''") > 0
    assert db.scalar("SELECT count(*) FROM subscriptions WHERE status = 'cancelled'") > 0
    assert db.scalar("SELECT count(*) FROM messages") > 300
    assert db.scalar("SELECT count(*) FROM policy_versions WHERE number = 2") == 2
    # resolutions point at the version in force when they were made
    wrong = db.scalar("""SELECT count(*) FROM resolutions r JOIN policy_versions v ON v.id = r.policy_version_id
                         WHERE v.published_at > r.resolved_at""")
    assert wrong == 0
    # billing cycles agree with the subscription dates
    for row in db.query("""SELECT t.created_at, t.billing_cycle, s.started_at, s.cycle_days FROM tickets t
                           JOIN subscriptions s ON s.customer_id = t.customer_id LIMIT 50"""):
        assert row["billing_cycle"] == customers.billing_cycle(
            clock.parse_iso(row["started_at"]), row["cycle_days"], clock.parse_iso(row["created_at"]))


def test_demo_refuses_a_database_with_tickets(demo_db):
    with pytest.raises(ValidationError, match="already holds"):
        demo.generate(demo_db, 10)


def test_cancel_leaves_nothing(db):
    """Cancelled once the first batch of rows is written in the transaction (the
    generator asks after each batch): one batch and one ticket more is the
    smallest size that has written rows to take back (45,000 cost twice as much)."""
    from amends.core.demo.generator import BATCH

    before = health.stats(db)
    reported = []
    with pytest.raises(demo.Cancelled):
        demo.generate(db, BATCH + 1, progress=lambda done, total: reported.append(done), cancelled=lambda: True)
    assert max(reported) >= BATCH, "rows were written before the cancel"
    assert health.stats(db) == before
