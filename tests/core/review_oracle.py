"""The Review's resolution figures computed from the base tables directly: the
queries of schema 5 (before the per-day sums of schema 6, V6REVIEW), kept as
the oracle the fact tables are checked against (tests/core/test_review_facts.py).

Slow at a million tickets (they read every resolution of the period); right by
construction: they are the definitions."""

from __future__ import annotations

from collections import defaultdict
from statistics import median

from amends.core.insights.period import Period
from amends.core.insights.records import Consistency, OfferSpread, OfferTotal, SkippedStep
from amends.core.store import Database

GROUPED = """SELECT category, offer_kind, count(*), sum(policy_version_id IS NOT NULL),
                    sum(policy_version_id IS NOT NULL AND steps_skipped = 0), sum(replacements), sum(refunds),
                    count(offer_value), sum(offer_value), count(offer_in_bounds), sum(offer_in_bounds)
             FROM resolutions WHERE resolved_at >= ? AND resolved_at < ? GROUP BY category, offer_kind"""
VALUES = ("SELECT actor, category, offer_value FROM resolutions WHERE resolved_at >= ? AND resolved_at < ? "
          "AND offer_value IS NOT NULL")
SKIPPED = """SELECT r.actor, s.type, s.reason, count(*) AS n
             FROM resolutions r JOIN resolution_steps s ON s.resolution_id = r.id
             WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.steps_skipped > 0 AND s.outcome = 'skipped'
             GROUP BY r.actor, s.type, s.reason ORDER BY r.actor, n DESC, s.type, s.reason"""


def figures(db: Database, period: Period) -> dict:
    """What resolution_figures derives from the period's resolutions, from the rows themselves."""
    window = (period.start, period.end)
    total = with_policy = complete = 0
    replacements: dict[str, int] = defaultdict(int)
    refunds: dict[str, int] = defaultdict(int)
    totals: dict[str, dict[str, OfferTotal]] = {}
    bounded: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for category, kind, n, policy_n, complete_n, repl, refs, offers_n, offers_total, bounded_n, within_n in db.tuples(
            GROUPED, window):
        total += n
        with_policy += policy_n
        complete += complete_n
        replacements[category] += repl
        refunds[category] += refs
        per_kind = totals.setdefault(category, {})
        if offers_n:
            per_kind[kind or "unknown"] = OfferTotal(offers_n, offers_total)
        if bounded_n:
            bounded[category][0] += bounded_n
            bounded[category][1] += within_n or 0
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for actor, category, value in db.tuples(VALUES, window):
        values[(actor, category)].append(value)
    return {
        "checklist": (total, with_policy, complete),
        "units": {c: (replacements[c], refunds[c]) for c in totals},
        "totals": totals,
        "consistency": tuple(Consistency(c, n, w, w / n if n else None) for c, (n, w) in sorted(bounded.items())),
        "by_actor": tuple(OfferSpread(a, c, len(v), min(v), median(v), max(v)) for (a, c), v in sorted(values.items())),
        "skipped": tuple(SkippedStep(*r) for r in db.tuples(SKIPPED, window)),
    }
