"""Gap 2 and the recovery figures, from one pass over the period's
resolutions.

Offers belong to the period in which they were made (the resolution time).
Per category and person: count, minimum, median and maximum offer; every
offer outside the bounds of the policy version recorded on its resolution;
the consistency score per category (share of bounded offers within bounds);
skipped steps by person with their reasons. Checklist completion: share of
resolutions that followed a policy and had every step done. Cost of recovery
per category: replacement and refund steps done, and offers by kind (count
and total); and in money, through the subscription in force when the ticket
was opened (billing.in_force_id, stored as tickets.subscription_id): a percent offer is that share of the
plan's price per cycle; an account credit is its amount, in the plan's
currency; a replacement costs what is set for the category (costs.py) and
a refund one cycle's price — both *estimated*; a free add-on, or anything
without a price to go by, is counted as ``unpriced``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from statistics import median

from amends.core import costs, money
from amends.core.billing import in_force_of_ticket
from amends.core.insights.period import Period
from amends.core.insights.records import (
    Checklist,
    Consistency,
    Offers,
    OfferSpread,
    OfferTotal,
    OutOfRange,
    RecoveryCost,
    ResolutionFigures,
    SkippedStep,
)
from amends.core.store import Database


def resolution_figures(db: Database, period: Period) -> ResolutionFigures:
    window = (period.start, period.end)
    # Counts in SQL (one grouped pass); only offer values come to Python,
    # for the medians. Fewer Python objects per row is what makes this fast.
    replacements_done: dict[str, int] = defaultdict(int)
    refunds_done: dict[str, int] = defaultdict(int)
    offer_totals: dict[str, dict[str, OfferTotal]] = {}  # category -> offer kind -> offers made
    bounded: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # category -> [offers with bounds, within]
    total = with_policy = complete = 0
    for (category, kind, n, policy_n, complete_n, replacements, refunds, offers_n, offers_total, bounded_n,
         within_n) in db.tuples(
            """SELECT category, offer_kind, count(*), sum(policy_version_id IS NOT NULL),
                      sum(policy_version_id IS NOT NULL AND steps_skipped = 0), sum(replacements), sum(refunds),
                      count(offer_value), sum(offer_value), count(offer_in_bounds), sum(offer_in_bounds)
               FROM resolutions WHERE resolved_at >= ? AND resolved_at < ? GROUP BY category, offer_kind""",
            window):
        total += n
        with_policy += policy_n
        complete += complete_n
        replacements_done[category] += replacements
        refunds_done[category] += refunds
        totals = offer_totals.setdefault(category, {})  # a category without offers still has its entry
        if offers_n:
            totals[kind or "unknown"] = OfferTotal(offers_n, offers_total)
        if bounded_n:
            bounded[category][0] += bounded_n
            bounded[category][1] += within_n or 0
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for actor, category, value in db.tuples(
            "SELECT actor, category, offer_value FROM resolutions WHERE resolved_at >= ? AND resolved_at < ? "
            "AND offer_value IS NOT NULL", window):
        values[(actor, category)].append(value)
    out_of_range = tuple(
        OutOfRange(*r)
        for r in db.tuples(
            """SELECT r.ticket_id, t.ref, r.actor, r.category, r.offer_kind, r.offer_value, r.offer_min, r.offer_max,
                      r.override_reason
               FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
               WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.offer_in_bounds = 0
               ORDER BY r.resolved_at, r.id""", window))
    offers = Offers(
        by_actor=tuple(OfferSpread(actor, category, len(v), min(v), median(v), max(v))
                       for (actor, category), v in sorted(values.items())),
        out_of_range=out_of_range,
        skipped=tuple(skipped_steps(db, period)),
        consistency=tuple(Consistency(category, n, within, within / n if n else None)
                          for category, (n, within) in sorted(bounded.items())),
    )
    checklist = Checklist(total, with_policy, total - with_policy, complete,
                          complete / with_policy if with_policy else 0.0)
    priced = recovery_money(db, period)
    recovery_cost = tuple(RecoveryCost(category, replacements_done[category], refunds_done[category], totals,
                                       *priced.get(category, ({}, False, 0)))
                          for category, totals in sorted(offer_totals.items()))
    return ResolutionFigures(offers, checklist, recovery_cost)


#: The priced resolutions of a period: the subscription in force when the ticket was opened is
#: its stamp (billing.in_force_of_ticket: computed for a ticket not stamped yet).
RECOVERY_MONEY_SQL = f"""SELECT r.category, r.offer_kind, r.offer_value, r.replacements, r.refunds, s.price_minor,
       s.currency
FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
LEFT JOIN subscriptions s ON s.id = {in_force_of_ticket('t')}
WHERE r.resolved_at >= :start AND r.resolved_at < :end{{only}}
  AND (r.offer_value IS NOT NULL OR r.replacements > 0 OR r.refunds > 0)"""


def recovery_money(db: Database, period: Period,
                   policy_id: int | None = None) -> dict[str, tuple[dict[str, float], bool, int]]:
    """Category → (currency → amount in major units, estimated, unpriced);
    with ``policy_id``, only the resolutions under a version of that policy
    (its review pack)."""
    only = ("" if policy_id is None else
            " AND r.policy_version_id IN (SELECT id FROM policy_versions WHERE policy_id = :policy)")
    set_costs = costs.replacement_costs(db)
    minor: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    estimated: dict[str, bool] = defaultdict(bool)
    unpriced: dict[str, int] = defaultdict(int)
    for category, kind, value, replacements, refunds, price, currency in db.tuples(
            RECOVERY_MONEY_SQL.format(only=only), {"start": period.start, "end": period.end, "policy": policy_id}):
        sums = minor[category]
        if value is not None and not math.isfinite(value):  # stored before numbers were checked
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


def skipped_steps(db: Database, period: Period) -> list[SkippedStep]:
    return [SkippedStep(*r) for r in db.tuples(
        """SELECT r.actor, s.type, s.reason, count(*) AS n
           FROM resolutions r JOIN resolution_steps s ON s.resolution_id = r.id
           WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.steps_skipped > 0 AND s.outcome = 'skipped'
           GROUP BY r.actor, s.type, s.reason ORDER BY r.actor, n DESC, s.type, s.reason""", (period.start, period.end))]

