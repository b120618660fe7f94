"""Gap 3: churn that first-cycle tickets predict.

Population: customers whose first ticket ever was opened in the period.
A customer churned when the subscription in force at that first ticket
(billing.in_force_id: with two boxes, the older; stored as
tickets.subscription_id) was cancelled within
``window_days`` after it, *and* no subscription of theirs is in force at the
end of that window: a customer who cancels one box and keeps (or starts)
another has not left. Groups: first ticket in billing
cycle 1 vs later; within cycle 1, recovery completed (the first ticket's
latest resolution followed a policy with every checklist step done) vs not.

Left out, and counted in ``excluded``: customers without a subscription,
those whose subscription was already cancelled before the first ticket,
those whose billing cycle is unknown, and those whose window has not ended
yet (first ticket less than ``window_days`` before now), because their
outcome is not known.
"""

from __future__ import annotations

from datetime import timedelta

from amends.core import clock
from amends.core.insights.numbers import rate
from amends.core.insights.period import Period
from amends.core.insights.records import ChurnFigures, Excluded
from amends.core.store import Database

GROUPS = ("cycle1", "later", "cycle1_recovered", "cycle1_not_recovered")

#: The period's first tickets from the facts kept per customer (schema 8, V8CHURN: churn_firsts, one range of
#: its covering index; at 1,000,000 tickets the schema-7 read joined ~64,000 first tickets to their tickets,
#: latest resolutions and subscriptions, ~550 ms). Only what depends on the window is computed here, and
#: only where it can matter: the deadline for a first ticket whose subscription was cancelled, and whether
#: another subscription is in force at it when it was cancelled before it and the customer has another one
#: (none other: 0, as counting them would find; not cancelled within the window: NULL, it did not churn).
FIRST_TICKETS_SQL = """
SELECT f.ticket_id, f.created_at, f.billing_cycle, f.subscription_id, f.recovered, f.cancelled_at, f.deadline,
       CASE WHEN f.cancelled_at < f.deadline THEN CASE WHEN f.others = 0 THEN 0 ELSE
           (SELECT count(*) FROM subscriptions o WHERE o.customer_id = f.customer_id AND o.started_at <= f.deadline
            AND (o.cancelled_at IS NULL OR o.cancelled_at > f.deadline)) END END AS in_force_at_end
FROM (SELECT ticket_id, created_at, billing_cycle, subscription_id, recovered, cancelled_at, customer_id, others,
             CASE WHEN cancelled_at IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%SZ', created_at, :window) END AS deadline
      FROM churn_firsts WHERE first_ticket_at >= :start AND first_ticket_at < :end) f
"""

#: The tests of first_tickets' loop, in SQL: a customer is counted when none of the reasons to leave them
#: out holds (a text is true in Python when not empty, hence ``<> ''``; NULL compares to nothing, hence the
#: explicit IS NULL).
_COUNTED = ("subscription_id IS NOT NULL AND (cancelled_at IS NULL OR cancelled_at = '' OR cancelled_at >= created_at) "
            "AND billing_cycle IS NOT NULL AND created_at <= :cutoff")
_PERIOD = "FROM churn_firsts WHERE first_ticket_at >= :start AND first_ticket_at < :end"

#: The figures alone (cycle1_churn), counted in SQL so that the period's ~64,000 first tickets (1,000,000
#: tickets) are not each carried into Python, in two rows of one statement: 'all' — the four exclusions and
#: the customers of cycle 1, of cycle 1 recovered and of every group; 'churned' — the same three counts of
#: those who churned (a range of the few cancelled within the window; subscriptions read only for those
#: with another one). No GROUP BY: sorting 64,000 rows into groups cost more than the sums.
COUNTS_SQL = f"""
SELECT 'all',
       sum(CASE WHEN subscription_id IS NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN subscription_id IS NOT NULL AND cancelled_at <> '' AND cancelled_at < created_at
                THEN 1 ELSE 0 END),
       sum(CASE WHEN subscription_id IS NOT NULL AND (cancelled_at IS NULL OR cancelled_at = ''
                     OR cancelled_at >= created_at) AND billing_cycle IS NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN subscription_id IS NOT NULL AND (cancelled_at IS NULL OR cancelled_at = ''
                     OR cancelled_at >= created_at) AND billing_cycle IS NOT NULL AND created_at > :cutoff
                THEN 1 ELSE 0 END),
       sum(CASE WHEN {_COUNTED} AND billing_cycle = 1 THEN 1 ELSE 0 END),
       sum(CASE WHEN {_COUNTED} AND billing_cycle = 1 AND recovered = 1 THEN 1 ELSE 0 END),
       sum(CASE WHEN {_COUNTED} THEN 1 ELSE 0 END)
{_PERIOD}
UNION ALL
SELECT 'churned', 0, 0, 0, 0,
       sum(CASE WHEN g.billing_cycle = 1 THEN 1 ELSE 0 END),
       sum(CASE WHEN g.billing_cycle = 1 AND g.recovered = 1 THEN 1 ELSE 0 END),
       count(*)
FROM (SELECT customer_id, billing_cycle, recovered, cancelled_at, others,
             strftime('%Y-%m-%dT%H:%M:%SZ', created_at, :window) AS deadline
      {_PERIOD} AND cancelled_at <> '' AND {_COUNTED}) g
WHERE g.cancelled_at < g.deadline AND (g.others = 0 OR NOT EXISTS (
      SELECT 1 FROM subscriptions o WHERE o.customer_id = g.customer_id AND o.started_at <= g.deadline
      AND (o.cancelled_at IS NULL OR o.cancelled_at > g.deadline)))
"""


def _cutoff(now: str, window_days: int) -> str:
    """Customers whose first ticket is later than this have a window still running."""
    return clock.to_iso(clock.parse_iso(now) - timedelta(days=window_days))


def first_tickets(db: Database, period: Period, window_days: int,
                  now: str) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Ticket ids of each group's first tickets (and of those who churned),
    and how many customers were left out and why."""
    cutoff = _cutoff(now, window_days)
    groups: dict[str, list[int]] = {g: [] for g in GROUPS}
    churned: list[int] = []
    excluded = {"no_subscription": 0, "cancelled_before": 0, "unknown_cycle": 0, "window_not_over": 0}
    rows = db.tuples(FIRST_TICKETS_SQL, {"start": period.start, "end": period.end,
                                         "window": f"+{int(window_days)} days"})
    for ticket_id, created_at, cycle, subscription_id, recovered, cancelled, deadline, in_force_at_end in rows:
        if subscription_id is None:
            excluded["no_subscription"] += 1
        elif cancelled and cancelled < created_at:
            excluded["cancelled_before"] += 1
        elif cycle is None:
            excluded["unknown_cycle"] += 1
        elif created_at > cutoff:
            excluded["window_not_over"] += 1
        else:
            if cancelled and cancelled < deadline and not in_force_at_end:
                churned.append(ticket_id)
            if cycle == 1:
                groups["cycle1"].append(ticket_id)
                groups["cycle1_recovered" if recovered else "cycle1_not_recovered"].append(ticket_id)
            else:
                groups["later"].append(ticket_id)
    return groups | {"churned": sorted(churned)}, excluded


def cycle1_churn(db: Database, period: Period, window_days: int = 60, *, now: str | None = None) -> ChurnFigures:
    """The four groups' churn rates and the exclusions: first_tickets' figures, counted by COUNTS_SQL."""
    counts = {row[0]: [int(n or 0) for n in row[1:]] for row in db.tuples(COUNTS_SQL, {
        "start": period.start, "end": period.end, "cutoff": _cutoff(now or clock.now_iso(), window_days),
        "window": f"+{int(window_days)} days"})}
    no_sub, before, unknown, running, cycle1, recovered, counted = counts["all"]
    *_, churned1, churned_recovered, churned = counts["churned"]
    return ChurnFigures(window_days, rate(churned1, cycle1), rate(churned - churned1, counted - cycle1),
                        rate(churned_recovered, recovered),
                        rate(churned1 - churned_recovered, cycle1 - recovered),
                        Excluded(no_sub, before, unknown, running))
