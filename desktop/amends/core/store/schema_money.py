"""SQL text of schema 7's money sums (V7RESOL in schema.py): the signed contributions of resolutions to
review_money_days, written once here for the upgrade's fill and each trigger (schema.py is long enough)."""

from __future__ import annotations


def money_rows(source: str, price: str, currency: str, sign: str, where: str) -> str:
    """V7RESOL: the signed money sums of the resolutions ``source`` joins, priced at ``price`` and
    ``currency`` (SQL expressions), grouped by the key of review_money_days (an upsert may touch a
    key once per statement on PostgreSQL). Exactly insights.resolutions' definition of the money:
    a finite percent offer is price x value / 100 and an account credit its value, when there is a
    currency (and, for a percent, a price); a refund is one cycle's price; everything else offered
    or refunded is unpriced; replacements are priced when read (their cost is a setting)."""
    cur = f"({currency} IS NOT NULL AND {currency} <> '')"
    priced = f"({price} IS NOT NULL AND {cur})"
    finite = "(r.offer_value IS NOT NULL AND abs(r.offer_value) <= 1.7976931348623157e308)"
    percent = f"({finite} AND coalesce(r.offer_kind, '') = 'percent_next_cycle' AND {priced})"
    credit = f"({finite} AND coalesce(r.offer_kind, '') = 'account_credit' AND {cur})"
    refund = f"(r.refunds > 0 AND {priced})"
    return f"""INSERT INTO review_money_days (day, category, policy_version_id, currency, resolutions, priced,
    percent_minor, credits, refunds_minor, priced_refunds, replacements, unpriced)
SELECT substr(r.resolved_at, 1, 10), r.category, coalesce(r.policy_version_id, 0),
    CASE WHEN {cur} THEN {currency} ELSE '' END, sum({sign}),
    sum({sign} * ((CASE WHEN {percent} OR {credit} THEN 1 ELSE 0 END) + (CASE WHEN {refund} THEN 1 ELSE 0 END))),
    sum({sign} * CASE WHEN {percent} THEN {price} * r.offer_value / 100 ELSE 0 END),
    sum({sign} * CASE WHEN {credit} THEN r.offer_value ELSE 0 END),
    sum({sign} * CASE WHEN {refund} THEN {price} * r.refunds ELSE 0 END),
    sum({sign} * CASE WHEN {refund} THEN 1 ELSE 0 END), sum({sign} * r.replacements),
    sum({sign} * ((CASE WHEN r.offer_value IS NOT NULL AND NOT ({percent} OR {credit}) THEN 1 ELSE 0 END)
                  + (CASE WHEN r.refunds > 0 AND NOT {priced} THEN r.refunds ELSE 0 END)))
FROM {source}
WHERE (r.offer_value IS NOT NULL OR r.replacements > 0 OR r.refunds > 0) AND {where}
GROUP BY substr(r.resolved_at, 1, 10), r.category, coalesce(r.policy_version_id, 0),
    CASE WHEN {cur} THEN {currency} ELSE '' END"""


MONEY_UPSERT = """
ON CONFLICT (day, category, policy_version_id, currency) DO UPDATE SET
    resolutions = review_money_days.resolutions + excluded.resolutions,
    priced = review_money_days.priced + excluded.priced,
    percent_minor = review_money_days.percent_minor + excluded.percent_minor,
    credits = review_money_days.credits + excluded.credits,
    refunds_minor = review_money_days.refunds_minor + excluded.refunds_minor,
    priced_refunds = review_money_days.priced_refunds + excluded.priced_refunds,
    replacements = review_money_days.replacements + excluded.replacements,
    unpriced = review_money_days.unpriced + excluded.unpriced"""
#: The tickets of the subscription being changed (a stamp is always one of its customer's subscriptions).
STAMPED = ("resolutions r JOIN tickets t ON t.id = r.ticket_id, (SELECT OLD.price_minor AS price, "
            "OLD.currency AS cur, -1 AS g UNION ALL SELECT {new_price}, {new_currency}, 1) m")
