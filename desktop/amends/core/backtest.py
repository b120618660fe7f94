"""Backtest a draft policy: had it been in force for a period, which tickets
would it have covered, which of the offers made would it have allowed, and
what would the recovery have cost instead.

Covered: tickets opened in the period in the draft's category whose customer
was in the draft's segment (and plan) when the ticket was opened. Their
resolutions made in the period are compared with the draft: offers of the
draft's kind inside its bounds are "allowed"; the estimated offer under the
draft is each offer clamped into the draft's bounds (an offer of another
kind, or any offer when the draft has no save offer, counts as 0). Steps
given (replacements, refunds) are compared with what the draft requires.
"""

from __future__ import annotations

from amends.core import customers, policies
from amends.core.insights.period import Period
from amends.core.resolution import AT_RISK_TICKETS, AT_RISK_WINDOW_DAYS
from amends.core.store import Database

_SEGMENT_SQL = {
    "any": "1",
    "first_cycle": "t.billing_cycle = 1",
    "established": "t.billing_cycle >= 2",
    "at_risk": f"""(SELECT count(*) FROM tickets e WHERE e.customer_id = t.customer_id
                    AND e.created_at <= t.created_at
                    AND e.created_at > strftime('%Y-%m-%dT%H:%M:%SZ', t.created_at, '-{AT_RISK_WINDOW_DAYS} days'))
                   >= {AT_RISK_TICKETS}""",
}


def backtest(db: Database, policy_id: int, period: Period) -> dict:
    policy = policies.get(db, policy_id)
    steps = policy.draft
    offer_step = next((s for s in steps if s.type == "save_offer"), None)
    where = ["t.category = ?", "t.created_at >= ?", "t.created_at < ?", _SEGMENT_SQL[policy.segment]]
    params: list = [policy.category, period.start, period.end]
    plan_join = ""
    if policy.plan:
        plan_join = f"JOIN subscriptions s ON s.id = {customers.in_force_id('t.customer_id', 't.created_at')}"
        where.append("s.plan = ?")
        params.append(policy.plan)
    covered = f"SELECT t.id FROM tickets t {plan_join} WHERE {' AND '.join(where)}"
    tickets = db.scalar(f"SELECT count(*) FROM ({covered})", params)
    rows = db.tuples(
        f"""SELECT r.offer_kind, r.offer_value, r.replacements, r.refunds FROM resolutions r
            WHERE r.ticket_id IN ({covered}) AND r.resolved_at >= ? AND r.resolved_at < ?""",
        [*params, period.start, period.end])
    given = within = 0
    total_given = total_draft = 0.0
    replacements = refunds = 0
    for kind, value, replaced, refunded in rows:
        replacements += replaced
        refunds += refunded
        if value is None:
            continue
        given += 1
        total_given += value
        if offer_step is not None and kind == offer_step.offer_kind:
            clamped = min(max(value, offer_step.offer_min), offer_step.offer_max)
            within += clamped == value
            total_draft += clamped
    requires = {s.type for s in steps}
    return {
        "policy": {"id": policy.id, "name": policy.name, "category": policy.category, "segment": policy.segment,
                   "plan": policy.plan},
        "period": period.as_dict(),
        "tickets": tickets,
        "resolutions": len(rows),
        "offers": {"kind": offer_step.offer_kind if offer_step else None,
                   "min": offer_step.offer_min if offer_step else None,
                   "max": offer_step.offer_max if offer_step else None,
                   "given": given, "allowed": within, "not_allowed": given - within,
                   "total_given": round(total_given, 2), "total_under_draft": round(total_draft, 2),
                   "difference": round(total_draft - total_given, 2)},
        "replacements": {"given": replacements, "under_draft": len(rows) if "replacement" in requires else 0},
        "refunds": {"given": refunds, "under_draft": len(rows) if "refund" in requires else 0},
    }
