"""Gap 2: inconsistent recovery offers between people.

Offers belong to the period in which they were made (the resolution time).
"""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from desktop.core.insights.period import Period
from desktop.core.store import Database


def offers(db: Database, period: Period) -> dict:
    rows = db.query(
        """SELECT r.id, r.ticket_id, r.actor, r.category, r.offer_kind, r.offer_value, r.offer_min,
                  r.offer_max, r.offer_in_bounds, r.override_reason
           FROM resolutions r
           WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.offer_value IS NOT NULL
           ORDER BY r.resolved_at, r.id""", (period.start, period.end))
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    bounded: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # category -> [offers with bounds, within]
    out_of_range = []
    for r in rows:
        values[(r["actor"], r["category"])].append(r["offer_value"])
        if r["offer_in_bounds"] is not None:
            bounded[r["category"]][0] += 1
            bounded[r["category"]][1] += r["offer_in_bounds"]
        if r["offer_in_bounds"] == 0:
            out_of_range.append({"ticket": {"id": r["ticket_id"], "ref": None}, "actor": r["actor"],
                                 "category": r["category"], "kind": r["offer_kind"], "value": r["offer_value"],
                                 "min": r["offer_min"], "max": r["offer_max"],
                                 "override_reason": r["override_reason"]})
    _fill_refs(db, out_of_range)
    by_actor = [{"actor": actor, "category": category, "count": len(v), "min": min(v), "median": median(v),
                 "max": max(v)} for (actor, category), v in sorted(values.items())]
    consistency = [{"category": category, "offers": n, "within": within, "score": within / n if n else None}
                   for category, (n, within) in sorted(bounded.items())]
    skipped = [{"actor": r["actor"], "step": r["type"], "reason": r["reason"], "count": r["n"]} for r in db.query(
        """SELECT r.actor, s.type, s.reason, count(*) AS n
           FROM resolutions r JOIN resolution_steps s ON s.resolution_id = r.id
           WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.steps_skipped > 0 AND s.outcome = 'skipped'
           GROUP BY r.actor, s.type, s.reason ORDER BY r.actor, n DESC, s.type""", (period.start, period.end))]
    return {"by_actor": by_actor, "out_of_range": out_of_range, "skipped": skipped, "consistency": consistency}


def _fill_refs(db: Database, items: list[dict]) -> None:
    """External ids for the (few) tickets listed one by one."""
    ids = sorted({item["ticket"]["id"] for item in items})
    refs: dict[int, str | None] = {}
    for start in range(0, len(ids), 30_000):
        chunk = ids[start:start + 30_000]
        refs.update((r[0], r[1]) for r in db.query(
            f"SELECT id, ref FROM tickets WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    for item in items:
        item["ticket"]["ref"] = refs.get(item["ticket"]["id"])
