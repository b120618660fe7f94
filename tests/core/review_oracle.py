"""The Review's resolution figures computed from the base tables directly: the
queries of schema 5 (before the per-day sums of schema 6, V6REVIEW), kept as
the oracle the fact tables are checked against (tests/core/test_review_facts.py).

Slow at a million tickets (they read every resolution of the period); right by
construction: they are the definitions."""

from __future__ import annotations

import math
from collections import defaultdict
from statistics import median

from amends.core import costs, money
from amends.core.billing import in_force_of_ticket
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


#: Schema 6's money of recovery, from the rows (before V7RESOL's per-day sums): each priced resolution
#: joined to its ticket and the subscription in force when the ticket was opened.
MONEY = f"""SELECT r.category, r.offer_kind, r.offer_value, r.replacements, r.refunds, s.price_minor, s.currency
FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
LEFT JOIN subscriptions s ON s.id = {in_force_of_ticket('t')}
WHERE r.resolved_at >= :start AND r.resolved_at < :end{{only}}
  AND (r.offer_value IS NOT NULL OR r.replacements > 0 OR r.refunds > 0)"""


def recovery_money(db: Database, period: Period,
                   policy_id: int | None = None) -> dict[str, tuple[dict[str, float], bool, int]]:
    """insights.resolutions.recovery_money as schema 6 computed it, row by row."""
    only = ("" if policy_id is None else
            " AND r.policy_version_id IN (SELECT id FROM policy_versions WHERE policy_id = :policy)")
    set_costs = costs.replacement_costs(db)
    minor: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    estimated: dict[str, bool] = defaultdict(bool)
    unpriced: dict[str, int] = defaultdict(int)
    for category, kind, value, replacements, refunds, price, currency in db.tuples(
            MONEY.format(only=only), {"start": period.start, "end": period.end, "policy": policy_id}):
        sums = minor[category]
        if value is not None and not math.isfinite(value):
            unpriced[category] += 1
        elif value is not None:
            if kind == "percent_next_cycle" and price is not None and currency:
                sums[currency] += price * value / 100
            elif kind == "account_credit" and currency:
                sums[currency] += value * 10 ** money.exponent(currency)
            else:
                unpriced[category] += 1
        if replacements:
            cost = set_costs.get(category)
            if cost is not None:
                sums[cost.currency] += cost.minor * replacements
                estimated[category] = True
            else:
                unpriced[category] += replacements
        if refunds:
            if price is not None and currency:
                sums[currency] += price * refunds
                estimated[category] = True
            else:
                unpriced[category] += refunds
    return {category: ({c: money.from_minor(round(m), c) for c, m in sorted(minor[category].items())},
                       estimated[category], unpriced[category])
            for category in set(minor) | set(unpriced)}
