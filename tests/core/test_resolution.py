"""Resolving through the recovery checklist: rules, atomicity, follow-ups,
and resolutions that keep their policy version."""

from __future__ import annotations

import sqlite3

import pytest
from amends.core import clock, followups, policies, resolution, tickets
from amends.core.errors import ConflictError, PolicyViolation
from amends.core.policies import Step
from amends.core.resolution import Offer, StepOutcome

from tests.conftest import make_customer, make_ticket

ALL_DONE = [StepOutcome(i, True) for i in range(4)]  # the default damaged-shipment checklist


def counts(db) -> dict:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in
            ("resolutions", "resolution_steps", "followups", "audit_log")} | {
        "resolved": db.scalar("SELECT count(*) FROM tickets WHERE status = 'resolved'")}


@pytest.fixture
def ticket(db):
    customer = make_customer(db, started_at="2026-01-01T00:00:00Z")
    return make_ticket(db, customer, created_at="2026-01-15T00:00:00Z")


def test_checklist_comes_from_the_current_published_policy(db, ticket):
    checklist = resolution.checklist_for(db, ticket)
    assert checklist.policy.policy_name == "Damaged shipment" and checklist.policy.number == 1
    assert [s.type for s in checklist.steps] == ["apology", "replacement", "check_in", "save_offer"]
    assert checklist.segment == "first_cycle"


def test_resolve_records_everything_in_one_go(db, ticket):
    checklist = resolution.checklist_for(db, ticket)
    at = "2026-01-16T10:00:00Z"
    resolution_id = resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE, Offer(10), at=at,
                                       expected_version=checklist.ticket_version)
    row = db.one("SELECT * FROM resolutions WHERE id = ?", (resolution_id,))
    assert row["policy_version_id"] == checklist.policy.id
    assert (row["offer_value"], row["offer_kind"], row["offer_in_bounds"]) == (10, "percent_next_cycle", 1)
    assert (row["offer_min"], row["offer_max"], row["actor"]) == (0, 15, "tester@host")
    steps = db.query("SELECT position, type, outcome FROM resolution_steps WHERE resolution_id = ? "
                     "ORDER BY position", (resolution_id,))
    assert [tuple(s) for s in steps] == [(0, "apology", "done"), (1, "replacement", "done"),
                                         (2, "check_in", "done"), (3, "save_offer", "done")]
    due = followups.for_ticket(db, ticket)
    assert [f.due_at for f in due] == ["2026-01-23T10:00:00Z"]
    stored = tickets.get(db, ticket)
    assert (stored.status, stored.resolved_at, stored.version) == ("resolved", at, 2)
    assert db.one("SELECT * FROM audit_log WHERE action = 'resolve' AND entity_id = ?", (ticket,)) is not None


@pytest.mark.parametrize("outcomes, offer, message", [
    (ALL_DONE[:3], None, "step 4"),
    ([*ALL_DONE[:2], StepOutcome(2, False), ALL_DONE[3]], Offer(5), "needs a reason"),
    ([*ALL_DONE[:2], StepOutcome(2, False, "   "), ALL_DONE[3]], Offer(5), "needs a reason"),
    (ALL_DONE, None, "enter the offer"),
    (ALL_DONE, Offer(16), "outside the approved range"),
    (ALL_DONE, Offer(-1), "negative"),
    ([*ALL_DONE[:3], StepOutcome(3, False, "declined")], Offer(5), "skipped"),
    ([*ALL_DONE, StepOutcome(9, True)], Offer(5), "no such step"),
])
def test_broken_rules_are_refused_and_nothing_is_written(db, ticket, outcomes, offer, message):
    checklist = resolution.checklist_for(db, ticket)
    before = counts(db)
    with pytest.raises(PolicyViolation, match=message):
        resolution.resolve(db, ticket, checklist.policy.id, outcomes, offer)
    assert counts(db) == before


def test_offer_outside_the_bounds_needs_a_reason_and_is_flagged(db, ticket):
    checklist = resolution.checklist_for(db, ticket)
    resolution_id = resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE,
                                       Offer(25, override_reason="third damaged box in a row"))
    row = db.one("SELECT * FROM resolutions WHERE id = ?", (resolution_id,))
    assert (row["offer_in_bounds"], row["override_reason"]) == (0, "third damaged box in a row")


def test_offers_exactly_on_the_bounds_are_inside(db):
    for value in (0, 15):
        ticket = make_ticket(db)
        checklist = resolution.checklist_for(db, ticket)
        resolution_id = resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE, Offer(value))
        assert db.scalar("SELECT offer_in_bounds FROM resolutions WHERE id = ?", (resolution_id,)) == 1


def test_skipped_steps_keep_their_reason_and_schedule_nothing(db, ticket):
    checklist = resolution.checklist_for(db, ticket)
    outcomes = [StepOutcome(0, True), StepOutcome(1, False, "out of stock"), StepOutcome(2, False, "asked not to"),
                StepOutcome(3, False, "declined")]
    resolution_id = resolution.resolve(db, ticket, checklist.policy.id, outcomes)
    skipped = db.query("SELECT position, reason FROM resolution_steps WHERE outcome = 'skipped' "
                       "AND resolution_id = ? ORDER BY position", (resolution_id,))
    assert [tuple(r) for r in skipped] == [(1, "out of stock"), (2, "asked not to"), (3, "declined")]
    assert followups.for_ticket(db, ticket) == []


def test_no_policy_resolution_is_recorded_as_such(db):
    ticket = make_ticket(db, category="other")
    other = resolution.checklist_for(db, ticket)
    assert other.policy is not None
    # take the category's only policy out of the picture: narrow it to a plan nobody has
    policy = policies.get(db, other.policy.policy_id)
    policies.save_draft(db, policy.id, policy.version, name=policy.name, category="other", segment="any",
                        steps=policy.draft, plan="Nobody's plan")
    policies.publish(db, policy.id, "narrow")
    checklist = resolution.checklist_for(db, ticket)
    assert checklist.policy is None and "No published policy" in checklist.reason
    with pytest.raises(PolicyViolation):
        resolution.resolve(db, ticket, None, [StepOutcome(0, True)])
    resolution_id = resolution.resolve(db, ticket, None, [])
    row = db.one("SELECT * FROM resolutions WHERE id = ?", (resolution_id,))
    assert row["policy_version_id"] is None and tickets.get(db, ticket).status == "resolved"


def test_a_policy_published_while_the_dialog_was_open_is_a_conflict(db, ticket):
    shown = resolution.checklist_for(db, ticket)
    damaged = policies.get(db, shown.policy.policy_id)
    policies.save_draft(db, damaged.id, damaged.version, name=damaged.name, category=damaged.category,
                        segment="any", steps=damaged.draft[:2])
    policies.publish(db, damaged.id, "shorter")
    before = counts(db)
    with pytest.raises(ConflictError, match="policy for this ticket changed"):
        resolution.resolve(db, ticket, shown.policy.id, ALL_DONE, Offer(5))
    assert counts(db) == before


def test_resolving_twice_or_after_someone_else_edited_is_refused(db, ticket):
    checklist = resolution.checklist_for(db, ticket)
    tickets.update(db, ticket, checklist.ticket_version, priority=3)
    with pytest.raises(ConflictError):
        resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE, Offer(5),
                           expected_version=checklist.ticket_version)
    resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE, Offer(5))
    with pytest.raises(ConflictError, match="already resolved"):
        resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE, Offer(5))


def test_a_failure_midway_leaves_no_partial_resolution(db, ticket):
    """Make the last write of the transaction fail for real (a trigger on
    the follow-ups table) and check nothing of the resolution remains."""
    db.conn.execute("CREATE TEMP TRIGGER fail_followups BEFORE INSERT ON main.followups "
                    "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    checklist = resolution.checklist_for(db, ticket)
    before = counts(db)
    with pytest.raises(sqlite3.IntegrityError, match="disk on fire"):
        resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE, Offer(5))
    assert counts(db) == before
    assert tickets.get(db, ticket).status == "open"


def test_publishing_never_changes_earlier_resolutions(db):
    first = make_ticket(db)
    v1 = resolution.checklist_for(db, first).policy
    old_resolution = resolution.resolve(db, first, v1.id, ALL_DONE, Offer(5))
    damaged = policies.get(db, v1.policy_id)
    steps = [*damaged.draft, Step("survey")]
    policies.save_draft(db, damaged.id, damaged.version, name=damaged.name, category=damaged.category,
                        segment="any", steps=steps)
    v2 = policies.publish(db, damaged.id, "add a survey")
    second = make_ticket(db)
    shown = resolution.checklist_for(db, second)
    assert shown.policy.id == v2.id and len(shown.steps) == 5
    resolution.resolve(db, second, v2.id, [StepOutcome(i, True) for i in range(5)], Offer(5))
    assert resolution.resolutions_for(db, first)[0].policy_version_id == v1.id
    assert resolution.resolutions_for(db, first)[0].id == old_resolution
    assert len(resolution.resolutions_for(db, first)[0].steps) == 4
    assert resolution.resolutions_for(db, second)[0].policy_version_id == v2.id


def test_check_ins_come_back_when_due(db):
    ticket = make_ticket(db)
    checklist = resolution.checklist_for(db, ticket)
    resolution.resolve(db, ticket, checklist.policy.id, ALL_DONE, Offer(5), at="2026-02-01T09:00:00Z")
    due_view = tickets.InboxQuery(status="all", view="due_followups")
    assert tickets.page(db, due_view, now="2026-02-07T09:00:00Z")[0] == []
    rows, _ = tickets.page(db, due_view, now="2026-02-08T09:00:00Z")
    assert [r.id for r in rows] == [ticket] and rows[0].due_at == "2026-02-08T09:00:00Z"
    assert followups.due_count(db, "2026-02-08T09:00:00Z") == 1
    followups.complete(db, followups.for_ticket(db, ticket)[0].id)
    assert tickets.page(db, due_view, now=clock.now_iso())[0] == []


def test_due_view_lists_each_ticket_once_at_its_earliest_follow_up(db):
    first, second = make_ticket(db), make_ticket(db)
    for ticket_id, due in ((first, "2026-02-05T00:00:00Z"), (first, "2026-02-02T00:00:00Z"),
                           (second, "2026-02-03T00:00:00Z"), (first, "2026-02-04T00:00:00Z")):
        db.conn.execute("INSERT INTO followups (ticket_id, kind, note, due_at, created_at) "
                        "VALUES (?, 'check_in', 'x', ?, '2026-01-01T00:00:00Z')", (ticket_id, due))
    due_view = tickets.InboxQuery(status="all", view="due_followups")
    rows, _ = tickets.page(db, due_view, now="2026-03-01T00:00:00Z")
    assert [(r.id, r.due_at) for r in rows] == [(first, "2026-02-02T00:00:00Z"), (second, "2026-02-03T00:00:00Z")]
    page1, cursor = tickets.page(db, due_view, limit=1, now="2026-03-01T00:00:00Z")
    page2, _ = tickets.page(db, due_view, cursor, limit=1, now="2026-03-01T00:00:00Z")
    assert [r.id for r in page1 + page2] == [first, second]
