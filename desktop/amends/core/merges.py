"""Merging tickets: the same customer wrote twice about one problem.

The source's messages, open follow-ups and tags move to the target, where
the conversation reads in time order (messages are always shown by their
time). The source ticket stays, with ``merged_into`` pointing at the
target, so both references keep working (search ``#123``, imports by
external id) and the views simply leave it out. A merge row records exactly
what moved, so :meth:`MergeEdit.undo` puts it back; both tickets get an
audit entry each way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from amends.core import clock, tickets
from amends.core.audit import record
from amends.core.errors import ConflictError, NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id


@dataclass(frozen=True)
class MergeEdit:
    """A merge (``undone=False``) or its undoing; ``undo`` gives the other."""

    merge_id: int
    source_id: int
    target_id: int
    undone: bool = False
    skipped: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return f"merge #{self.source_id} into #{self.target_id}"

    def undo(self, db: Database) -> MergeEdit:
        if self.undone:
            return merge(db, self.source_id, self.target_id)
        return unmerge(db, self.merge_id)


def merge(db: Database, source_id: int, target_id: int) -> MergeEdit:
    if source_id == target_id:
        raise ValidationError([("merge", "a ticket cannot be merged into itself")])
    now = clock.now_iso()
    with db.transaction() as conn:
        rows = {r["id"]: r for r in conn.execute(
            "SELECT id, status, merged_into, customer_id FROM tickets WHERE id IN (?, ?)", (source_id, target_id))}
        for tid in (source_id, target_id):
            if tid not in rows:
                raise NotFound(f"Ticket {tid} does not exist.")
            if rows[tid]["merged_into"] is not None:
                raise ConflictError("Ticket", tid, message=f"Ticket #{tid} was already merged into "
                                                          f"#{rows[tid]['merged_into']}.")
        messages = [r[0] for r in conn.execute("SELECT id FROM messages WHERE ticket_id = ?", (source_id,))]
        followups = [r[0] for r in conn.execute(
            "SELECT id FROM followups WHERE ticket_id = ? AND done_at IS NULL", (source_id,))]
        tags = [r[0] for r in conn.execute(
            "SELECT tag_id FROM ticket_tags WHERE ticket_id = ? AND tag_id NOT IN "
            "(SELECT tag_id FROM ticket_tags WHERE ticket_id = ?)", (source_id, target_id))]
        conn.execute("UPDATE messages SET ticket_id = ? WHERE ticket_id = ?", (target_id, source_id))
        conn.executemany("UPDATE followups SET ticket_id = ? WHERE id = ?", [(target_id, f) for f in followups])
        conn.executemany("INSERT INTO ticket_tags (ticket_id, tag_id) VALUES (?, ?)", [(target_id, t) for t in tags])
        conn.execute("UPDATE tickets SET merged_into = ?, version = version + 1 WHERE id = ?", (target_id, source_id))
        conn.execute("UPDATE tickets SET updated_at = max(updated_at, ?), version = version + 1 WHERE id = ?",
                     (now, target_id))
        moved = {"messages": messages, "followups": followups, "tags": tags}
        merge_id = inserted_id(conn.execute(
            "INSERT INTO merges (source_id, target_id, moved, source_status, merged_at, merged_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (source_id, target_id, json.dumps(moved), rows[source_id]["status"], now, db.actor)))
        tickets.reindex(conn, source_id)
        tickets.reindex(conn, target_id)
        record(conn, db.actor, "ticket", source_id, "merge", {"into": target_id, "messages": len(messages)}, at=now)
        record(conn, db.actor, "ticket", target_id, "merge", {"from": source_id, "messages": len(messages)}, at=now)
    return MergeEdit(merge_id, source_id, target_id)


def unmerge(db: Database, merge_id: int) -> MergeEdit:
    """Take a merge back: what moved goes back (messages that arrived on the
    target since stay there)."""
    now = clock.now_iso()
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM merges WHERE id = ?", (merge_id,)).fetchone()
        if row is None:
            raise NotFound(f"Merge {merge_id} does not exist.")
        if row["undone_at"] is not None:
            raise ConflictError("Merge", merge_id, message=f"That merge was already undone on {row['undone_at']}.")
        source_id, target_id = row["source_id"], row["target_id"]
        moved = json.loads(row["moved"])
        conn.executemany("UPDATE messages SET ticket_id = ? WHERE id = ? AND ticket_id = ?",
                         [(source_id, m, target_id) for m in moved["messages"]])
        conn.executemany("UPDATE followups SET ticket_id = ? WHERE id = ? AND ticket_id = ?",
                         [(source_id, f, target_id) for f in moved["followups"]])
        conn.executemany("DELETE FROM ticket_tags WHERE ticket_id = ? AND tag_id = ?",
                         [(target_id, t) for t in moved["tags"]])
        conn.execute("UPDATE tickets SET merged_into = NULL, version = version + 1 WHERE id = ?", (source_id,))
        conn.execute("UPDATE tickets SET version = version + 1 WHERE id = ?", (target_id,))
        conn.execute("UPDATE merges SET undone_at = ? WHERE id = ?", (now, merge_id))
        tickets.reindex(conn, source_id)
        tickets.reindex(conn, target_id)
        record(conn, db.actor, "ticket", source_id, "unmerge", {"from": target_id}, at=now)
        record(conn, db.actor, "ticket", target_id, "unmerge", {"returned": source_id}, at=now)
    return MergeEdit(merge_id, source_id, target_id, undone=True)


def merged_from(db: Database, ticket_id: int) -> list[int]:
    """Tickets merged into this one (the ticket view names them)."""
    return [r[0] for r in db.tuples("SELECT id FROM tickets WHERE merged_into = ? ORDER BY id", (ticket_id,))]


def candidates(db: Database, ticket_id: int, limit: int = 30) -> list[tickets.TicketRow]:
    """Tickets this one could be merged into: the same customer's other
    tickets that are not merged themselves, newest first."""
    owner = db.scalar("SELECT customer_id FROM tickets WHERE id = ?", (ticket_id,))
    if owner is None:
        return []
    ids = [r[0] for r in db.tuples(
        "SELECT id FROM tickets WHERE customer_id = ? AND id <> ? AND merged_into IS NULL "
        "ORDER BY created_at DESC LIMIT ?", (owner, ticket_id, limit))]
    return [row for row in (tickets.row(db, tid) for tid in ids) if row is not None]
