"""Who counts as an active subscriber in a window."""

from __future__ import annotations

from amends.core.store import Database


def active_in(db: Database, start: str, end: str) -> int:
    """Customers with a subscription that existed during [start, end):
    started before the end and not cancelled before the start. Paused ones
    count (they have not left). Two boxes are one subscriber."""
    return db.scalar("SELECT count(DISTINCT customer_id) FROM subscriptions WHERE started_at < ? "
                     "AND (cancelled_at IS NULL OR cancelled_at >= ?)", (end, start))
