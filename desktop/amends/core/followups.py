"""Follow-ups: timed checklist steps (check-ins) that come back to the inbox
when due. The inbox's "Due follow-ups" view pages through them
(:func:`amends.core.tickets.page` with ``view='due_followups'``)."""

from __future__ import annotations

from dataclasses import dataclass

from amends.core import audit, clock
from amends.core.errors import ConflictError, NotFound
from amends.core.store import Database


@dataclass(frozen=True)
class FollowUp:
    id: int
    ticket_id: int
    kind: str
    note: str
    due_at: str
    done_at: str | None
    done_by: str | None


def _followup(r) -> FollowUp:
    return FollowUp(r["id"], r["ticket_id"], r["kind"], r["note"], r["due_at"], r["done_at"], r["done_by"])


def for_ticket(db: Database, ticket_id: int) -> list[FollowUp]:
    return [_followup(r) for r in db.query(
        "SELECT * FROM followups WHERE ticket_id = ? ORDER BY due_at", (ticket_id,))]


def due_count(db: Database, now: str | None = None) -> int:
    return db.scalar("SELECT count(*) FROM followups WHERE done_at IS NULL AND due_at <= ?",
                     (now or clock.now_iso(),))


def complete(db: Database, followup_id: int, *, at: str | None = None) -> None:
    """Mark a follow-up done (the check-in happened)."""
    at = at or clock.now_iso()
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM followups WHERE id = ?", (followup_id,)).fetchone()
        if row is None:
            raise NotFound(f"Follow-up {followup_id} does not exist.")
        if row["done_at"] is not None:
            raise ConflictError("Follow-up", followup_id, by=row["done_by"],
                                message=f"This follow-up was already done by {row['done_by']}.")
        conn.execute("UPDATE followups SET done_at = ?, done_by = ? WHERE id = ?", (at, db.actor, followup_id))
        audit.record(conn, db.actor, "ticket", row["ticket_id"], "followup_done",
                     {"followup_id": followup_id, "note": row["note"]}, at=at)


def became_due(db: Database, since: str, now: str | None = None, limit: int = 20) -> list[FollowUp]:
    """Open follow-ups that fell due after ``since`` and by ``now``, oldest
    first: what a desktop notification announces (read from the partial index)."""
    return [_followup(r) for r in db.query(
        "SELECT * FROM followups WHERE done_at IS NULL AND due_at > ? AND due_at <= ? ORDER BY due_at LIMIT ?",
        (since, now or clock.now_iso(), limit))]
