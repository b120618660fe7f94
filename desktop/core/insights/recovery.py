"""Checklist completion, overdue follow-ups and what recovery costs."""

from __future__ import annotations

from collections import defaultdict

from desktop.core import clock
from desktop.core.insights.period import Period
from desktop.core.store import Database


def checklist_completion(db: Database, period: Period) -> dict:
    """Share of the period's resolutions that followed a policy and had every
    step done. Resolutions with no policy are counted apart."""
    row = db.one(
        """SELECT count(*) AS total,
                  sum(r.policy_version_id IS NULL) AS no_policy,
                  sum(r.policy_version_id IS NOT NULL AND r.steps_skipped = 0) AS complete
           FROM resolutions r WHERE r.resolved_at >= ? AND r.resolved_at < ?""", (period.start, period.end))
    with_policy = (row["total"] or 0) - (row["no_policy"] or 0)
    return {"resolutions": row["total"] or 0, "with_policy": with_policy, "no_policy": row["no_policy"] or 0,
            "complete": row["complete"] or 0,
            "rate": (row["complete"] or 0) / with_policy if with_policy else 0.0}


def followups_overdue(db: Database, now: str | None = None) -> int:
    """Check-ins not done whose due time has passed (as of now)."""
    return db.scalar("SELECT count(*) FROM followups WHERE done_at IS NULL AND due_at < ?",
                     (now or clock.now_iso(),))


def recovery_cost(db: Database, period: Period) -> list[dict]:
    """Per category: replacements and refunds done, and offers by kind
    (count and total), for resolutions made in the period. Amends does not
    know prices, so costs are counted in units a founder can price."""
    cost: dict[str, dict] = defaultdict(lambda: {"replacements": 0, "refunds": 0, "offers": {}})
    for r in db.query(
            """SELECT category, offer_kind, sum(replacements) AS replacements, sum(refunds) AS refunds,
                      count(offer_value) AS offers, sum(offer_value) AS total
               FROM resolutions WHERE resolved_at >= ? AND resolved_at < ?
               GROUP BY category, offer_kind""", (period.start, period.end)):
        entry = cost[r["category"]]
        entry["replacements"] += r["replacements"]
        entry["refunds"] += r["refunds"]
        if r["offers"]:
            entry["offers"][r["offer_kind"] or "unknown"] = {"count": r["offers"], "total": r["total"]}
    return [{"category": category, **values} for category, values in sorted(cost.items())]
