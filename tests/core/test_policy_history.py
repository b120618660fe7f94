"""Comparing versions, rolling back, review cadence, proposals."""

from __future__ import annotations

from datetime import date

import pytest
from amends.core import customers, policies, policy_history, proposals, resolution, tickets
from amends.core.backtest import backtest
from amends.core.errors import ConflictError, ValidationError
from amends.core.insights.period import Period
from amends.core.policies import Step
from amends.core.resolution import Offer, StepOutcome

from tests.conftest import make_ticket


def damaged(db):
    return next(p for p in policies.list_policies(db) if p.category == "damaged_shipment")


def publish(db, policy_id, steps, note="change"):
    draft = policies.get(db, policy_id)
    policies.save_draft(db, policy_id, draft.version, name=draft.name, category=draft.category,
                        segment=draft.segment, steps=steps)
    return policies.publish(db, policy_id, note)


def test_compare_pairs_steps_and_names_every_change():
    old = [Step("apology"), Step("replacement"), Step("check_in", days=7),
           Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=15)]
    new = [Step("apology"), Step("check_in", days=5),
           Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=20), Step("survey")]
    changes = policy_history.compare(old, new)
    assert [(c.kind, (c.old or c.new).type) for c in changes] == [
        ("same", "apology"), ("removed", "replacement"), ("changed", "check_in"), ("changed", "save_offer"),
        ("added", "survey")]
    assert "→" in changes[2].describe() and "7 days" in changes[2].describe()


def test_roll_back_publishes_the_old_steps_as_a_new_version(db):
    policy = damaged(db)
    v1 = policies.versions(db, policy.id)[0]
    publish(db, policy.id, [Step("apology")], "shorter")
    with pytest.raises(ValidationError):
        policy_history.roll_back(db, policy.id, 1, " ")
    v3 = policy_history.roll_back(db, policy.id, 1, "the short one did not work")
    assert v3.number == 3 and v3.steps == v1.steps
    assert "Roll back to v1" in v3.note
    assert [v.number for v in policies.versions(db, policy.id)] == [3, 2, 1]
    changes = policy_history.compare_versions(db, policy.id, 2, 3)
    assert [c.kind for c in changes].count("added") == 3


def test_review_cadence(db):
    policy = policies.get(db, damaged(db).id)
    fresh = policy_history.review_state(policy, now=policy.published_at)
    assert fresh.days_left == 91 and not fresh.due
    late = policy_history.review_state(policy, now="2099-01-01T00:00:00Z")
    assert late.days_left < 0 and late.label.startswith("overdue")
    with pytest.raises(ValidationError):
        policy_history.mark_reviewed(db, policy.id, "")
    policy_history.mark_reviewed(db, policy.id, "offers look consistent", at="2099-01-01T00:00:00Z")
    again = policy_history.review_state(policies.get(db, policy.id), now="2099-01-02T00:00:00Z")
    assert again.days_left == 90
    assert policy_history.reviews(db, policy.id)[0].note == "offers look consistent"
    policy_history.set_review_interval(db, policy.id, 30)
    assert policies.get(db, policy.id).review_interval_days == 30
    with pytest.raises(ValidationError):
        policy_history.set_review_interval(db, policy.id, 1)


def test_role_split_hint_from_1000_active_subscribers(db):
    assert not policy_history.should_split_roles(db)
    db.conn.execute("BEGIN")
    db.conn.executemany("INSERT INTO customers (id, email, created_at) VALUES (?, ?, '2026-01-01T00:00:00Z')",
                        [(i, f"c{i}@example.com") for i in range(1, 1001)])
    db.conn.executemany("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                        "VALUES (?, 'p', '2026-01-01T00:00:00Z', 30)", [(i,) for i in range(1, 1001)])
    db.conn.execute("COMMIT")
    assert policy_history.should_split_roles(db)


def test_proposals_link_tickets_and_are_decided_once(db):
    first = make_ticket(db)
    second = make_ticket(db)
    with pytest.raises(ValidationError):
        proposals.file(db, "  ", [first])
    proposal_id = proposals.file(db, "Damaged boxes: offer 20 % from the second incident", [first, second, first])
    proposal = proposals.get(db, proposal_id)
    assert proposal.ticket_ids == [first, second] and proposal.category == "damaged_shipment"
    assert proposal.policy_id == damaged(db).id and proposal.status == "open"
    assert [p.id for p in proposals.for_ticket(db, first)] == [proposal_id]
    assert [p.id for p in proposals.list_proposals(db)] == [proposal_id]
    with pytest.raises(ValidationError, match="why"):
        proposals.decline(db, proposal_id, proposal.version, "")
    assert proposals.accept(db, proposal_id, proposal.version) == damaged(db).id
    with pytest.raises(ConflictError, match="already accepted"):
        proposals.decline(db, proposal_id, proposal.version, "too late")
    assert proposals.list_proposals(db) == []
    other = proposals.file(db, "Something else", [second])
    proposals.decline(db, other, 1, "we tried that in spring")
    assert proposals.get(db, other).decline_reason == "we tried that in spring"


def test_a_proposal_for_a_category_without_policy_creates_a_draft(db):
    ticket_id = tickets.create(db, "Rash from the soap", "", category="product_quality")
    proposal_id = proposals.file(db, "We need a policy for quality complaints", [ticket_id],
                                 category="product_quality")
    # as if the category had no policy at all when it was filed
    db.conn.execute("UPDATE proposals SET policy_id = NULL WHERE id = ?", (proposal_id,))
    policy_id = proposals.accept(db, proposal_id, 1)
    created = policies.get(db, policy_id)
    assert created.category == "product_quality" and created.status == "draft"


def test_backtest_a_draft_against_what_was_done(db):
    someone = customers.create(db, "a@example.com", "A", plan="Coffee Monthly", started_at="2026-01-20T00:00:00Z")
    later = customers.create(db, "b@example.com", "B", plan="Coffee Monthly", started_at="2025-01-01T00:00:00Z")
    made = [(someone, 5), (someone, 15), (later, 12)]
    for i, (customer_id, value) in enumerate(made):
        t = tickets.create(db, "crushed", "", customer_id=customer_id, category="damaged_shipment",
                           created_at=f"2026-02-0{i + 1}T10:00:00Z")
        checklist = resolution.checklist_for(db, t)
        resolution.resolve(db, t, checklist.policy.id, [StepOutcome(j, True) for j in range(4)], Offer(value),
                           at=f"2026-02-0{i + 1}T12:00:00Z")
    tickets.create(db, "billing", "", customer_id=someone, category="billing", created_at="2026-02-01T10:00:00Z")
    draft_id = policies.create(db, "First-cycle damage", "damaged_shipment", "first_cycle", [
        Step("apology"), Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=10)])
    result = backtest(db, draft_id, Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert result["tickets"] == 2 and result["resolutions"] == 2, "only first-cycle damaged-shipment tickets"
    assert result["offers"] | {} == {"kind": "percent_next_cycle", "min": 0, "max": 10, "given": 2, "allowed": 1,
                                     "not_allowed": 1, "total_given": 20.0, "total_under_draft": 15.0,
                                     "difference": -5.0}
    assert result["replacements"] == {"given": 2, "under_draft": 0}
    wide = policies.create(db, "Any damage", "damaged_shipment", "any", [Step("replacement")])
    assert backtest(db, wide, Period(date(2026, 1, 1), date(2026, 3, 31)))["offers"]["total_under_draft"] == 0
