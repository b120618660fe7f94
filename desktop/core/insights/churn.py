"""Gap 3: churn that first-cycle tickets predict.

Population: customers whose first ticket ever was opened in the period.
A customer churned when the subscription in force at that first ticket was
cancelled within ``window_days`` after it. Groups: first ticket in billing
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

from desktop.core import clock
from desktop.core.insights.numbers import rate
from desktop.core.insights.period import Period
from desktop.core.store import Database

GROUPS = ("cycle1", "later", "cycle1_recovered", "cycle1_not_recovered")

FIRST_TICKETS_SQL = """
SELECT t.id AS ticket_id, t.customer_id, t.created_at, t.billing_cycle,
       coalesce((SELECT s.id FROM subscriptions s WHERE s.customer_id = t.customer_id AND s.started_at <= t.created_at
                 ORDER BY s.started_at DESC, s.id DESC LIMIT 1),
                (SELECT s.id FROM subscriptions s WHERE s.customer_id = t.customer_id
                 ORDER BY s.started_at DESC, s.id DESC LIMIT 1)) AS subscription_id
FROM customers c JOIN tickets t ON t.id = c.first_ticket_id
WHERE c.first_ticket_at >= :start AND c.first_ticket_at < :end
"""


def first_tickets(db: Database, period: Period, window_days: int, now: str) -> tuple[dict[str, list[int]], dict]:
    """Ticket ids of each group's first tickets, and what was left out."""
    window = timedelta(days=window_days)
    cutoff = clock.to_iso(clock.parse_iso(now) - window)
    groups: dict[str, list[int]] = {g: [] for g in GROUPS}
    churned: set[int] = set()
    excluded = {"no_subscription": 0, "cancelled_before": 0, "unknown_cycle": 0, "window_not_over": 0}
    rows = db.query(FIRST_TICKETS_SQL, {"start": period.start, "end": period.end})
    subs = _subscriptions(db, [r["subscription_id"] for r in rows if r["subscription_id"] is not None])
    recovered = _recovered(db, [r["ticket_id"] for r in rows])
    for r in rows:
        cancelled = subs.get(r["subscription_id"])  # None: no subscription; "": not cancelled
        if cancelled is None:
            excluded["no_subscription"] += 1
            continue
        if cancelled and cancelled < r["created_at"]:
            excluded["cancelled_before"] += 1
            continue
        if r["billing_cycle"] is None:
            excluded["unknown_cycle"] += 1
            continue
        if r["created_at"] > cutoff:
            excluded["window_not_over"] += 1
            continue
        deadline = clock.to_iso(clock.parse_iso(r["created_at"]) + window)
        if cancelled and r["created_at"] <= cancelled < deadline:
            churned.add(r["ticket_id"])
        if r["billing_cycle"] == 1:
            groups["cycle1"].append(r["ticket_id"])
            groups["cycle1_recovered" if r["ticket_id"] in recovered else "cycle1_not_recovered"].append(
                r["ticket_id"])
        else:
            groups["later"].append(r["ticket_id"])
    return groups | {"churned": sorted(churned)}, excluded


def _subscriptions(db: Database, ids: list[int]) -> dict[int, str]:
    """subscription id -> cancelled_at ('' when not cancelled)."""
    found: dict[int, str] = {}
    for start in range(0, len(ids), 30_000):
        chunk = ids[start:start + 30_000]
        for r in db.query(f"SELECT id, cancelled_at FROM subscriptions WHERE id IN ({','.join('?' * len(chunk))})",
                          chunk):
            found[r["id"]] = r["cancelled_at"] or ""
    return found


def _recovered(db: Database, ticket_ids: list[int]) -> set[int]:
    """Tickets whose latest resolution followed a policy with every step done."""
    latest: dict[int, bool] = {}
    for start in range(0, len(ticket_ids), 30_000):
        chunk = ticket_ids[start:start + 30_000]
        for r in db.query(
                f"""SELECT ticket_id, policy_version_id IS NOT NULL AND steps_skipped = 0 AS complete
                    FROM resolutions WHERE ticket_id IN ({','.join('?' * len(chunk))}) ORDER BY id""", chunk):
            latest[r["ticket_id"]] = bool(r["complete"])
    return {ticket for ticket, complete in latest.items() if complete}


def churn(db: Database, period: Period, window_days: int = 60, *, now: str | None = None) -> dict:
    groups, excluded = first_tickets(db, period, window_days, now or clock.now_iso())
    churned = set(groups["churned"])
    result: dict = {"window_days": window_days}
    for group in GROUPS:
        ids = groups[group]
        result[group] = rate(sum(1 for i in ids if i in churned), len(ids))
    result["excluded"] = excluded
    return result
