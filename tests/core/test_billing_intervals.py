"""Issue 13, points 2 and 3: billing intervals as unit × count with cycle
numbers on the calendar; the upgrade from ``cycle_days``; several
subscriptions per customer, the one in force deciding cycle, segment and
churn."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from amends.core import billing, customers, insights, resolution, snooze, tickets
from amends.core.billing import Interval
from amends.core.insights.period import Period
from amends.core.workspace import open_database

from tests.conftest import ACTOR

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("started, interval, moment, cycle", [
    ("2026-01-31T10:00", Interval("month"), "2026-02-28T09:59", 1),
    ("2026-01-31T10:00", Interval("month"), "2026-02-28T10:00", 2),   # the month's last day stands in for the 31st
    ("2026-01-31T10:00", Interval("month"), "2026-03-30T00:00", 2),
    ("2026-01-31T10:00", Interval("month"), "2026-03-31T10:00", 3),
    ("2026-01-15T00:00", Interval("month"), "2027-01-15T00:00", 13),  # 30-day steps would say 13 on 10 January
    ("2026-01-15T00:00", Interval("month"), "2027-01-10T00:00", 12),
    ("2026-01-15T00:00", Interval("month", 3), "2026-04-14T00:00", 1),
    ("2026-01-15T00:00", Interval("month", 3), "2026-04-15T00:00", 2),
    ("2024-02-29T00:00", Interval("year"), "2025-02-28T00:00", 2),
    ("2026-01-01T00:00", Interval("week", 2), "2026-01-14T23:59", 1),
    ("2026-01-01T00:00", Interval("week", 2), "2026-01-15T00:00", 2),
    ("2026-01-01T00:00", Interval("day", 10), "2026-01-31T00:00", 4),
    ("2026-01-01T00:00", Interval("month"), "2025-12-01T00:00", 1),   # before the start
])
def test_cycle_numbers_follow_the_calendar(started, interval, moment, cycle):
    assert billing.cycle_number(at(started), interval, at(moment)) == cycle


def test_next_charge_of_a_monthly_plan_is_on_the_calendar(db):
    customer_id = customers.create(db, "a@example.com", plan="Coffee", started_at="2026-01-31T10:00:00Z",
                                   interval=Interval("month"))
    assert snooze.next_charge(db, customer_id, at("2026-02-10T00:00")) == at("2026-02-28T10:00")
    assert snooze.next_charge(db, customer_id, at("2026-03-01T00:00")) == at("2026-03-31T10:00")


@pytest.mark.parametrize("days, unit, count", [(30, "month", 1), (31, "month", 1), (14, "week", 2),
                                               (28, "week", 4), (7, "week", 1), (90, "month", 3),
                                               (365, "year", 1), (10, "day", 10)])
def test_old_cycle_days_read_as_intervals(days, unit, count):
    assert billing.from_days(days) == Interval(unit, count)


def test_the_upgrade_moves_cycle_days_to_intervals_and_recounts_monthly_tickets(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "amends-v2.db", path)
    raw = sqlite3.connect(path)
    before = dict(raw.execute("SELECT id, cycle_days FROM subscriptions").fetchall())
    # A 30-day plan from 15 January 2026, a ticket on 10 January 2027: 360 days, cycle 13 in 30-day steps;
    # but the twelfth renewal is on 15 January 2027: cycle 12 on the calendar.
    monthly = raw.execute("SELECT id FROM subscriptions WHERE cycle_days = 30 ORDER BY id LIMIT 1").fetchone()[0]
    customer = raw.execute("SELECT customer_id FROM subscriptions WHERE id = ?", (monthly,)).fetchone()[0]
    raw.execute("UPDATE subscriptions SET started_at = '2026-01-15T00:00:00Z', status = 'active', "
                "cancelled_at = NULL WHERE customer_id = ?", (customer,))
    raw.execute("UPDATE tickets SET created_at = '2027-01-10T00:00:00Z', billing_cycle = 13 WHERE customer_id = ?",
                (customer,))
    raw.commit()
    raw.close()
    db = open_database(path, ACTOR)
    after = {r["id"]: (r["interval_unit"], r["interval_count"], r["cycle_days"])
             for r in db.query("SELECT * FROM subscriptions")}
    assert after.keys() == before.keys()
    for sub_id, days in before.items():
        interval = billing.from_days(days)
        assert after[sub_id] == (interval.unit, interval.count, days), "cycle_days is kept as it was"
    assert {u for u, _c, _d in after.values()} == {"month", "week"}
    assert {r[0] for r in db.tuples("SELECT billing_cycle FROM tickets WHERE customer_id = ?", (customer,))} == {12}
    db.close()


# -- several subscriptions per customer --------------------------------------------

def two_boxes(db, email="ada@example.com"):
    """A cancelled box from 1 December to 15 February, a monthly box from 31
    January, a weekly one from 1 March."""
    customer_id = customers.create(db, email, "Ada", plan="Old Box", started_at="2025-12-01T09:00:00Z",
                                   interval=Interval("month"))
    db.conn.execute("UPDATE subscriptions SET status = 'cancelled', cancelled_at = '2026-02-15T09:00:00Z'")
    with db.transaction() as conn:
        conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days, interval_unit, "
                     "interval_count) VALUES (?, 'Coffee', '2026-01-31T10:00:00Z', 30, 'month', 1), "
                     "(?, 'Tea', '2026-03-01T10:00:00Z', 7, 'week', 1)", (customer_id, customer_id))
    return customer_id


def test_the_subscription_in_force_when_the_ticket_was_opened_decides_the_cycle(db):
    ada = two_boxes(db)
    cases = {"2026-01-20T00:00:00Z": ("Old Box", 2), "2026-02-20T00:00:00Z": ("Coffee", 1),
             "2026-03-01T12:00:00Z": ("Coffee", 2), "2026-03-09T00:00:00Z": ("Coffee", 2)}
    for when, (plan, cycle) in cases.items():
        ticket_id = tickets.create(db, f"at {when}", "x", customer_id=ada, created_at=when)
        assert customers.subscription_at(db, ada, when).plan == plan, when
        assert tickets.get(db, ticket_id).billing_cycle == cycle, when
    assert len(customers.profile(db, ada).subscriptions) == 3


def test_the_segment_follows_the_subscription_in_force(db):
    ada = two_boxes(db)
    first = tickets.create(db, "Cancel please", "x", customer_id=ada, category="cancellation",
                           created_at="2026-02-20T00:00:00Z")   # Coffee's first month
    later = tickets.create(db, "Cancel please", "x", customer_id=ada, category="cancellation",
                           created_at="2026-03-09T00:00:00Z")   # Coffee's second month (Tea's first week)
    assert resolution.checklist_for(db, first).segment == "first_cycle"
    assert resolution.checklist_for(db, later).segment != "first_cycle"  # (at risk: two tickets)


def test_churn_only_when_no_subscription_remains(db):
    """Ada's first ticket comes under the December box, which she cancels in
    the window, but her Coffee box goes on: not churned. Bob cancels his only
    box: churned. Cy cancels and starts a new box within the window: not
    churned. Dee cancels, and her new box ends within the window too: churned."""
    ada = two_boxes(db)
    tickets.create(db, "Hello", "x", customer_id=ada, created_at="2026-01-20T00:00:00Z")  # cycle 2
    people = {}
    for name, subs in {
        "bob": [("2026-01-05T00:00:00Z", "2026-02-10T00:00:00Z")],
        "cy": [("2026-01-05T00:00:00Z", "2026-02-01T00:00:00Z"), ("2026-02-20T00:00:00Z", None)],
        "dee": [("2026-01-05T00:00:00Z", "2026-02-01T00:00:00Z"), ("2026-02-05T00:00:00Z", "2026-03-01T00:00:00Z")],
    }.items():
        customer_id = customers.create(db, f"{name}@example.com", name)
        with db.transaction() as conn:
            for started, cancelled in subs:
                conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days, status, "
                             "cancelled_at, interval_unit, interval_count) VALUES (?, 'Box', ?, 30, ?, ?, 'month', 1)",
                             (customer_id, started, "cancelled" if cancelled else "active", cancelled))
        people[name] = tickets.create(db, "Hi", "x", customer_id=customer_id, created_at="2026-01-20T00:00:00Z")
    q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
    churn = insights.compute(db, q1, now="2026-06-01T00:00:00Z").to_json()["cycle1_churn"]
    assert {k: churn["cycle1"][k] for k in ("customers", "churned")} == {"customers": 3, "churned": 2}
    assert {k: churn["later"][k] for k in ("customers", "churned")} == {"customers": 1, "churned": 0}


def test_two_boxes_are_one_subscriber(db):
    from amends.core.insights.subscribers import active_in
    from amends.core.policy_history import active_subscribers

    two_boxes(db)
    customers.create(db, "bob@example.com", plan="Box", started_at="2026-01-01T00:00:00Z")
    assert active_in(db, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z") == 2
    assert active_in(db, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z") == 2
    assert active_subscribers(db) == 2
