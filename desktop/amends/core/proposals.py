"""Proposals: a person working tickets says "the policy should change", with
the tickets that show why. Relations decides: accept (a draft of the policy
concerned is opened) or decline (with a reason)."""

from __future__ import annotations

from dataclasses import dataclass, field

from amends.core import audit, clock, policies
from amends.core.errors import ConflictError, NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import CATEGORIES


@dataclass
class Proposal:
    id: int
    text: str
    category: str | None
    policy_id: int | None
    status: str
    created_at: str
    created_by: str
    decided_at: str | None
    decided_by: str | None
    decline_reason: str | None
    version: int
    ticket_ids: list[int] = field(default_factory=list)


def _proposal(db: Database, row) -> Proposal:
    ids = [r[0] for r in db.query("SELECT ticket_id FROM proposal_tickets WHERE proposal_id = ? ORDER BY ticket_id",
                                  (row["id"],))]
    return Proposal(row["id"], row["text"], row["category"], row["policy_id"], row["status"], row["created_at"],
                    row["created_by"], row["decided_at"], row["decided_by"], row["decline_reason"],
                    row["version"], ids)


def file(db: Database, text: str, ticket_ids: list[int], *, category: str | None = None,
         policy_id: int | None = None) -> int:
    """File a proposal linked to tickets. Without a category, the tickets'
    category is used when they agree."""
    if not text.strip():
        raise ValidationError([("text", "say what should change")])
    if category is not None and category not in CATEGORIES:
        raise ValidationError([("category", f"unknown category {category!r}")])
    ids = sorted(set(ticket_ids))
    now = clock.now_iso()
    with db.transaction() as conn:
        found = [r[0] for r in conn.execute(
            f"SELECT category FROM tickets WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()] if ids else []
        if len(found) != len(ids):
            raise NotFound("Some of the linked tickets do not exist any more.")
        if category is None and found and len(set(found)) == 1:
            category = found[0]
        if policy_id is None and category is not None:
            row = conn.execute("SELECT id FROM policies WHERE category = ? ORDER BY segment = 'any' DESC, id "
                               "LIMIT 1", (category,)).fetchone()
            policy_id = row[0] if row else None
        proposal_id = inserted_id(conn.execute(
            "INSERT INTO proposals (text, category, policy_id, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            (text.strip(), category, policy_id, now, db.actor)))
        conn.executemany("INSERT INTO proposal_tickets (proposal_id, ticket_id) VALUES (?, ?)",
                         [(proposal_id, t) for t in ids])
        audit.record(conn, db.actor, "proposal", proposal_id, "file",
                     {"text": text.strip(), "tickets": ids, "category": category}, at=now)
        for ticket_id in ids:
            audit.record(conn, db.actor, "ticket", ticket_id, "proposal", {"proposal_id": proposal_id}, at=now)
    return proposal_id


def get(db: Database, proposal_id: int) -> Proposal:
    row = db.one("SELECT * FROM proposals WHERE id = ?", (proposal_id,))
    if row is None:
        raise NotFound(f"Proposal {proposal_id} does not exist.")
    return _proposal(db, row)


def list_proposals(db: Database, status: str | None = "open") -> list[Proposal]:
    rows = db.query("SELECT * FROM proposals" + (" WHERE status = ?" if status else "") +
                    " ORDER BY created_at DESC, id DESC", (status,) if status else ())
    return [_proposal(db, r) for r in rows]


def for_ticket(db: Database, ticket_id: int) -> list[Proposal]:
    rows = db.query("SELECT p.* FROM proposals p JOIN proposal_tickets pt ON pt.proposal_id = p.id "
                    "WHERE pt.ticket_id = ? ORDER BY p.created_at DESC", (ticket_id,))
    return [_proposal(db, r) for r in rows]


def _decide(db: Database, proposal_id: int, expected_version: int, status: str, reason: str | None):
    now = clock.now_iso()
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
        if row is None:
            raise NotFound(f"Proposal {proposal_id} does not exist.")
        if row["version"] != expected_version or row["status"] != "open":
            raise ConflictError("Proposal", proposal_id, by=row["decided_by"],
                                message=f"Proposal {proposal_id} was already {row['status']} by {row['decided_by']}.")
        conn.execute("UPDATE proposals SET status = ?, decided_at = ?, decided_by = ?, decline_reason = ?, "
                     "version = version + 1 WHERE id = ?", (status, now, db.actor, reason, proposal_id))
        audit.record(conn, db.actor, "proposal", proposal_id, status, {"reason": reason}, at=now)
        return row


def accept(db: Database, proposal_id: int, expected_version: int) -> int | None:
    """Accept: returns the policy whose draft should be opened (a new draft
    policy for the category when none exists), or None without a category."""
    with db.transaction():
        row = _decide(db, proposal_id, expected_version, "accepted", None)
        policy_id = row["policy_id"]
        if policy_id is None and row["category"] is not None:
            policy_id = policies.create(db, f"Proposal #{proposal_id}", row["category"], "any")
            db.conn.execute("UPDATE proposals SET policy_id = ? WHERE id = ?", (policy_id, proposal_id))
    return policy_id


def decline(db: Database, proposal_id: int, expected_version: int, reason: str) -> None:
    if not reason.strip():
        raise ValidationError([("reason", "say why the proposal is declined")])
    _decide(db, proposal_id, expected_version, "declined", reason.strip())
