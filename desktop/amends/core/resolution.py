"""Resolving a ticket: the bridge between service and relations.

:func:`checklist_for` finds the current published policy for the ticket and
returns its steps; :func:`resolve` records what was done, skipped (with a
reason) and offered against that exact policy version, schedules check-ins
as follow-ups and closes the ticket, all in one transaction. The dialog and
``amends resolve`` both call these, so they obey the same rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from amends.core import audit, clock, customers, policies, tickets
from amends.core.errors import ConflictError, NotFound, PolicyViolation
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import OFFER_KINDS

AT_RISK_WINDOW_DAYS = 60
AT_RISK_TICKETS = 2


@dataclass(frozen=True)
class Checklist:
    """What the resolve dialog shows for one ticket."""

    ticket_id: int
    ticket_version: int
    ticket_status: str
    category: str
    policy: policies.PolicyVersion | None
    reason: str
    segment: str

    @property
    def steps(self) -> tuple[policies.Step, ...]:
        return self.policy.steps if self.policy else ()


@dataclass(frozen=True)
class StepOutcome:
    """``position`` is 0-based, as stored; a skip needs a ``reason``."""

    position: int
    done: bool
    reason: str | None = None


@dataclass(frozen=True)
class Offer:
    value: float
    kind: str | None = None
    override_reason: str | None = None


def context_for(db: Database, ticket: tickets.Ticket) -> policies.TicketContext:
    """The facts matching needs: category, billing cycle, plan, and whether
    the customer is at risk (2+ tickets in the 60 days up to this one)."""
    plan = None
    at_risk = False
    if ticket.customer_id is not None:
        sub = customers.subscription_at(db, ticket.customer_id, ticket.created_at)
        plan = sub.plan if sub else None
        since = clock.to_iso(clock.parse_iso(ticket.created_at) - timedelta(days=AT_RISK_WINDOW_DAYS))
        recent = db.scalar("SELECT count(*) FROM tickets WHERE customer_id = ? AND created_at > ? "
                           "AND created_at <= ?", (ticket.customer_id, since, ticket.created_at))
        at_risk = recent >= AT_RISK_TICKETS
    return policies.TicketContext(ticket.category, ticket.billing_cycle, at_risk, plan)


def checklist_for(db: Database, ticket_id: int) -> Checklist:
    ticket = tickets.get(db, ticket_id, with_messages=False)
    context = context_for(db, ticket)
    found = policies.match(db, context)
    return Checklist(ticket.id, ticket.version, ticket.status, ticket.category, found.version, found.reason,
                     context.segment)


def check(checklist: Checklist, outcomes: list[StepOutcome], offer: Offer | None) -> list[tuple[str, str]]:
    """Every rule the resolution breaks, as (field, reason). Shared by the
    dialog (to show messages as you go) and :func:`resolve`."""
    problems: list[tuple[str, str]] = []
    steps = checklist.steps
    given = {o.position: o for o in outcomes}
    for position in given:
        if not 0 <= position < len(steps):
            problems.append((f"step {position + 1}", "there is no such step in this checklist"
                             if steps else "this ticket has no policy, so it has no steps"))
    for position, step in enumerate(steps):
        outcome = given.get(position)
        where = f"step {position + 1}"
        if outcome is None:
            problems.append((where, f"{step.describe()}: mark it done or skipped"))
        elif not outcome.done and not (outcome.reason or "").strip():
            problems.append((where, f"{step.describe()}: a skipped step needs a reason"))
    offer_step = checklist.policy.offer_step() if checklist.policy else None
    offer_position = steps.index(offer_step) if offer_step else None
    offer_done = offer_position is not None and given.get(offer_position, StepOutcome(0, False)).done
    bounds = offer_step.bounds() if offer_step else None
    if offer is not None:
        if not isinstance(offer.value, (int, float)) or isinstance(offer.value, bool) \
                or not math.isfinite(offer.value) or abs(offer.value) > policies.MAX_OFFER:
            problems.append(("offer", f"an offer is a number up to {policies.MAX_OFFER:,} (not NaN or Infinity)"))
        elif offer.value < 0:
            problems.append(("offer", "an offer cannot be negative"))
        elif offer_step is not None and not offer_done:
            problems.append(("offer", "the save offer step is skipped, so no offer can be recorded"))
        elif offer_step is not None and (bounds is None or not all(math.isfinite(b) for b in bounds)):
            # stored by an import before bounds were checked (NaN became NULL)
            problems.append(("offer", "this policy version's save offer has no valid range; "
                                      "edit the policy and publish it again"))
        elif bounds is not None and not (bounds[0] <= offer.value <= bounds[1]) \
                and not (offer.override_reason or "").strip():
            problems.append(("offer", f"{offer.value:g} is outside the approved range "
                                      f"{bounds[0]:g}–{bounds[1]:g}; "
                                      "give an override reason to go outside it"))
        if offer.kind is not None and offer.kind not in OFFER_KINDS:
            problems.append(("offer", f"offer kind must be one of {', '.join(OFFER_KINDS)}"))
    elif offer_done:
        problems.append(("offer", "the save offer step is marked done: enter the offer made"))
    return problems


def resolve(db: Database, ticket_id: int, policy_version_id: int | None, outcomes: list[StepOutcome],
            offer: Offer | None = None, *, expected_version: int | None = None, at: str | None = None) -> int:
    """Resolve the ticket through its checklist; return the resolution id.

    ``policy_version_id`` is the version the person was shown; if another
    version has been published since, nothing is written and
    :class:`ConflictError` asks them to look again. Everything (status,
    step outcomes, offer, follow-ups, audit) commits together or not at all.
    """
    at = at or clock.now_iso()
    # scoped to the ticket: the policy it reads changes only under the whole-database lock
    with db.transaction(tickets=(ticket_id,)) as conn:
        checklist = checklist_for(db, ticket_id)
        if expected_version is not None and checklist.ticket_version != expected_version:
            ticket_row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
            raise tickets.conflict_for(conn, ticket_id, expected_version, ticket_row)
        if checklist.ticket_status == "resolved":
            raise ConflictError("Ticket", ticket_id, message=f"Ticket {ticket_id} is already resolved.")
        current_id = checklist.policy.id if checklist.policy else None
        if current_id != policy_version_id:
            raise ConflictError(
                "Policy", policy_version_id or 0,
                message="The policy for this ticket changed while you were resolving it "
                        f"(now: {checklist.reason}). Review the new checklist; nothing was saved.")
        problems = check(checklist, outcomes, offer)
        if problems:
            raise PolicyViolation(problems)
        offer_step = checklist.policy.offer_step() if checklist.policy else None
        in_bounds = None
        kind = None
        if offer is not None:
            kind = offer.kind or (offer_step.offer_kind if offer_step else "percent_next_cycle")
            bounds = offer_step.bounds() if offer_step else None
            if bounds is not None:
                in_bounds = int(bounds[0] <= offer.value <= bounds[1])
        by_position = {o.position: o for o in outcomes}
        done_types = [s.type for p, s in enumerate(checklist.steps) if by_position[p].done]
        resolution_id = inserted_id(conn.execute(
            "INSERT INTO resolutions (ticket_id, policy_version_id, segment, actor, resolved_at, offer_kind, "
            "offer_value, offer_min, offer_max, offer_in_bounds, override_reason, category, steps_total, "
            "steps_skipped, replacements, refunds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ticket_id, policy_version_id, checklist.segment, db.actor, at, kind,
             offer.value if offer else None,
             offer_step.offer_min if offer_step else None, offer_step.offer_max if offer_step else None,
             in_bounds, (offer.override_reason or None) if offer and in_bounds == 0 else None,
             checklist.category, len(checklist.steps), len(checklist.steps) - len(done_types),
             done_types.count("replacement"), done_types.count("refund"))))
        # One statement per table (executemany), not one per step: the write lock is held for less.
        rows, followups = [], []
        for position, step in enumerate(checklist.steps):
            outcome = by_position[position]
            rows.append((resolution_id, position, step.type, "done" if outcome.done else "skipped",
                         None if outcome.done else (outcome.reason or "").strip()))
            if step.type == "check_in" and outcome.done:
                followups.append((step.describe(), clock.to_iso(clock.parse_iso(at) + timedelta(days=step.days or 0))))
        conn.executemany("INSERT INTO resolution_steps (resolution_id, position, type, outcome, reason) "
                         "VALUES (?, ?, ?, ?, ?)", rows)
        if followups:
            conn.executemany("INSERT INTO followups (ticket_id, resolution_id, kind, note, due_at, created_at) "
                             "VALUES (?, ?, 'check_in', ?, ?, ?)",
                             [(ticket_id, resolution_id, note, due, at) for note, due in followups])
        conn.execute("UPDATE tickets SET status = 'resolved', resolved_at = ?, updated_at = ?, "
                     "version = version + 1 WHERE id = ?", (at, at, ticket_id))
        audit.record(conn, db.actor, "ticket", ticket_id, "resolve", {
            "before": {"status": checklist.ticket_status}, "after": {"status": "resolved"},
            "resolution_id": resolution_id, "policy_version_id": policy_version_id,
            "policy": checklist.reason if checklist.policy else None,
            "skipped": [p + 1 for p, o in by_position.items() if not o.done],
            "offer": None if offer is None else {"value": offer.value, "kind": kind, "in_bounds": in_bounds},
            "followups": [due for _, due in followups]}, at=at)
        if "survey" in done_types:  # the survey step sends its mail (issue 17.5)
            from amends.core import surveys  # the outbox and mailboxes: not before the first paint

            surveys.queue(db, resolution_id, at=at)
    return resolution_id


@dataclass(frozen=True)
class RecordedStep:
    position: int
    type: str
    outcome: str
    reason: str | None


@dataclass(frozen=True)
class Resolution:
    id: int
    ticket_id: int
    policy_version_id: int | None
    actor: str
    resolved_at: str
    offer_kind: str | None
    offer_value: float | None
    offer_in_bounds: bool | None
    override_reason: str | None
    steps: tuple[RecordedStep, ...]


def resolutions_for(db: Database, ticket_id: int) -> list[Resolution]:
    result = []
    for r in db.query("SELECT * FROM resolutions WHERE ticket_id = ? ORDER BY id", (ticket_id,)):
        steps = tuple(RecordedStep(s["position"], s["type"], s["outcome"], s["reason"]) for s in db.query(
            "SELECT * FROM resolution_steps WHERE resolution_id = ? ORDER BY position", (r["id"],)))
        result.append(Resolution(r["id"], r["ticket_id"], r["policy_version_id"], r["actor"], r["resolved_at"],
                                 r["offer_kind"], r["offer_value"],
                                 None if r["offer_in_bounds"] is None else bool(r["offer_in_bounds"]),
                                 r["override_reason"], steps))
    if not result and db.one("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)) is None:
        raise NotFound(f"Ticket {ticket_id} does not exist.")
    return result
