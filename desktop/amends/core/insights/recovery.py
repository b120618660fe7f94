"""Overdue follow-ups (as of now, whatever the period)."""

from __future__ import annotations

from amends.core import clock
from amends.core.store import Database


def followups_overdue(db: Database, now: str | None = None) -> int:
    """Check-ins not done whose due time has passed (as of now)."""
    return db.scalar("SELECT count(*) FROM followups WHERE done_at IS NULL AND due_at < ?",
                     (now or clock.now_iso(),))
