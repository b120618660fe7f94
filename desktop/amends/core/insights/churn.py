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
#: only where it can matter: the deadline and whether a subscription is in force at it, for a first ticket
#: whose subscription was cancelled (NULL otherwise: it did not churn, whatever is in force).
FIRST_TICKETS_SQL = """
SELECT f.ticket_id, f.created_at, f.billing_cycle, f.subscription_id, f.recovered, f.cancelled_at, f.deadline,
       CASE WHEN f.cancelled_at < f.deadline THEN
           (SELECT count(*) FROM subscriptions o WHERE o.customer_id = f.customer_id AND o.started_at <= f.deadline
            AND (o.cancelled_at IS NULL OR o.cancelled_at > f.deadline)) END AS in_force_at_end
FROM (SELECT ticket_id, created_at, billing_cycle, subscription_id, recovered, cancelled_at, customer_id,
             CASE WHEN cancelled_at IS NOT NULL THEN strftime('%Y-%m-%dT%H:%M:%SZ', created_at, :window) END AS deadline
      FROM churn_firsts WHERE first_ticket_at >= :start AND first_ticket_at < :end) f
"""


def first_tickets(db: Database, period: Period, window_days: int,
                  now: str) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Ticket ids of each group's first tickets (and of those who churned),
    and how many customers were left out and why."""
    cutoff = clock.to_iso(clock.parse_iso(now) - timedelta(days=window_days))
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
    groups, excluded = first_tickets(db, period, window_days, now or clock.now_iso())
    churned = set(groups["churned"])
    rates = {group: rate(sum(1 for i in groups[group] if i in churned), len(groups[group])) for group in GROUPS}
    return ChurnFigures(window_days, rates["cycle1"], rates["later"], rates["cycle1_recovered"],
                        rates["cycle1_not_recovered"], Excluded(**excluded))
