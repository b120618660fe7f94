"""One inbox line (:class:`TicketRow`) and the SQL that reads it: the row
of every page, count re-check and refresh, so one statement shape and one
maker serve them all.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from amends.core import clock
from amends.core.store import Database


class TicketRow(NamedTuple):
    """One inbox line: just what the table shows. A named tuple, not a
    dataclass: a page builds a hundred of them, and a frozen dataclass's
    field-by-field init was half the cost of a page (benchmarks)."""

    id: int
    subject: str
    status: str
    category: str
    priority: int
    assignee: str | None
    customer: str
    created_at: str
    updated_at: str
    billing_cycle: int | None
    due_at: str | None = None
    snoozed_until: str | None = None
    #: Since when the customer waits for us (None: nobody waits); see schema V4.
    waiting_since: str | None = None
    #: Our first reply (None: the first-reply target applies, else the next-reply one).
    replied_at: str | None = None
    #: A customer message came in since I last read the ticket (bold in the list).
    unread: bool = False
    #: A check-in on it is due (badge in the list; resolved ones also show in Active).
    checkin_due: bool = False


ROW_SQL = """SELECT t.id, t.subject, t.status, t.category, t.priority, t.assignee,
       coalesce(nullif(c.name, ''), c.email, '') AS customer,
       t.created_at, t.updated_at, t.billing_cycle, {due} AS due_at, t.snoozed_until,
       t.waiting_since, t.replied_at,
       (t.last_in_at IS NOT NULL AND t.last_in_at > coalesce(
           (SELECT rm.read_at FROM read_marks rm WHERE rm.actor = ? AND rm.ticket_id = t.id), '')) AS unread,
       EXISTS (SELECT 1 FROM followups fu WHERE fu.ticket_id = t.id AND fu.done_at IS NULL AND fu.due_at <= ?)
FROM {source}
LEFT JOIN customers c ON c.id = t.customer_id"""


def row(db: Database, ticket_id: int) -> TicketRow | None:
    """One inbox line, fresh from the database (the model refreshes with it)."""
    found = db.tuples(ROW_SQL.format(due="NULL", source="tickets t") + "\nWHERE t.id = ?",
                      (db.actor, clock.now_iso(), ticket_id))
    return make_row(found[0]) if found else None


def rows(db: Database, ticket_ids: list[int]) -> dict[int, TicketRow]:
    """Inbox lines of many tickets in one query, by id (missing ids are
    absent). The inbox model keeps only ids of the rows scrolled past and
    reads a block of lines back with this when it is painted again."""
    found = db.tuples(ROW_SQL.format(due="NULL", source="tickets t") +
                      "\nWHERE t.id IN (SELECT value FROM json_each(?))",
                      (db.actor, clock.now_iso(), json.dumps(list(ticket_ids))))
    return {values[0]: make_row(values) for values in found}


def make_row(values: tuple[Any, ...]) -> TicketRow:
    """The line from a row of :data:`ROW_SQL` (SQLite gives its two flags as 0/1)."""
    return TicketRow._make((*values[:-2], bool(values[-2]), bool(values[-1])))


def waited(row: TicketRow, now: str | None = None) -> float | None:
    """Seconds the customer has waited (None: nobody waits), in clock time:
    what the customer lived through (targets count business time)."""
    if row.waiting_since is None:
        return None
    moment = clock.parse_iso(now) if now else clock.now()
    return max(0.0, (moment - clock.parse_iso(row.waiting_since)).total_seconds())

