"""Gap 2 and the recovery figures, from one pass over the period's
resolutions.

Offers belong to the period in which they were made (the resolution time).
Per category and person: count, minimum, median and maximum offer; every
offer outside the bounds of the policy version recorded on its resolution;
the consistency score per category (share of bounded offers within bounds);
skipped steps by person with their reasons. Checklist completion: share of
resolutions that followed a policy and had every step done. Cost of recovery
per category: replacement and refund steps done, and offers by kind (count
and total) — Amends knows no prices, so costs are in units to price.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from desktop.core.insights.period import Period
from desktop.core.store import Database


def resolution_figures(db: Database, period: Period) -> dict:
    rows = db.tuples(
        """SELECT ticket_id, actor, category, offer_kind, offer_value, offer_min, offer_max, offer_in_bounds,
                  override_reason, policy_version_id IS NOT NULL, steps_skipped, replacements, refunds
           FROM resolutions WHERE resolved_at >= ? AND resolved_at < ? ORDER BY resolved_at, id""",
        (period.start, period.end))
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    bounded: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # category -> [offers with bounds, within]
    cost: dict[str, dict] = defaultdict(lambda: {"replacements": 0, "refunds": 0, "offers": {}})
    out_of_range = []
    with_policy = complete = 0
    for (ticket_id, actor, category, kind, value, low, high, in_bounds, reason, has_policy, skipped,
         replacements, refunds) in rows:
        entry = cost[category]
        entry["replacements"] += replacements
        entry["refunds"] += refunds
        if has_policy:
            with_policy += 1
            complete += skipped == 0
        if value is None:
            continue
        values[(actor, category)].append(value)
        made = entry["offers"].setdefault(kind or "unknown", {"count": 0, "total": 0.0})
        made["count"] += 1
        made["total"] += value
        if in_bounds is not None:
            counts = bounded[category]
            counts[0] += 1
            counts[1] += in_bounds
            if not in_bounds:
                out_of_range.append({"ticket": {"id": ticket_id, "ref": None}, "actor": actor, "category": category,
                                     "kind": kind, "value": value, "min": low, "max": high,
                                     "override_reason": reason})
    _fill_refs(db, out_of_range)
    offers = {
        "by_actor": [{"actor": actor, "category": category, "count": len(v), "min": min(v), "median": median(v),
                      "max": max(v)} for (actor, category), v in sorted(values.items())],
        "out_of_range": out_of_range,
        "skipped": skipped_steps(db, period),
        "consistency": [{"category": category, "offers": n, "within": within, "score": within / n if n else None}
                        for category, (n, within) in sorted(bounded.items())],
    }
    checklist = {"resolutions": len(rows), "with_policy": with_policy, "no_policy": len(rows) - with_policy,
                 "complete": complete, "rate": complete / with_policy if with_policy else 0.0}
    recovery_cost = [{"category": category, **entry} for category, entry in sorted(cost.items())]
    return {"offers": offers, "checklist": checklist, "recovery_cost": recovery_cost}


def skipped_steps(db: Database, period: Period) -> list[dict]:
    return [{"actor": r[0], "step": r[1], "reason": r[2], "count": r[3]} for r in db.tuples(
        """SELECT r.actor, s.type, s.reason, count(*) AS n
           FROM resolutions r JOIN resolution_steps s ON s.resolution_id = r.id
           WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.steps_skipped > 0 AND s.outcome = 'skipped'
           GROUP BY r.actor, s.type, s.reason ORDER BY r.actor, n DESC, s.type""", (period.start, period.end))]


def _fill_refs(db: Database, items: list[dict]) -> None:
    """External ids for the tickets listed one by one."""
    ids = sorted({item["ticket"]["id"] for item in items})
    refs: dict[int, str | None] = {}
    for start in range(0, len(ids), 30_000):
        chunk = ids[start:start + 30_000]
        refs.update(db.tuples(f"SELECT id, ref FROM tickets WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    for item in items:
        item["ticket"]["ref"] = refs.get(item["ticket"]["id"])
