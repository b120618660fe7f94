"""The Review pane's figures on small databases built by hand, where the
right answer is known."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from amends.core import customers, insights, policies, resolution, tickets
from amends.core.errors import ValidationError
from amends.core.insights.numbers import wilson
from amends.core.insights.period import Period, last_full_quarter, parse
from amends.core.insights.recurring import Thresholds
from amends.core.policies import Step
from amends.core.resolution import Offer, StepOutcome
from amends.core.workspace import open_database

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))


def customer(db, email, started="2025-06-01T00:00:00Z", cancelled=None, cycle_days=30):
    customer_id = customers.create(db, email, email.split("@")[0], plan="Coffee Monthly", started_at=started,
                                   cycle_days=cycle_days)
    if cancelled:
        db.conn.execute("UPDATE subscriptions SET status = 'cancelled', cancelled_at = ? WHERE customer_id = ?",
                        (cancelled, customer_id))
    return customer_id


def ticket(db, at, category="damaged_shipment", customer_id=None):
    return tickets.create(db, f"{category} at {at}", "text", customer_id=customer_id, category=category,
                          created_at=at)


def resolve(db, ticket_id, at, actor="ana", offer=None, skip=(), override=None):
    db.actor = actor
    checklist = resolution.checklist_for(db, ticket_id)
    outcomes = [StepOutcome(i, i not in skip, "not needed" if i in skip else None)
                for i in range(len(checklist.steps))]
    made = None
    if offer is not None:
        made = Offer(offer, override_reason=override)
    resolution.resolve(db, ticket_id, checklist.policy.id if checklist.policy else None, outcomes, made, at=at)


# -- periods and numbers ------------------------------------------------------

@pytest.mark.parametrize("today, since, until", [
    (date(2026, 11, 25), date(2026, 7, 1), date(2026, 9, 30)),
    (date(2026, 1, 1), date(2025, 10, 1), date(2025, 12, 31)),
    (date(2026, 4, 1), date(2026, 1, 1), date(2026, 3, 31)),
])
def test_default_period_is_the_last_full_quarter(today, since, until):
    assert last_full_quarter(today) == Period(since, until)


def test_period_edges_and_bad_dates():
    period = parse("2026-01-01", "2026-03-31")
    assert (period.start, period.end) == ("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert period.months() == ["2026-01", "2026-02", "2026-03"]
    with pytest.raises(ValidationError):
        parse("2026-13-01", None)
    with pytest.raises(ValidationError):
        parse("2026-03-01", "2026-01-01")


def test_wilson_interval():
    low, high = wilson(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(5, 10)
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert wilson(0, 0) == (0.0, 1.0)


def test_an_empty_database_gives_zeros_not_errors(db):
    result = insights.compute(db, Q1).to_json()
    assert {r["category"] for r in result["recurring"]} == set(policies_categories())
    assert all(r["tickets"] == 0 and not r["flag"] for r in result["recurring"])
    assert result["offers"] == {"by_actor": [], "out_of_range": [], "skipped": [], "consistency": []}
    assert result["cycle1_churn"]["cycle1"] == {"customers": 0, "churned": 0, "rate": 0.0, "ci95": [0.0, 1.0]}
    assert result["checklist_completion"] == 0.0 and result["followups_overdue"] == 0


def policies_categories():
    from amends.core.vocabulary import CATEGORIES

    return CATEGORIES


# -- gap 1: recurring complaints ------------------------------------------------

def test_uncovered_category_is_flagged_from_the_threshold_on(db):
    """The default policies were published today, so in Q1 2026 nothing was
    covered: billing with 10 tickets is flagged, late delivery with 9 not."""
    someone = customer(db, "a@example.com")
    for day in range(1, 11):
        ticket(db, f"2026-02-{day:02d}T10:00:00Z", "billing", someone)
    for day in range(1, 10):
        ticket(db, f"2026-02-{day:02d}T10:00:00Z", "late_delivery", someone)
    ticket(db, "2025-12-31T23:59:59Z", "billing", someone)  # before the period
    ticket(db, "2026-04-01T00:00:00Z", "billing", someone)  # after it
    result = insights.compute(db, Q1, now="2026-11-25T00:00:00Z").to_json()
    rows = {r["category"]: r for r in result["recurring"]}
    billing, late = rows["billing"], rows["late_delivery"]
    assert (billing["tickets"], billing["covered_by_policy"], billing["flag"]) == (10, False, True)
    assert "no published policy" in billing["reason"]
    assert (late["tickets"], late["flag"]) == (9, False)
    assert billing["active_subscribers"] == 1 and billing["per_1000_active"] == 10_000.0
    assert billing["monthly"] == [{"month": "2026-01", "tickets": 0}, {"month": "2026-02", "tickets": 10},
                                  {"month": "2026-03", "tickets": 0}]
    lower = insights.compute(db, Q1, insights.Settings(Thresholds(min_tickets=9)),
                             now="2026-11-25T00:00:00Z").to_json()
    assert {r["category"]: r["flag"] for r in lower["recurring"]}["late_delivery"] is True
    # the same customer wrote twice about one problem: merged, it counts once
    from amends.core import merges
    from amends.core.insights import drill

    pair = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE category = 'billing' AND created_at >= "
                                    "'2026-02-01' AND created_at < '2026-02-03' ORDER BY id")]
    merges.merge(db, pair[1], pair[0])
    result = insights.compute(db, Q1, now="2026-11-25T00:00:00Z").to_json()
    merged = {r["category"]: r for r in result["recurring"]}
    assert merged["billing"]["tickets"] == 9 and merged["billing"]["monthly"][1] == {"month": "2026-02", "tickets": 9}
    assert len(drill.ticket_ids(db, drill.Drill("category", Q1, category="billing"))) == 9


def _change_damaged_policy(db, at):
    damaged = next(p for p in policies.list_policies(db) if p.category == "damaged_shipment")
    draft = policies.get(db, damaged.id)
    policies.save_draft(db, damaged.id, draft.version, name=draft.name, category="damaged_shipment",
                        segment="any", steps=[*draft.draft, Step("survey")])
    policies.publish(db, damaged.id, "add a survey", at=at)


@pytest.mark.parametrize("before, after, flagged", [(5, 5, True), (5, 6, True), (6, 3, False)])
def test_changed_policy_is_flagged_when_the_rate_did_not_fall(db, before, after, flagged):
    someone = customer(db, "a@example.com", started="2026-01-01T00:00:00Z")
    _change_damaged_policy(db, "2027-02-01T00:00:00Z")
    for i in range(before):
        ticket(db, f"2027-01-{10 + i:02d}T10:00:00Z", "damaged_shipment", someone)
    for i in range(after):
        ticket(db, f"2027-02-{10 + i:02d}T10:00:00Z", "damaged_shipment", someone)
    period = Period(date(2027, 1, 1), date(2027, 3, 31))
    row = next(r for r in insights.compute(db, period, now="2027-12-31T00:00:00Z").to_json()["recurring"]
               if r["category"] == "damaged_shipment")
    assert row["covered_by_policy"] and row["last_policy_change"] == "2027-02-01T00:00:00Z"
    assert row["flag"] is flagged, row["reason"]
    assert row["rate_after"] == pytest.approx(1000.0 * after) and row["rate_before"] == pytest.approx(1000.0 * before)


def test_a_fresh_change_is_too_early_to_judge(db):
    someone = customer(db, "a@example.com", started="2026-01-01T00:00:00Z")
    _change_damaged_policy(db, "2027-02-01T00:00:00Z")
    for day in (10, 11, 12):
        ticket(db, f"2027-02-0{day - 8}T10:00:00Z", "damaged_shipment", someone)
    row = next(r for r in insights.compute(db, Period(date(2027, 1, 1), date(2027, 2, 5)),
                                           now="2027-02-06T00:00:00Z").to_json()["recurring"]
               if r["category"] == "damaged_shipment")
    assert not row["flag"] and "too early" in row["reason"]


# -- gap 2: offers ----------------------------------------------------------------

def test_offers_by_person_out_of_range_skips_and_consistency(db):
    someone = customer(db, "a@example.com")
    made = [("ana", 0, None), ("ana", 15, None), ("ana", 10, None),             # bounds 0–15, edges inside
            ("ben", 20, "third broken box"), ("ben", 12, None)]
    for i, (actor, value, override) in enumerate(made):
        t = ticket(db, f"2026-02-{i + 1:02d}T10:00:00Z", "damaged_shipment", someone)
        resolve(db, t, f"2026-02-{i + 1:02d}T12:00:00Z", actor, value, override=override)
    t = ticket(db, "2026-03-01T10:00:00Z", "damaged_shipment", someone)
    resolve(db, t, "2026-03-31T23:59:59Z", "ben", skip=(1, 3))                  # last second: inside
    late = ticket(db, "2026-03-02T10:00:00Z", "damaged_shipment", someone)
    resolve(db, late, "2026-04-01T00:00:00Z", "ben", 99, override="after the period")  # outside the period
    result = insights.compute(db, Q1).to_json()["offers"]
    by_actor = {(r["actor"], r["category"]): r for r in result["by_actor"]}
    assert by_actor[("ana", "damaged_shipment")] == {"actor": "ana", "category": "damaged_shipment", "count": 3,
                                                     "min": 0, "median": 10, "max": 15}
    assert by_actor[("ben", "damaged_shipment")] | {} == {"actor": "ben", "category": "damaged_shipment",
                                                          "count": 2, "min": 12, "median": 16, "max": 20}
    [out] = result["out_of_range"]
    assert out["actor"] == "ben" and out["value"] == 20 and (out["min"], out["max"]) == (0, 15)
    assert out["override_reason"] == "third broken box" and out["ticket"]["id"] > 0
    assert result["consistency"] == [{"category": "damaged_shipment", "offers": 5, "within": 4, "score": 0.8}]
    assert {(s["actor"], s["step"], s["reason"], s["count"]) for s in result["skipped"]} == {
        ("ben", "replacement", "not needed", 1), ("ben", "save_offer", "not needed", 1)}


# -- gap 3: cycle-1 churn -----------------------------------------------------------

def test_cycle1_churn_groups_windows_and_exclusions(db):
    start = "2026-01-01T00:00:00Z"
    a = customer(db, "a@example.com", started=start)                                      # cycle 1, recovered
    b = customer(db, "b@example.com", started=start, cancelled="2026-03-01T00:00:00Z")    # cycle 1, churned day 45
    c = customer(db, "c@example.com", started=start, cancelled="2026-03-18T10:00:00Z")    # churned day 61: no
    d = customer(db, "d@example.com", started="2025-06-01T00:00:00Z", cancelled="2026-02-20T00:00:00Z")  # later
    e = customer(db, "e@example.com", started="2025-06-01T00:00:00Z")                     # later, stays
    f = customer(db, "f@example.com", started=start, cancelled="2026-01-10T00:00:00Z")    # cancelled before
    g = customer(db, "g@example.com", started="2025-06-01T00:00:00Z")                     # first ticket earlier
    h = customer(db, "h@example.com", started=start)                                      # window not over
    nobody = customers.create(db, "x@example.com", "no subscription")
    ta = ticket(db, "2026-01-15T10:00:00Z", "damaged_shipment", a)
    resolve(db, ta, "2026-01-16T10:00:00Z", offer=5)
    tb = ticket(db, "2026-01-15T10:00:00Z", "damaged_shipment", b)
    resolve(db, tb, "2026-01-16T10:00:00Z", offer=5, skip=(1,))
    ticket(db, "2026-01-16T10:00:00Z", "damaged_shipment", c)          # never resolved: not recovered
    ticket(db, "2026-02-01T10:00:00Z", "billing", d)
    ticket(db, "2026-02-01T10:00:00Z", "billing", e)
    ticket(db, "2026-01-20T10:00:00Z", "billing", f)
    ticket(db, "2025-12-01T10:00:00Z", "billing", g)
    ticket(db, "2026-02-01T10:00:00Z", "billing", g)
    ticket(db, "2026-03-30T10:00:00Z", "billing", h)
    ticket(db, "2026-02-01T10:00:00Z", "billing", nobody)
    result = insights.compute(db, Q1, now="2026-04-15T00:00:00Z").to_json()["cycle1_churn"]
    assert result["window_days"] == 60
    assert {k: result["cycle1"][k] for k in ("customers", "churned")} == {"customers": 3, "churned": 1}
    assert result["cycle1"]["rate"] == pytest.approx(1 / 3)
    assert result["cycle1"]["ci95"] == [round(x, 4) for x in wilson(1, 3)]
    assert {k: result["later"][k] for k in ("customers", "churned")} == {"customers": 2, "churned": 1}
    assert {k: result["cycle1_recovered"][k] for k in ("customers", "churned")} == {"customers": 1, "churned": 0}
    assert {k: result["cycle1_not_recovered"][k] for k in ("customers", "churned")} == {"customers": 2,
                                                                                       "churned": 1}
    assert result["excluded"] == {"no_subscription": 1, "cancelled_before": 1, "unknown_cycle": 0,
                                  "window_not_over": 1}
    wider = insights.compute(db, Q1, insights.Settings(churn_window_days=70),
                             now="2026-06-30T00:00:00Z").to_json()
    assert wider["cycle1_churn"]["cycle1"]["churned"] == 2, "day 61 counts with a 70-day window"


# -- around the gaps ------------------------------------------------------------------

def test_completion_overdue_followups_and_cost(db):
    someone = customer(db, "a@example.com")
    t1 = ticket(db, "2026-02-01T10:00:00Z", "damaged_shipment", someone)
    resolve(db, t1, "2026-02-01T12:00:00Z", offer=5)                           # complete, replacement, check-in
    t2 = ticket(db, "2026-02-02T10:00:00Z", "damaged_shipment", someone)
    resolve(db, t2, "2026-02-02T12:00:00Z", skip=(1, 2, 3))                    # incomplete, no follow-up
    t3 = ticket(db, "2026-02-03T10:00:00Z", "billing", someone)
    resolve(db, t3, "2026-02-03T12:00:00Z")                                    # refund + check-in after 3 days
    result = insights.compute(db, Q1, now="2026-02-06T00:00:00Z").to_json()
    assert result["checklist"] == {"resolutions": 3, "with_policy": 3, "no_policy": 0, "complete": 2,
                                   "rate": pytest.approx(2 / 3)}
    assert result["checklist_completion"] == pytest.approx(2 / 3)
    assert result["followups_overdue"] == 0
    assert insights.compute(db, Q1, now="2026-02-09T00:00:00Z").to_json()["followups_overdue"] == 2
    cost = {r["category"]: r for r in result["recovery_cost"]}
    assert cost["damaged_shipment"]["replacements"] == 1 and cost["damaged_shipment"]["refunds"] == 0
    assert cost["damaged_shipment"]["offers"] == {"percent_next_cycle": {"count": 1, "total": 5.0}}
    assert cost["billing"]["refunds"] == 1


def test_progress_and_cancel(db):
    seen = []
    insights.compute(db, Q1, progress=lambda done, total: seen.append((done, total)))
    total = seen[0][1]
    assert seen[0] == (0, total) and seen[-1] == (total, total) and total > 1
    with pytest.raises(insights.Cancelled):
        insights.compute(db, Q1, cancelled=lambda: True)


# -- the typed result and its JSON contract ---------------------------------------------

#: Recorded from `insights.compute` before the figures became typed records
#: (demo_db, Q1–Q3 2026, churn window 45 days, as of 2026-11-01): the JSON
#: that `amends insights --json` prints is a contract and must not move.
RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "insights-demo.json"


def _kind(value):
    """A JSON value's kind, numbers as one (whether a median is 10 or 10.5
    depends on the data, not on the shape)."""
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _same_shape(got, want, path="$"):
    """Key by key: the same keys in the same order at every level, and values
    of the same kind; items of a list are compared as far as both go."""
    if want is None or got is None:
        return  # a nullable field (rate_before, score, override_reason): null or a value
    assert _kind(got) == _kind(want), f"{path}: {_kind(got)} instead of {_kind(want)}"
    if isinstance(want, dict):
        assert list(got) == list(want), f"{path}: keys {list(got)} instead of {list(want)}"
        for key in want:
            _same_shape(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        for index, (g, w) in enumerate(zip(got, want)):
            _same_shape(g, w, f"{path}[{index}]")


def _same_json(got, want, path="$"):
    """Key by key and value by value, with JSON types exact (10 is not 10.0)."""
    assert type(got) is type(want), f"{path}: {type(got).__name__} instead of {type(want).__name__}"
    if isinstance(want, dict):
        assert list(got) == list(want), f"{path}: keys {list(got)} instead of {list(want)}"
        for key in want:
            _same_json(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), f"{path}: {len(got)} items instead of {len(want)}"
        for index, (g, w) in enumerate(zip(got, want)):
            _same_json(g, w, f"{path}[{index}]")
    else:
        assert got == want, f"{path}: {got!r} instead of {want!r}"


def _demo_review(demo_db):
    return insights.compute(demo_db, Period(date(2026, 1, 1), date(2026, 9, 30)),
                            insights.Settings(churn_window_days=45), now="2026-11-01T00:00:00Z")


def _printed(review):
    return json.loads(json.dumps(review.to_json(), ensure_ascii=False))


def test_the_json_has_todays_shape_key_by_key(demo_db, db, tmp_path):
    """The contract: what `amends insights --json` prints keeps its keys,
    their order and their kinds (for the demo data and for an empty file)."""
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    _same_shape(_printed(_demo_review(demo_db)), recorded)
    empty = open_database(tmp_path / "empty.db", "tester")  # db.path is a URL on PostgreSQL
    try:
        _same_shape(_printed(insights.compute(empty, Q1, now="2026-11-01T00:00:00Z")), recorded)
    finally:
        empty.close()


def test_the_json_has_todays_values_exactly(demo_db):
    """The same figures, value by value and byte by byte, as before the
    records were typed. (A deliberate change of a figure or of the demo data
    updates tests/fixtures/insights-demo.json with it.)"""
    text = RECORDED.read_text(encoding="utf-8")
    _same_json(_demo_review(demo_db).to_json(), json.loads(text))  # as the pane gets it: lists, not tuples
    assert json.dumps(_demo_review(demo_db).to_json(), indent=2, ensure_ascii=False) + "\n" == text


def test_compute_returns_typed_records(demo_db):
    review = _demo_review(demo_db)
    assert isinstance(review, insights.Review)
    assert all(isinstance(r, insights.Complaint) for r in review.recurring)
    assert [r.category for r in review.recurring] == list(policies_categories())
    assert isinstance(review.cycle1_churn.cycle1, insights.ChurnRate)
    assert review.cycle1_churn.group("later") is review.cycle1_churn.later
    assert review.checklist_completion == review.checklist.rate
    first = review.offers.out_of_range[0]
    assert first.to_json()["ticket"] == {"id": first.ticket_id, "ref": first.ticket_ref}


def test_by_concern_puts_flagged_first_then_most_tickets(demo_db):
    review = _demo_review(demo_db)
    ranked = insights.by_concern(review.recurring)
    flags = [r.flag for r in ranked]
    assert flags == sorted(flags, reverse=True) and True in flags and False in flags
    for group in (True, False):
        counts = [r.tickets for r in ranked if r.flag is group]
        assert counts == sorted(counts, reverse=True)
    # the Review pane and the report hold the JSON: the same order from it
    as_json = insights.by_concern(review.to_json()["recurring"])
    assert [r["category"] for r in as_json] == [r.category for r in ranked]
    # ties keep the vocabulary's order
    tied = [r for r in ranked if not r.flag and r.tickets == 0]
    assert [r.category for r in tied] == [c for c in policies_categories() if c in {r.category for r in tied}]
