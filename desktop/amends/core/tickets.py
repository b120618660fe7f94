"""Tickets and their conversations: creating, reading, editing.

The full-text index is written in the same transaction as the ticket or
message it indexes. This module is also the inbox's facade: the inbox's
query (:mod:`amends.core.inbox_query`), search (:mod:`amends.core.inbox_search`),
lines (:mod:`amends.core.inbox_rows`) and keyset pages
(:mod:`amends.core.inbox_pages`) live in their own modules and are
re-exported here, so ``tickets.page`` / ``tickets.InboxQuery`` keep working.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from amends.core import clock
from amends.core.errors import Change, ConflictError, NotFound, ValidationError
from amends.core.inbox_pages import PAGE_SIZE as PAGE_SIZE
from amends.core.inbox_pages import count as count
from amends.core.inbox_pages import due_checkins as due_checkins
from amends.core.inbox_pages import listed as listed
from amends.core.inbox_pages import page as page
from amends.core.inbox_query import ASCENDING as ASCENDING
from amends.core.inbox_query import SORTS as SORTS
from amends.core.inbox_query import STATUS_FILTERS as STATUS_FILTERS
from amends.core.inbox_query import UNASSIGNED as UNASSIGNED
from amends.core.inbox_query import VIEWS as VIEWS
from amends.core.inbox_query import WAITING_KEY as WAITING_KEY
from amends.core.inbox_query import InboxQuery as InboxQuery
from amends.core.inbox_rows import TicketRow as TicketRow
from amends.core.inbox_rows import row as row
from amends.core.inbox_rows import rows as rows
from amends.core.inbox_rows import waited as waited
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import CATEGORIES, MESSAGE_DIRECTIONS, PRIORITIES, STATUSES


@dataclass(frozen=True)
class Message:
    id: int
    ticket_id: int
    direction: str
    author: str
    created_at: str
    body: str
    flag: str | None = None  # 'thanks': a thank-you that did not reopen the ticket
    html: str | None = None  # sanitised HTML of a mail (desktop/amends/core/safe_html.py)


@dataclass
class Ticket:
    id: int
    ref: str | None
    subject: str
    status: str
    category: str
    priority: int
    assignee: str | None
    customer_id: int | None
    created_at: str
    updated_at: str
    resolved_at: str | None
    billing_cycle: int | None
    version: int
    messages: list[Message] = field(default_factory=list)
    snoozed_until: str | None = None
    merged_into: int | None = None

    EDITABLE = ("subject", "status", "category", "priority", "assignee")


def mark_read(db: Database, ticket_id: int, *, at: str | None = None) -> None:
    """Note that I have read the ticket now: it stops being bold for me (and
    only for me) until the customer writes again. Not audited: reading
    changes nothing anyone needs to trace."""
    with db.transaction() as conn:
        conn.execute("INSERT INTO read_marks (actor, ticket_id, read_at) VALUES (?, ?, ?) ON CONFLICT(actor, "
                     "ticket_id) DO UPDATE SET read_at = excluded.read_at", (db.actor, ticket_id, at or clock.now_iso()))


def get(db: Database, ticket_id: int, *, with_messages: bool = True) -> Ticket:
    r = db.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if r is None:
        raise NotFound(f"Ticket {ticket_id} does not exist.")
    ticket = Ticket(r["id"], r["ref"], r["subject"], r["status"], r["category"], r["priority"],
                    r["assignee"], r["customer_id"], r["created_at"], r["updated_at"],
                    r["resolved_at"], r["billing_cycle"], r["version"],
                    snoozed_until=r["snoozed_until"], merged_into=r["merged_into"])
    if with_messages:
        ticket.messages = messages(db, ticket_id)
    return ticket


def _message_maker() -> Any:
    """Messages made from a row of their fields in order without the frozen
    dataclass's __init__ (one guarded setattr per field): the same objects
    (frozen, equal, replaceable) in half the time; a long ticket's 50 were a
    fifth of what opening it costs beyond its SQL (issue 16)."""
    names, new = tuple(f.name for f in fields(Message)), object.__new__

    def make(values: tuple) -> Message:
        message = new(Message)
        message.__dict__.update(zip(names, values))
        return message
    return make


_make_message = _message_maker()


def messages(db: Database, ticket_id: int) -> list[Message]:
    """The conversation, oldest first. Plain tuples, not sqlite3.Row: a long
    ticket's messages are the biggest read of opening it (issue 16)."""
    return [_make_message(r) for r in db.tuples(
        "SELECT id, ticket_id, direction, author, created_at, body, flag, html FROM messages "
        "WHERE ticket_id = ? ORDER BY created_at, id", (ticket_id,))]


def _check_fields(changes: dict[str, Any]) -> None:
    problems = []
    for name, value in changes.items():
        if name not in Ticket.EDITABLE:
            problems.append((name, "cannot be edited"))
        elif name == "subject" and not str(value or "").strip():
            problems.append((name, "must not be empty"))
        elif name == "status" and value not in STATUSES:
            problems.append((name, f"must be one of {', '.join(STATUSES)}"))
        elif name == "category" and value not in CATEGORIES:
            problems.append((name, f"must be one of {', '.join(CATEGORIES)}"))
        elif name == "priority" and value not in PRIORITIES:
            problems.append((name, f"must be one of {', '.join(map(str, PRIORITIES))}"))
    if problems:
        raise ValidationError(problems)


def create(db: Database, subject: str, body: str = "", *, customer_id: int | None = None,
           category: str = "other", priority: int = 1, assignee: str | None = None,
           ref: str | None = None, author: str | None = None, created_at: str | None = None) -> int:
    """Open a ticket with its first inbound message, computing the customer's
    billing cycle at the moment it was opened."""
    from amends.core import audit  # (writing only: not imported at start, issue 16)

    _check_fields({"subject": subject, "category": category, "priority": priority})
    at = created_at or clock.now_iso()
    cycle = None
    if customer_id is not None:
        from amends.core import customers  # (not imported by the app's start: its first page needs none of it)

        sub = customers.subscription_at(db, customer_id, at)
        if sub is not None:
            cycle = sub.cycle_at(clock.parse_iso(at))
    with db.transaction() as conn:
        ticket_id = inserted_id(conn.execute(
            "INSERT INTO tickets (ref, customer_id, subject, category, priority, assignee, "
            "created_at, updated_at, billing_cycle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ref, customer_id, subject.strip(), category, priority, assignee, at, at, cycle)))
        conn.execute("INSERT INTO ticket_search (rowid, subject, body) VALUES (?, ?, ?)",
                     (ticket_id, subject, body))
        if customer_id is not None:
            note_first_ticket(conn, customer_id, ticket_id, at)
        if body:
            conn.execute("INSERT INTO messages (ticket_id, direction, author, created_at, body) "
                         "VALUES (?, 'in', ?, ?, ?)", (ticket_id, author or "customer", at, body))
        audit.record(conn, db.actor, "ticket", ticket_id, "create",
                     {"subject": subject, "category": category}, at=at)
    return ticket_id


def note_first_ticket(conn, customer_id: int, ticket_id: int, at: str) -> None:
    """Keep ``customers.first_ticket_*`` pointing at their earliest ticket
    (imports may bring older tickets later)."""
    conn.execute("UPDATE customers SET first_ticket_at = ?, first_ticket_id = ? WHERE id = ? AND "
                 "(first_ticket_at IS NULL OR first_ticket_at > ?)", (at, ticket_id, customer_id, at))


def update(db: Database, ticket_id: int, expected_version: int, **changes: Any) -> int:
    """Change ticket fields if nobody else has since ``expected_version``.

    Returns the new version. Raises :class:`ConflictError` naming what the
    other person changed; nothing is written then.
    """
    from amends.core import audit  # (writing only: not imported at start, issue 16)

    _check_fields(changes)
    if "subject" in changes:
        changes["subject"] = str(changes["subject"]).strip()
    now = clock.now_iso()
    with db.transaction() as conn:
        current = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if current is None:
            raise NotFound(f"Ticket {ticket_id} does not exist.")
        if current["version"] != expected_version:
            raise conflict_for(conn, ticket_id, expected_version, current)
        before = {k: current[k] for k in changes}
        real = {k: v for k, v in changes.items() if current[k] != v}
        if not real:
            return current["version"]
        sets = [f"{k} = ?" for k in real] + ["updated_at = ?", "version = version + 1"]
        params: list[Any] = [*real.values(), now]
        if real.get("status") == "resolved":
            sets.append("resolved_at = ?")
            params.append(now)
        elif "status" in real and current["status"] == "resolved":
            sets.append("resolved_at = NULL")
        conn.execute(f"UPDATE tickets SET {', '.join(sets)} WHERE id = ?", [*params, ticket_id])
        if "subject" in real:
            conn.execute("UPDATE ticket_search SET subject = ? WHERE rowid = ?", (real["subject"], ticket_id))
        audit.record(conn, db.actor, "ticket", ticket_id, "update",
                     {"before": {k: before[k] for k in real}, "after": real}, at=now)
        return current["version"] + 1


def take(db: Database, ticket_id: int) -> int:
    """Assign the ticket to me, atomically: when two people take it at once,
    one wins and the other gets :class:`ConflictError` naming who has it.
    Returns the new version."""
    from amends.core import audit  # (writing only: not imported at start, issue 16)

    now = clock.now_iso()
    with db.transaction() as conn:
        row = conn.execute("SELECT assignee, version FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise NotFound(f"Ticket {ticket_id} does not exist.")
        if row["assignee"] == db.actor:
            return row["version"]
        if row["assignee"] is not None:
            raise ConflictError("Ticket", ticket_id, by=row["assignee"],
                                message=f"{row['assignee']} has already taken ticket {ticket_id}.")
        conn.execute("UPDATE tickets SET assignee = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                     (db.actor, now, ticket_id))
        audit.record(conn, db.actor, "ticket", ticket_id, "take",
                     {"before": {"assignee": None}, "after": {"assignee": db.actor}}, at=now)
        return row["version"] + 1


def conflict_for(conn, ticket_id: int, expected_version: int, current) -> ConflictError:
    """Build the conflict: who changed the ticket since our version, and what."""
    rows = conn.execute(
        "SELECT actor, change FROM audit_log WHERE entity = 'ticket' AND entity_id = ? "
        "AND action IN ('update', 'undo', 'resolve', 'take') ORDER BY id DESC LIMIT ?",
        (ticket_id, max(1, current["version"] - expected_version))).fetchall()
    changes: dict[str, Change] = {}
    by = rows[0]["actor"] if rows else None
    for r in reversed(rows):
        data = json.loads(r["change"] or "{}")
        for name, value in (data.get("after") or {}).items():
            mine = (data.get("before") or {}).get(name)
            if name in changes:
                mine = changes[name].mine
            changes[name] = Change(name, mine, value)
    return ConflictError("Ticket", ticket_id, by=by, changes=list(changes.values()))


def add_message(db: Database, ticket_id: int, direction: str, body: str,
                author: str | None = None, *, at: str | None = None) -> int:
    """Store a reply, an internal note or an inbound message, and index it."""
    from amends.core import audit  # (writing only: not imported at start, issue 16)

    if direction not in MESSAGE_DIRECTIONS:
        raise ValidationError([("direction", f"must be one of {', '.join(MESSAGE_DIRECTIONS)}")])
    if not body.strip():
        raise ValidationError([("body", "a message needs some text")])
    at = at or clock.now_iso()
    with db.transaction() as conn:
        if conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone() is None:
            raise NotFound(f"Ticket {ticket_id} does not exist.")
        message_id = inserted_id(conn.execute(
            "INSERT INTO messages (ticket_id, direction, author, created_at, body) VALUES (?, ?, ?, ?, ?)",
            (ticket_id, direction, author or db.actor, at, body)))
        conn.execute("UPDATE ticket_search SET body = body || char(10) || ? WHERE rowid = ?",
                     (body, ticket_id))
        # The customer wrote: a snoozed ticket comes back now.
        conn.execute("UPDATE tickets SET updated_at = ?" + (", snoozed_until = NULL" if direction == "in" else "")
                     + " WHERE id = ?", (at, ticket_id))
        audit.record(conn, db.actor, "ticket", ticket_id,
                     {"in": "message", "out": "reply", "note": "note"}[direction],
                     {"message_id": message_id}, at=at)
    return message_id


def reindex(conn, ticket_id: int) -> None:
    """Rewrite a ticket's search document from its subject and messages
    (after an import appends messages, or a merge moves them)."""
    conn.execute("DELETE FROM ticket_search WHERE rowid = ?", (ticket_id,))
    conn.execute("""INSERT INTO ticket_search (rowid, subject, body) SELECT id, subject,
                    coalesce((SELECT group_concat(body, char(10)) FROM
                              (SELECT body FROM messages WHERE ticket_id = ? ORDER BY created_at, id)), '')
                    FROM tickets WHERE id = ?""", (ticket_id, ticket_id))


def assignees(db: Database) -> list[str]:
    """Everyone who has tickets assigned, for the filter (uses the index)."""
    # A loose index scan: one index seek per distinct name instead of
    # reading a million index entries for DISTINCT.
    return [r[0] for r in db.query(
        """WITH RECURSIVE names(name) AS (
               SELECT min(assignee) FROM tickets
               UNION ALL
               SELECT (SELECT min(assignee) FROM tickets WHERE assignee > name)
               FROM names WHERE name IS NOT NULL)
           SELECT name FROM names WHERE name IS NOT NULL""")]



def latest_id(db: Database) -> int:
    return db.scalar("SELECT coalesce(max(id), 0) FROM tickets")


def newer_than(db: Database, ticket_id: int, cap: int = 999) -> int:
    """How many tickets arrived after ``ticket_id`` (the tray's "new"), capped."""
    return db.scalar("SELECT count(*) FROM (SELECT 1 FROM tickets WHERE id > ? AND merged_into IS NULL LIMIT ?)",
                     (ticket_id, cap + 1))
