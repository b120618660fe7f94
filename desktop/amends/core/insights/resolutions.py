"""Gap 2 and the recovery figures of the period's resolutions.

The counts, offer values and skipped steps come from per-day sums that
schema 6's triggers keep in the transaction writing each resolution
(resolutions are immutable; issue 16: a quarter is ~236,000 resolutions at
1,000,000 tickets); the money figures, which follow the subscription stamped
on the ticket and its price, from schema 7's per-day sums, which triggers
also correct when a stamp or a price changes; the few offers out of range
from the rows.

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

from collections import defaultdict

from amends.core import costs, money
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

#: Schema 6 (V6REVIEW): per-day sums kept by triggers in the transaction that writes each resolution or
#: step; a period is whole days, so the days from ``since`` to ``until`` are exactly its resolutions.
GROUPED_SQL = """SELECT category, CASE WHEN no_kind = 1 THEN NULL ELSE offer_kind END, sum(resolutions),
       sum(with_policy), sum(complete), sum(replacements), sum(refunds), sum(offers), sum(offers_total), sum(bounded),
       sum(in_bounds)
FROM review_resolution_days WHERE day >= ? AND day <= ?
GROUP BY category, no_kind, offer_kind"""
VALUES_SQL = """SELECT actor, category, offer_value, sum(offers) FROM review_offer_values WHERE day >= ? AND day <= ?
GROUP BY actor, category, offer_value ORDER BY actor, category, offer_value"""
SKIPPED_SQL = """SELECT actor, type, CASE WHEN no_reason = 1 THEN NULL ELSE reason END AS why, sum(skipped) AS n
FROM review_skipped_days WHERE day >= ? AND day <= ?
GROUP BY actor, type, no_reason, reason ORDER BY actor, n DESC, type, why"""


def _days(period: Period) -> tuple[str, str]:
    return period.since.isoformat(), period.until.isoformat()


def counted_median(pairs: list[tuple[float, int]]) -> float:
    """The median of the values that ``pairs`` (value, how many; sorted by value)
    stand for, as :func:`statistics.median` gives it for the expanded list."""
    n = sum(count for _, count in pairs)
    wanted = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    found: list[float] = []
    seen = 0
    for value, count in pairs:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return found[0] if len(found) == 1 else (found[0] + found[1]) / 2


def resolution_figures(db: Database, period: Period) -> ResolutionFigures:
    window = (period.start, period.end)
    # Counts from the per-day sums (schema 6: a quarter is ~90 days of rows, not ~236,000
    # resolutions at 1,000,000 tickets); only the few offers out of range come from the rows.
    replacements_done: dict[str, int] = defaultdict(int)
    refunds_done: dict[str, int] = defaultdict(int)
    offer_totals: dict[str, dict[str, OfferTotal]] = {}  # category -> offer kind -> offers made
    bounded: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # category -> [offers with bounds, within]
    total = with_policy = complete = 0
    for (category, kind, n, policy_n, complete_n, replacements, refunds, offers_n, offers_total, bounded_n,
         within_n) in db.tuples(GROUPED_SQL, _days(period)):
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
    values: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for actor, category, value, count in db.tuples(VALUES_SQL, _days(period)):
        values[(actor, category)].append((value, count))
    out_of_range = tuple(
        OutOfRange(*r)
        for r in db.tuples(
            """SELECT r.ticket_id, t.ref, r.actor, r.category, r.offer_kind, r.offer_value, r.offer_min, r.offer_max,
                      r.override_reason
               FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
               WHERE r.resolved_at >= ? AND r.resolved_at < ? AND r.offer_in_bounds = 0
               ORDER BY r.resolved_at, r.id""", window))
    offers = Offers(
        by_actor=tuple(OfferSpread(actor, category, sum(n for _, n in v), v[0][0], counted_median(v), v[-1][0])
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


#: The money of a period's resolutions (schema 7, V7RESOL): per-day sums kept by triggers, priced through
#: each ticket's stamped subscription and corrected when a stamp or a price changes (store/schema.py).
MONEY_SQL = """SELECT category, currency, sum(resolutions), sum(priced), sum(percent_minor), sum(credits),
       sum(refunds_minor), sum(priced_refunds), sum(replacements), sum(unpriced)
FROM review_money_days WHERE day >= :since AND day <= :until{only}
GROUP BY category, currency ORDER BY category, currency"""


def recovery_money(db: Database, period: Period,
                   policy_id: int | None = None) -> dict[str, tuple[dict[str, float], bool, int]]:
    """Category → (currency → amount in major units, estimated, unpriced);
    with ``policy_id``, only the resolutions under a version of that policy
    (its review pack). Read from the per-day sums: a quarter is ~90 days of
    a few rows, not ~236,000 resolutions joined to their subscriptions."""
    only = ("" if policy_id is None else
            " AND policy_version_id IN (SELECT id FROM policy_versions WHERE policy_id = :policy)")
    set_costs = costs.replacement_costs(db)
    minor: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    estimated: dict[str, bool] = defaultdict(bool)
    unpriced: dict[str, int] = defaultdict(int)
    replaced: dict[str, int] = defaultdict(int)
    since, until = _days(period)
    for category, currency, resolutions, priced, percent, credits, refunds, priced_refunds, replacements, \
            not_priced in db.tuples(MONEY_SQL.format(only=only), {"since": since, "until": until, "policy": policy_id}):
        if resolutions > 0:
            minor[category]  # a category with such resolutions is listed, priced or not
        if priced > 0:
            minor[category][currency] += percent + credits * 10 ** money.exponent(currency) + refunds
        if priced_refunds > 0:
            estimated[category] = True
        if not_priced:
            unpriced[category] += not_priced
        replaced[category] += replacements
    for category, replacements in replaced.items():
        if replacements > 0:
            cost = set_costs.get(category)
            if cost is not None:
                minor[category][cost.currency] += cost.minor * replacements
                estimated[category] = True
            else:
                unpriced[category] += replacements
    return {category: ({c: money.from_minor(round(m), c) for c, m in sorted(minor[category].items())},
                       estimated[category], unpriced[category])
            for category in set(minor) | set(unpriced)}


def skipped_steps(db: Database, period: Period) -> list[SkippedStep]:
    return [SkippedStep(*r) for r in db.tuples(SKIPPED_SQL, _days(period))]
