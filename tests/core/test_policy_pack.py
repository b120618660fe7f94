"""The review pack per policy, its decision, and upstream fixes measured
like a published version: small databases built by hand, known answers."""

from __future__ import annotations

from datetime import date

import pytest
from amends.core import customers, policies, policy_decisions, policy_history, proposals, resolution, tickets, upstream
from amends.core.errors import NotFound, ValidationError
from amends.core.insights import policy_pack
from amends.core.insights.period import Period
from amends.core.resolution import Offer, StepOutcome

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
NOW = "2026-12-01T00:00:00Z"


def policy_id(db, name="Damaged shipment"):
    return next(p.id for p in policies.list_policies(db) if p.name == name)


def damaged(db, n, *, at="2026-02-01T10:00:00Z", actor="ana", offer=None, skip=(), cancelled=None,
            subject="Box arrived crushed", body="the box was crushed"):
    customer_id = customers.create(db, f"d{n}@example.com", f"D{n}", plan="Coffee Monthly",
                                   started_at="2025-01-01T00:00:00Z")
    db.conn.execute("UPDATE subscriptions SET price_minor = 2900, currency = 'USD' WHERE customer_id = ?",
                    (customer_id,))
    ticket_id = tickets.create(db, subject, body, customer_id=customer_id, category="damaged_shipment",
                               created_at=at)
    db.actor = actor
    checklist = resolution.checklist_for(db, ticket_id)
    skip = set(skip) | ({i for i, s in enumerate(checklist.steps) if s.type == "save_offer"} if offer is None else set())
    outcomes = [StepOutcome(i, i not in skip, "out of stock" if i in skip else None)
                for i in range(len(checklist.steps))]
    resolution.resolve(db, ticket_id, checklist.policy.id if checklist.policy else None, outcomes,
                       None if offer is None else Offer(offer, override_reason="manager approved"), at=at)
    if cancelled:
        db.conn.execute("UPDATE subscriptions SET status = 'cancelled', cancelled_at = ? WHERE customer_id = ?",
                        (cancelled, customer_id))
    return ticket_id


def test_an_unused_policy_has_an_empty_pack(db):
    result = policy_pack.pack(db, policy_id(db), Q1, now=NOW)
    assert (result.tickets, result.resolutions, result.completion) == (0, 0, 0.0)
    assert result.offers == () and result.churn.customers == 0 and result.cost == ({}, False, 0)
    assert [v.number for v in result.versions] == [1] and result.decisions == ()


def test_the_pack_of_one_quarter(db):
    a = damaged(db, 1, offer=10)                                        # within 0–15
    b = damaged(db, 2, offer=20, actor="ben", cancelled="2026-02-20T00:00:00Z")  # outside; churned
    c = damaged(db, 3, skip=(2,))                                       # check-in skipped, no offer
    damaged(db, 4, at="2026-04-02T00:00:00Z", offer=5)                  # next quarter: not in this pack
    pid = policy_id(db)
    result = policy_pack.pack(db, pid, Q1, now=NOW)
    assert (result.tickets, result.resolutions, result.complete) == (3, 3, 2)   # c skipped two steps
    offers = {o.actor: o for o in result.offers}
    assert (offers["ana"].count, offers["ana"].out_of_range) == (1, 0)
    assert (offers["ben"].max, offers["ben"].out_of_range) == (20, 1)
    assert result.bounds is not None and result.bounds.offer_max == 15
    assert {(s.step, s.reason) for s in result.skipped} >= {("check_in", "out of stock"), ("save_offer", "out of stock")}
    # 3 replacements at no set cost (unpriced) + 10 % and 20 % of 29.00
    amounts, _estimated, unpriced = result.cost
    assert amounts == {"USD": pytest.approx(8.70)} and unpriced == 3
    assert (result.churn.customers, result.churn.churned) == (3, 1)
    assert policy_pack.ticket_ids(db, pid, Q1, "covered") == sorted([a, b, c])
    assert policy_pack.ticket_ids(db, pid, Q1, "out_of_range") == [b]
    assert policy_pack.ticket_ids(db, pid, Q1, "churned", now=NOW) == [b]


def test_open_proposals_and_themes_of_its_category_are_in_the_pack(db):
    ticket_id = damaged(db, 1, offer=5)
    filed = proposals.file(db, "Use double-wall boxes", [ticket_id])
    result = policy_pack.pack(db, policy_id(db), Q1, now=NOW)
    assert [p.id for p in result.proposals] == [filed]
    assert all(t.category == "damaged_shipment" for t in result.themes)


@pytest.mark.parametrize("decision", ["keep", "change", "retire"])
def test_a_decision_is_recorded_with_its_note(db, decision):
    pid = policy_id(db)
    made = policy_decisions.decide(db, pid, decision, "numbers look fine", Q1, at="2026-04-05T09:00:00Z")
    assert (made.decision, made.note, made.period_since, made.period_until) == (
        decision, "numbers look fine", "2026-01-01", "2026-03-31")
    assert policy_history.reviews(db, pid)[0].note.endswith("numbers look fine")
    assert policies.get(db, pid).last_reviewed_at == "2026-04-05T09:00:00Z"
    assert (policies.get(db, pid).status == "retired") is (decision == "retire")
    assert db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'policy' AND action = 'decision'") == 1


def test_a_retired_policy_matches_nothing_until_published_again(db):
    pid = policy_id(db)
    customer_id = customers.create(db, "x@example.com", "X", plan="Coffee Monthly", started_at="2025-01-01T00:00:00Z")
    ticket_id = tickets.create(db, "Crushed", "x", customer_id=customer_id, category="damaged_shipment")
    assert resolution.checklist_for(db, ticket_id).policy is not None
    policy_decisions.decide(db, pid, "retire", "the upstream fix made it moot", Q1)
    assert resolution.checklist_for(db, ticket_id).policy is None
    policies.publish(db, pid, "back again")
    assert policies.get(db, pid).status != "retired"
    assert resolution.checklist_for(db, ticket_id).policy is not None


def test_bad_decisions_are_refused_and_change_nothing(db):
    pid = policy_id(db)
    with pytest.raises(ValidationError) as error:
        policy_decisions.decide(db, pid, "abandon", "  ", Q1)
    assert {field for field, _ in error.value.problems} == {"decision", "note"}
    with pytest.raises(NotFound):
        policy_decisions.decide(db, 9999, "keep", "x", Q1)
    assert db.scalar("SELECT count(*) FROM policy_decisions") == 0
    assert db.scalar("SELECT count(*) FROM policy_reviews") == 0


# -- upstream fixes --------------------------------------------------------

def subscribers(db, n):
    for i in range(n):
        customers.create(db, f"s{i}@example.com", "", plan="Coffee Monthly", started_at="2025-01-01T00:00:00Z")


def test_an_upstream_fix_is_measured_before_and_after_like_a_policy_version(db):
    subscribers(db, 100)
    for day in range(1, 9):      # 8 in the 30 days before 15 May
        tickets.create(db, "Crushed", "x", category="damaged_shipment", created_at=f"2026-04-{15 + day:02d}T10:00:00Z")
    for day in range(1, 3):      # 2 in the 30 days after
        tickets.create(db, "Crushed", "x", category="damaged_shipment", created_at=f"2026-05-{15 + day:02d}T10:00:00Z")
    change = upstream.record(db, "double-wall boxes", "2026-05-15", "damaged_shipment")
    assert change.effective_at == "2026-05-15T00:00:00Z"
    result = upstream.measure(db, change, 30, now=NOW)
    assert (result.rate_before, result.rate_after) == (80.0, 20.0)   # per 1,000 active, 30 days each
    assert not result.flag and "the rate fell" in result.reason
    early = upstream.measure(db, change, 30, now="2026-05-20T00:00:00Z")
    assert not early.flag and "too early" in early.reason


def test_a_theme_fix_counts_only_that_theme_and_flags_when_it_did_not_fall(db):
    subscribers(db, 50)
    for i in range(3):
        tickets.create(db, "Crushed", "the carton was soaked through", category="damaged_shipment",
                       created_at=f"2026-05-0{1 + i}T10:00:00Z")
        tickets.create(db, "Crushed", "the carton was soaked through", category="damaged_shipment",
                       created_at=f"2026-05-2{1 + i}T10:00:00Z")
        tickets.create(db, "Crushed", "something else", category="damaged_shipment",
                       created_at=f"2026-05-0{1 + i}T11:00:00Z")
    change = upstream.record(db, "Sealed liners", "2026-05-15", "damaged_shipment", theme="carton was soaked")
    result = upstream.measure(db, change, 30, now=NOW)
    assert result.rate_before == result.rate_after == 60.0
    assert result.flag and "did not fall" in result.reason


def test_upstream_fixes_are_in_the_policy_history(db):
    upstream.record(db, "double-wall boxes", "2026-02-15", "damaged_shipment", policy_id=policy_id(db))
    upstream.record(db, "new roaster", "2026-06-01", "product_quality")
    events = policy_history.events_between(db, Q1.start, Q1.end)
    assert [(e.policy, e.what, e.note) for e in events if "upstream" in e.what] == [
        ("Damaged shipment", "upstream fix", "double-wall boxes")]
    result = policy_pack.pack(db, policy_id(db), Q1, now=NOW)
    assert [m.change.what for m in result.upstream] == ["double-wall boxes"]


def test_bad_upstream_fixes_are_refused_and_change_nothing(db):
    with pytest.raises(ValidationError) as error:
        upstream.record(db, " ", "2026-05-15", "boxes")
    assert {field for field, _ in error.value.problems} == {"what", "category"}
    with pytest.raises(ValidationError) as error:
        upstream.record(db, "x", "15 May", "damaged_shipment")
    assert error.value.problems[0][0] == "effective"
    with pytest.raises(NotFound):
        upstream.record(db, "x", "2026-05-15", "damaged_shipment", policy_id=4242)
    assert db.scalar("SELECT count(*) FROM upstream_changes") == 0


def test_the_pack_drills_down_to_its_tickets(db):
    from amends.core.insights.drill import Drill
    from amends.core.insights.drill import ticket_ids as drill

    a = damaged(db, 1, offer=10)
    b = damaged(db, 2, offer=20)
    pid = policy_id(db)
    assert drill(db, Drill("policy", Q1, policy_id=pid)) == [a, b]
    assert drill(db, Drill("policy", Q1, policy_id=pid, step="out_of_range")) == [b]
