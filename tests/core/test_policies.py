"""Policies: validation, drafts, publishing immutable versions, matching."""

from __future__ import annotations

import pytest
from amends.core import policies
from amends.core.errors import ConflictError, PolicyViolation, ValidationError
from amends.core.policies import Step, TicketContext


def by_category(db, category, segment="any"):
    return next(p for p in policies.list_policies(db) if p.category == category and p.segment == segment)


@pytest.mark.parametrize("steps, message", [
    ([], "at least one step"),
    ([Step("custom")], "custom step needs a label"),
    ([Step("check_in")], "number of days"),
    ([Step("check_in", days=400)], "number of days"),
    ([Step("save_offer", offer_kind="percent_next_cycle", offer_min=20, offer_max=10)], "above the maximum"),
    ([Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=120)], "cannot exceed 100"),
    ([Step("save_offer", offer_kind="bitcoin", offer_min=0, offer_max=1)], "offer kind"),
    ([Step("save_offer", offer_kind="account_credit")], "minimum and a maximum"),
    ([Step("save_offer", offer_kind="account_credit", offer_min=0, offer_max=5)] * 2, "only one save offer"),
    ([Step("teleport")], "unknown step type"),
])
def test_validation_names_each_problem(steps, message):
    problems = policies.validate("Name", "billing", "any", steps)
    assert any(message in reason for _, reason in problems), problems


def test_valid_policy_has_no_problems():
    steps = [Step("apology"), Step("check_in", days=7),
             Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=15)]
    assert policies.validate("Damaged", "damaged_shipment", "any", steps) == []


def test_publish_creates_a_new_version_and_keeps_the_old(db):
    damaged = by_category(db, "damaged_shipment")
    steps = policies.get(db, damaged.id).draft
    steps[3] = Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=20)
    version = policies.save_draft(db, damaged.id, damaged.version, name=damaged.name, category=damaged.category,
                                  segment=damaged.segment, steps=steps)
    assert policies.get(db, damaged.id).status == "published, edited"
    with pytest.raises(ValidationError, match="why"):
        policies.publish(db, damaged.id, "  ")
    v2 = policies.publish(db, damaged.id, "customers kept churning", expected_version=version)
    assert v2.number == 2 and v2.offer_step().offer_max == 20 and v2.published_by == "tester@host"
    history = policies.versions(db, damaged.id)
    assert [v.number for v in history] == [2, 1]
    assert history[1].offer_step().offer_max == 15, "the old version is unchanged"
    assert policies.get(db, damaged.id).status == "published"
    audit = db.one("SELECT * FROM audit_log WHERE entity = 'policy' AND entity_id = ? AND action = 'publish' "
                   "ORDER BY id DESC", (damaged.id,))
    assert "customers kept churning" in audit["change"]


def test_stale_draft_save_is_a_conflict(db):
    billing = by_category(db, "billing")
    fields = dict(name=billing.name, category="billing", segment="any", steps=[Step("apology")])
    policies.save_draft(db, billing.id, billing.version, **fields)
    with pytest.raises(ConflictError):
        policies.save_draft(db, billing.id, billing.version, **fields)


def test_publishing_a_second_policy_for_the_same_scope_is_refused(db):
    policy_id = policies.create(db, "Another damaged", "damaged_shipment", "any", [Step("apology")])
    with pytest.raises(PolicyViolation, match="already covers"):
        policies.publish(db, policy_id, "try")
    assert policies.get(db, policy_id).current_number is None


def test_invalid_draft_cannot_be_published(db):
    policy_id = policies.create(db, "Empty", "other", "first_cycle", [])
    with pytest.raises(PolicyViolation, match="at least one step"):
        policies.publish(db, policy_id, "why not")


def test_matching_prefers_the_most_specific_policy(db):
    first = policies.match(db, TicketContext("cancellation", billing_cycle=1))
    assert first.version.policy_name == "First-cycle cancellation"
    assert "billing cycle 1" in first.reason
    later = policies.match(db, TicketContext("cancellation", billing_cycle=4))
    assert later.version.policy_name == "Cancellation request"
    unknown = policies.match(db, TicketContext("cancellation", billing_cycle=None))
    assert unknown.version.policy_name == "Cancellation request"
    plan_id = policies.create(db, "Tea cancellations", "cancellation", "any", [Step("survey")], plan="Tea Box")
    policies.publish(db, plan_id, "tea drinkers")
    tea = policies.match(db, TicketContext("cancellation", billing_cycle=1, plan="Tea Box"))
    assert tea.version.policy_name == "Tea cancellations" and "plan Tea Box" in tea.reason
    risk_id = policies.create(db, "At-risk cancellations", "cancellation", "at_risk", [Step("escalate")])
    policies.publish(db, risk_id, "repeat writers")
    risky = policies.match(db, TicketContext("cancellation", billing_cycle=1, at_risk=True))
    assert risky.version.policy_name == "At-risk cancellations"


def test_no_policy_is_reported_in_words(db):
    policy_id = policies.create(db, "Quality for first-timers", "product_quality", "first_cycle", [Step("apology")])
    policies.publish(db, policy_id, "first")
    found = policies.match(db, TicketContext("product_quality", billing_cycle=1))
    assert found.version is not None
    db.conn.execute("DROP TRIGGER policy_versions_immutable_delete")  # test-only: remove the default
    db.conn.execute("DROP TRIGGER policy_steps_immutable_delete")
    default = by_category(db, "product_quality")
    db.conn.execute("DELETE FROM policy_steps WHERE policy_version_id IN "
                    "(SELECT id FROM policy_versions WHERE policy_id = ?)", (default.id,))
    db.conn.execute("DELETE FROM policy_versions WHERE policy_id = ?", (default.id,))
    none = policies.match(db, TicketContext("product_quality", billing_cycle=3))
    assert none.version is None and "No published policy" in none.reason
