"""The oracle of the cycle-1 churn figures (tests/core/test_churn_firsts.py):
insights/churn.py as it was before issue 16's kept first-ticket facts (commit
41b218d, schema 7), kept verbatim so the read of churn_firsts (schema 8, V8CHURN)
can be checked to give exactly its groups, ids and exclusions after any
writes. Not used by the app."""

from __future__ import annotations

from datetime import timedelta

from amends.core import clock
from amends.core.billing import in_force_id, in_force_of_ticket
from amends.core.insights.numbers import rate
from amends.core.insights.period import Period
from amends.core.insights.records import ChurnFigures, Excluded
from amends.core.store import Database

GROUPS = ("cycle1", "later", "cycle1_recovered", "cycle1_not_recovered")

FIRST_TICKETS_SQL = f"""
WITH firsts AS (
    SELECT t.id AS ticket_id, t.created_at, t.billing_cycle, c.id AS customer_id,
           CASE WHEN t.customer_id IS c.id THEN {in_force_of_ticket('t')}
                ELSE {in_force_id('c.id', 't.created_at')} END AS subscription_id,
           (SELECT r.policy_version_id IS NOT NULL AND r.steps_skipped = 0 FROM resolutions r
            WHERE r.ticket_id = t.id ORDER BY r.id DESC LIMIT 1) AS recovered
    FROM customers c JOIN tickets t ON t.id = c.first_ticket_id
    WHERE c.first_ticket_at >= :start AND c.first_ticket_at < :end
)
SELECT f.ticket_id, f.created_at, f.billing_cycle, f.subscription_id, f.recovered,
       s.cancelled_at, f.deadline,
       (SELECT count(*) FROM subscriptions o WHERE o.customer_id = f.customer_id AND o.started_at <= f.deadline
        AND (o.cancelled_at IS NULL OR o.cancelled_at > f.deadline)) AS in_force_at_end
FROM (SELECT *, strftime('%Y-%m-%dT%H:%M:%SZ', created_at, :window) AS deadline FROM firsts) f
LEFT JOIN subscriptions s ON s.id = f.subscription_id
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
