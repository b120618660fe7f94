"""The platforms' subscription statuses, in Amends' three (active, paused,
cancelled). The platform's own word is kept next to ours
(``subscriptions.status_original``), so nothing is lost by the mapping.

Why these: a subscription is *active* while it still renews, even when a
payment is late (Stripe ``past_due``, Cratejoy ``past due``) or it is in a
trial; *paused* while it exists but does not charge (``paused``, ``unpaid``,
``incomplete`` — the first payment never went through —, Skio ``FAILED``);
*cancelled* once it has ended (``canceled``, ``expired``,
``incomplete_expired``). Churn counts only *cancelled* (docs/INSIGHTS.md).
"""

from __future__ import annotations

STATUSES: dict[str, str] = {
    "active": "active", "trialing": "active", "trial": "active", "past_due": "active", "renewing": "active",
    "paused": "paused", "unpaid": "paused", "incomplete": "paused", "failed": "paused", "on_hold": "paused",
    "canceled": "cancelled", "cancelled": "cancelled", "expired": "cancelled", "incomplete_expired": "cancelled",
    "ended": "cancelled",
}


def ours(word: str) -> str | None:
    """'past due', 'PAST_DUE', 'past-due' → 'active'; None when unknown."""
    key = "_".join(word.strip().lower().replace("-", " ").split())
    return STATUSES.get(key)


def known() -> str:
    return ", ".join(STATUSES)
