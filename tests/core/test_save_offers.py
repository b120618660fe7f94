"""What save offers save, on small databases built by hand where every
answer is known: bands and their edges, retention after N days with Wilson
intervals, cost per retained customer, by person and by policy version."""

from __future__ import annotations

from datetime import date

import pytest
from amends.core import customers, resolution, tickets
from amends.core.insights import saves
from amends.core.insights.numbers import wilson
from amends.core.insights.period import Period
from amends.core.resolution import Offer, StepOutcome

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
NOW = "2026-12-01T00:00:00Z"


def leaver(db, n, *, cancelled=None, offer=None, actor="ana", at="2026-02-01T10:00:00Z", price=2900,
           category="cancellation", resolve=True):
    """Customer ``n`` (an established one: cycle 12) writes to cancel at ``at``."""
    customer_id = customers.create(db, f"c{n}@example.com", f"C{n}", plan="Coffee Monthly",
                                   started_at="2025-01-01T00:00:00Z")
    db.conn.execute("UPDATE subscriptions SET price_minor = ?, currency = 'USD' WHERE customer_id = ?",
                    (price, customer_id))
    ticket_id = tickets.create(db, "Please cancel", "I want to stop", customer_id=customer_id,
                               category=category, created_at=at)
    if resolve:
        db.actor = actor
        checklist = resolution.checklist_for(db, ticket_id)
        skip = {i for i, step in enumerate(checklist.steps) if step.type == "save_offer" and offer is None}
        outcomes = [StepOutcome(i, i not in skip, "declined" if i in skip else None)
                    for i in range(len(checklist.steps))]
        resolution.resolve(db, ticket_id, checklist.policy.id if checklist.policy else None, outcomes,
                           None if offer is None else Offer(offer, override_reason="test"), at=at)
    if cancelled:
        db.conn.execute("UPDATE subscriptions SET status = 'cancelled', cancelled_at = ? WHERE customer_id = ?",
                        (cancelled, customer_id))
    return ticket_id


def bands(db, window_days=60, now=NOW):
    return {b.band: b for b in saves.save_offers(db, Q1, window_days, now=now).bands}


@pytest.mark.parametrize("kind, value, expected", [
    ("percent_next_cycle", 0, "0 %"), ("percent_next_cycle", 0.5, "1–10 %"), ("percent_next_cycle", 10, "1–10 %"),
    ("percent_next_cycle", 10.5, "11–20 %"), ("percent_next_cycle", 20, "11–20 %"),
    ("percent_next_cycle", 20.01, "> 20 %"), ("account_credit", 10, "credit ≤ 10"),
    ("account_credit", 10.01, "credit > 10"), ("free_addon", 1, "free add-on"), (None, None, "no offer"),
    ("percent_next_cycle", float("nan"), "no offer"), ("mystery", 3, "other"),
])
def test_band_edges(kind, value, expected):
    assert saves.band(kind, value) == expected


def test_no_offers_at_all(db):
    result = saves.save_offers(db, Q1, now=NOW)
    assert [b.band for b in result.bands] == list(saves.BANDS)
    assert all(b.customers == 0 and b.rate == 0.0 and b.ci == (0.0, 1.0) for b in result.bands)
    assert result.to_json() == {"window_days": 60, "bands": [
        {"band": b, "customers": 0, "retained": 0, "rate": 0.0, "ci": [0.0, 1.0],
         "cost": {"amount": 0.0, "currency": None}} for b in saves.BANDS]}


def test_one_customer_retained_with_a_ten_percent_offer(db):
    ticket_id = leaver(db, 1, offer=10)
    ten = bands(db)["1–10 %"]
    assert (ten.customers, ten.retained, ten.rate) == (1, 1, 1.0)
    assert ten.ci == tuple(round(x, 4) for x in wilson(1, 1))
    assert ten.cost.to_json() == {"amount": 2.9, "currency": "USD"}  # 10 % of 29.00, one retained
    assert saves.ticket_ids(db, Q1, 60, "1–10 %", now=NOW) == [ticket_id]


def test_retained_after_the_window_and_cost_per_retained(db):
    kept = leaver(db, 1, offer=20)                                             # still subscribed
    lost = leaver(db, 2, offer=20, cancelled="2026-03-01T00:00:00Z")            # gone within 60 days
    late = leaver(db, 3, offer=20, cancelled="2026-04-03T10:00:01Z")            # gone after day 60: retained
    leaver(db, 4, cancelled="2026-02-02T00:00:00Z")                            # no offer, gone
    leaver(db, 5, resolve=False)                                               # never answered: no offer
    twenty = bands(db)["11–20 %"]
    assert (twenty.customers, twenty.retained) == (3, 2)
    assert twenty.rate == pytest.approx(2 / 3, abs=1e-4)
    assert twenty.ci == tuple(round(x, 4) for x in wilson(2, 3))
    assert twenty.cost.amount == pytest.approx(3 * 5.80 / 2)                   # three offers of 5.80, two kept
    none = bands(db)["no offer"]
    assert (none.customers, none.retained, none.cost.amount) == (2, 1, 0.0)
    assert saves.ticket_ids(db, Q1, 60, "11–20 %", retained=True, now=NOW) == [kept, late]
    assert saves.ticket_ids(db, Q1, 60, "11–20 %", retained=False, now=NOW) == [lost]


def test_a_customer_counts_once_and_other_boxes_keep_them(db):
    first = leaver(db, 1, offer=5, cancelled="2026-02-10T00:00:00Z")
    customer_id = tickets.get(db, first).customer_id
    tickets.create(db, "Cancel again", "x", customer_id=customer_id, category="cancellation",
                   created_at="2026-03-01T00:00:00Z")
    result = bands(db)
    assert sum(b.customers for b in result.values()) == 1 and result["1–10 %"].customers == 1
    assert result["1–10 %"].retained == 0
    db.conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                    "VALUES (?, 'Tea Discovery', '2026-02-15T00:00:00Z', 30)", (customer_id,))
    assert bands(db)["1–10 %"].retained == 1  # a second box still in force at day 60: not lost


def test_who_is_left_out_and_period_edges(db):
    leaver(db, 1, offer=5, at="2025-12-31T23:59:59Z")          # before the period
    leaver(db, 2, offer=5, at="2026-04-01T00:00:00Z")          # after it
    leaver(db, 3, offer=5, at="2026-03-31T23:59:59Z")          # last second: in
    leaver(db, 4, offer=5, cancelled="2026-01-15T00:00:00Z")   # gone before the ticket
    result = saves.save_offers(db, Q1, now=NOW)
    assert sum(b.customers for b in result.bands) == 1
    assert result.excluded.no_subscription == 1
    early = saves.save_offers(db, Q1, now="2026-05-01T00:00:00Z")  # day 60 of the 31 March ticket not reached
    assert early.excluded.window_not_over == 1 and sum(b.customers for b in early.bands) == 0


def test_any_ticket_with_a_save_offer_step_counts_not_only_cancellations(db):
    leaver(db, 1, offer=10, category="damaged_shipment")  # its policy has a save-offer step
    leaver(db, 2, category="billing")                     # no save offer in billing: not counted
    result = bands(db)
    assert result["1–10 %"].customers == 1 and sum(b.customers for b in result.values()) == 1


def test_by_person_and_by_policy_version(db):
    leaver(db, 1, offer=10, actor="ana")
    leaver(db, 2, offer=25, actor="ben", cancelled="2026-02-20T00:00:00Z")
    result = saves.save_offers(db, Q1, now=NOW)
    people = {(b.by, b.band): (b.customers, b.retained) for b in result.by_actor}
    assert people == {("ana", "1–10 %"): (1, 1), ("ben", "> 20 %"): (1, 0)}
    versions = {b.by for b in result.by_version}
    assert versions == {"Cancellation request v1"}


def test_unpriced_and_nothing_retained_give_no_cost(db):
    leaver(db, 1, offer=15, cancelled="2026-02-10T00:00:00Z")
    assert bands(db)["11–20 %"].cost.amount is None          # offered, nobody kept
    leaver(db, 2, offer=15, price=None)
    assert bands(db)["11–20 %"].cost.amount is None          # one offer without a price


def test_the_review_drill_down_gives_a_bands_tickets(db):
    from amends.core.insights.drill import Drill
    from amends.core.insights.drill import ticket_ids as drill

    kept = leaver(db, 1, offer=10)
    lost = leaver(db, 2, offer=10, cancelled="2026-02-10T00:00:00Z")
    assert drill(db, Drill("save_offer", Q1, group="1–10 %"), now=NOW) == [kept, lost]
    assert drill(db, Drill("save_retained", Q1, group="1–10 %"), now=NOW) == [kept]
    assert drill(db, Drill("save_lost", Q1, group="1–10 %"), now=NOW) == [lost]
