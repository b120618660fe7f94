"""What a policy review decided: keep, change (the editor opens on its
draft) or retire (it matches no new ticket until published again). Every
decision has a note and names the quarter reviewed; it also counts as a
review (policy_reviews, the review cadence restarts)."""

from __future__ import annotations

from dataclasses import dataclass

from amends.core import audit, clock
from amends.core.errors import NotFound, ValidationError
from amends.core.insights.period import Period
from amends.core.store import Database
from amends.core.store.rowids import inserted_id

DECISIONS = {"keep": "Keep", "change": "Change", "retire": "Retire"}


@dataclass(frozen=True)
class Decision:
    id: int
    policy_id: int
    decision: str
    note: str
    period_since: str
    period_until: str
    decided_at: str
    decided_by: str

    def label(self) -> str:
        return f"{DECISIONS[self.decision]} ({self.period_since} – {self.period_until}): {self.note}"


def decide(db: Database, policy_id: int, decision: str, note: str, period: Period, *,
           at: str | None = None) -> Decision:
    """Record the decision in one transaction (with its review and audit
    entry; 'retire' also retires the policy)."""
    problems = []
    if decision not in DECISIONS:
        problems.append(("decision", f"one of {', '.join(DECISIONS)}, not {decision!r}"))
    if not note.strip():
        problems.append(("note", "say why"))
    if problems:
        raise ValidationError(problems)
    at = at or clock.now_iso()
    with db.transaction() as conn:
        if conn.execute("SELECT 1 FROM policies WHERE id = ?", (policy_id,)).fetchone() is None:
            raise NotFound(f"Policy {policy_id} does not exist.")
        decision_id = inserted_id(conn.execute(
            "INSERT INTO policy_decisions (policy_id, decision, note, period_since, period_until, decided_at, "
            "decided_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (policy_id, decision, note.strip(), period.since.isoformat(), period.until.isoformat(), at, db.actor)))
        conn.execute("INSERT INTO policy_reviews (policy_id, reviewed_at, reviewed_by, note) VALUES (?, ?, ?, ?)",
                     (policy_id, at, db.actor, f"{DECISIONS[decision]}: {note.strip()}"))
        conn.execute("UPDATE policies SET last_reviewed_at = ? WHERE id = ?", (at, policy_id))
        if decision == "retire":
            conn.execute("UPDATE policies SET retired_at = ?, version = version + 1 WHERE id = ?", (at, policy_id))
        audit.record(conn, db.actor, "policy", policy_id, "decision",
                     {"decision_id": decision_id, "decision": decision, "note": note.strip(),
                      "period": period.as_dict()}, at=at)
    return next(d for d in decisions(db, policy_id) if d.id == decision_id)


def decisions(db: Database, policy_id: int) -> list[Decision]:
    """The policy's decisions, newest first."""
    return [Decision(*r) for r in db.tuples(
        "SELECT id, policy_id, decision, note, period_since, period_until, decided_at, decided_by "
        "FROM policy_decisions WHERE policy_id = ? ORDER BY decided_at DESC, id DESC", (policy_id,))]


def reviewed_in(db: Database, period: Period) -> list[int]:
    """Policies with a decision for this period (its quarter overlaps it) or
    decided during it: the ones the quarterly report gives a page."""
    return [r[0] for r in db.tuples(
        "SELECT DISTINCT policy_id FROM policy_decisions WHERE (period_since <= ? AND period_until >= ?) "
        "OR (decided_at >= ? AND decided_at < ?) ORDER BY policy_id",
        (period.until.isoformat(), period.since.isoformat(), period.start, period.end))]
