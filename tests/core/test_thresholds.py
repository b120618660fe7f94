"""Thresholds that fit the store: the "recurring, no policy" flag on a
300-subscriber and a 30,000-subscriber store with planted rates."""

from __future__ import annotations

from datetime import date

import pytest
from amends.core import policies
from amends.core.insights import recurring
from amends.core.insights.numbers import binomial_at_least, poisson_at_least
from amends.core.insights.period import Period
from amends.core.insights.recurring import Thresholds
from amends.core.vocabulary import CATEGORIES

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))


def store(db, subscribers, planted, *, typical, previous=None):
    """``subscribers`` active since 2025; in Q1 every category gets
    ``typical`` tickets except those in ``planted``; ``previous``: tickets
    per category in each of the four quarters before (default: typical)."""
    with db.transaction() as conn:
        policies.remove_all(conn)  # nothing covered: flag (a) is what is tested
        conn.executemany("INSERT INTO customers (id, email, name, created_at) VALUES (?, ?, '', ?)",
                         [(i, f"c{i}@example.com", "2025-01-01T00:00:00Z") for i in range(1, subscribers + 1)])
        conn.executemany("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                         "VALUES (?, 'Coffee Monthly', '2025-01-01T00:00:00Z', 30)",
                         [(i,) for i in range(1, subscribers + 1)])
        rows = []
        for category in CATEGORIES:
            rows += [(category, f"2026-02-{1 + i % 27:02d}T09:00:00Z") for i in range(planted.get(category, typical))]
            before = typical if previous is None else previous.get(category, typical)
            for month in ("2025-02", "2025-05", "2025-08", "2025-11"):
                rows += [(category, f"{month}-{1 + i % 27:02d}T09:00:00Z") for i in range(before)]
        conn.executemany("INSERT INTO tickets (subject, category, created_at, updated_at, customer_id) "
                         "VALUES ('x', ?, ?, ?2, 1)", rows)


def flags(db, thresholds=Thresholds()):
    return {r.category: r for r in recurring.complaints(db, Q1, thresholds, now="2026-06-01T00:00:00Z")}


def test_tail_probabilities_known_values():
    assert poisson_at_least(9, 2.0) == pytest.approx(2.3738e-4, rel=1e-3)
    assert poisson_at_least(0, 5.0) == 1.0
    assert poisson_at_least(1, 0.0) == 0.0
    assert binomial_at_least(3, 3, 0.2) == pytest.approx(0.008)
    assert binomial_at_least(9, 20, 0.2) == pytest.approx(0.0099818, rel=1e-4)


def test_a_300_subscriber_store_sees_nine_uncovered_quality_complaints(db):
    """9 quality complaints where the other categories have 2 each: under
    the fixed minimum of 10, but 30 per 1,000 vs 6.7 is not chance."""
    store(db, 300, {"product_quality": 9, "billing": 4}, typical=2)
    rows = flags(db)
    quality = rows["product_quality"]
    assert quality.flag and quality.tickets == 9
    assert "stands out" in quality.reason and "Poisson" in quality.reason and "0.05" in quality.reason
    assert not rows["billing"].flag          # 4 vs 2: P(X >= 4 | 2) = 0.14, chance
    assert not rows["late_delivery"].flag    # 2: fewer than min_evidence
    # the fixed minimum stays adjustable and still flags by itself
    assert flags(db, Thresholds(min_tickets=4))["billing"].flag


def test_a_category_up_on_its_own_history_at_a_small_store(db):
    """Every category has 6 a quarter (8 does not stand out against the
    others) but quality had 1 a quarter before: the history test flags it."""
    store(db, 300, {"product_quality": 8}, typical=6, previous={"product_quality": 1})
    quality = flags(db)["product_quality"]
    assert quality.flag and "binomial" in quality.reason and "up from" in quality.reason


def test_a_30000_subscriber_store_judges_by_rate_not_by_count(db):
    """300 tickets a quarter per category is typical here (10 per 1,000).
    With the fixed minimum raised out of the way, 400 stands out and 310 does
    not; 9 tickets are nothing at this size, whatever the minimum."""
    store(db, 30_000, {"product_quality": 400, "billing": 310, "other": 9}, typical=300)
    high = Thresholds(min_tickets=1_000_000)
    rows = flags(db, high)
    assert rows["product_quality"].flag and "Poisson" in rows["product_quality"].reason
    assert not rows["billing"].flag
    assert not rows["other"].flag
    assert rows["product_quality"].active_subscribers == 30_000
    # the default fixed minimum of 10 flags every uncovered category with 10 or more, as before
    default = flags(db)
    assert default["billing"].flag and not default["other"].flag


def test_the_level_is_adjustable(db):
    store(db, 300, {"product_quality": 5}, typical=2)   # P(X >= 5 | 2) = 0.053
    assert not flags(db)["product_quality"].flag
    assert flags(db, Thresholds(alpha=0.1))["product_quality"].flag
