"""The inbox's pages: keyset pagination (``WHERE (updated_at, id) < (?, ?)``
over an index), so page 1 and page 10,000 cost the same and nothing ever
loads every ticket; the capped count of a view; the re-check of rows on
screen; and the resolved tickets with a check-in due that Active lists on top.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from amends.core import clock
from amends.core.errors import ValidationError
from amends.core.inbox_query import ASCENDING, SORTS, WAITING_KEY, InboxQuery, filters
from amends.core.inbox_rows import ROW_SQL, TicketRow, make_row
from amends.core.inbox_search import terms
from amends.core.store import Database

PAGE_SIZE = 100


def page(db: Database, query: InboxQuery, after: tuple[Any, ...] | None = None,
         limit: int = PAGE_SIZE, *, now: str | None = None) -> tuple[list[TicketRow], tuple[Any, ...] | None]:
    """One page of the inbox and the cursor for the next (None at the end).

    Searching orders by recency through the FTS rowid (= ticket id, newest
    first): bm25 ranking on common words costs ~1 s on a million tickets.
    """
    query = query.validated()
    now = now or clock.now_iso()
    where, params, fts, fields = terms(db, query, now)
    due = "NULL"
    order: tuple[str, ...]  # ORDER BY columns
    keys: tuple[str, ...]  # the keyset: what the cursor holds
    if query.view == "due_followups":
        # Each ticket once, at its earliest open follow-up, read in due order
        # straight from the partial index (no grouping of every due row).
        source = "followups f JOIN tickets t ON t.id = f.ticket_id"
        where[:0] = ["f.done_at IS NULL", "f.due_at <= ?",
                     "NOT EXISTS (SELECT 1 FROM followups g WHERE g.ticket_id = f.ticket_id AND g.done_at IS NULL "
                     "AND (g.due_at < f.due_at OR (g.due_at = f.due_at AND g.id < f.id)))"]
        params.insert(0, now)
        due = "f.due_at"
        order, keys, direction = ("f.due_at", "t.id"), ("f.due_at", "t.id"), "ASC"
        if fts:
            where.append("t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)")
            params.append(fts)
    elif "is:snoozed" in fields and not fts:
        # Snoozed tickets are few: read them from their partial index, the
        # soonest back first (ordered by update, the planner walked the whole
        # update index looking for them: 3.7 s on a million tickets).
        source = "tickets t INDEXED BY tickets_snoozed"
        order = keys = ("t.snoozed_until", "t.id")
        direction = "ASC"
    elif fts:
        source = "ticket_search s JOIN tickets t ON t.id = s.rowid"
        where.insert(0, "ticket_search MATCH ?")
        params.insert(0, fts)
        order, keys, direction = ("s.rowid",), ("s.rowid",), "DESC"
    else:
        source = "tickets t"
        order = keys = SORTS[query.sort]
        direction = "ASC" if query.sort in ASCENDING else "DESC"
    if after is not None:
        if len(after) != len(keys):
            raise ValidationError([("cursor", "does not fit this query")])
        op = ">" if direction == "ASC" else "<"
        where.append(f"({', '.join(keys)}) {op} ({', '.join('?' * len(keys))})")
        params.extend(after)
    sql = ROW_SQL.format(due=due, source=source)
    if where:
        sql += "\nWHERE " + " AND ".join(where)
    sql += "\nORDER BY " + ", ".join(f"{column} {direction}" for column in order)
    sql += "\nLIMIT ?"
    params.append(int(limit))
    rows = db.tuples(sql, [db.actor, now, *params])
    result = [make_row(r) for r in rows]
    cursor: tuple[object, ...] | None = None
    if len(rows) == limit and rows:
        last = result[-1]
        if query.view == "due_followups":
            cursor = (last.due_at, last.id)
        elif keys == ("t.snoozed_until", "t.id"):
            cursor = (last.snoozed_until, last.id)
        elif fts:
            cursor = (last.id,)
        else:
            cursor = tuple({"t.updated_at": last.updated_at, "t.created_at": last.created_at,
                            "t.priority": last.priority, "t.id": last.id,
                            WAITING_KEY: last.waiting_since or "~"}[k] for k in keys)
    return result, cursor


def count(db: Database, query: InboxQuery, *, cap: int = 10_000, now: str | None = None) -> tuple[int, bool]:
    """How many tickets a view holds, counting at most ``cap`` (a sidebar
    number must stay cheap on a million tickets). Returns (count, capped)."""
    query = query.validated()
    now = now or clock.now_iso()
    where, params, fts, _fields = terms(db, query, now)
    _narrow(where, params, query, fts, now)
    sql = "SELECT count(*) FROM (SELECT 1 FROM tickets t" + (" WHERE " + " AND ".join(where) if where else "") + \
        " LIMIT ?)"
    found = db.scalar(sql, [*params, cap + 1])
    return min(found, cap), found > cap


def _narrow(where: list[str], params: list[Any], query: InboxQuery, fts: str | None, now: str) -> None:
    """The due check-ins view and the full-text match as conditions on ``t``:
    what :func:`count` and :func:`listed` add to :func:`~amends.core.inbox_search.terms`, in one place so
    that a count and a re-check can never disagree about a view."""
    if query.view == "due_followups":
        where.append("t.id IN (SELECT ticket_id FROM followups WHERE done_at IS NULL AND due_at <= ?)")
        params.append(now)
    if fts:
        where.append("t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)")
        params.append(fts)


def listed(db: Database, query: InboxQuery, ticket_ids: list[int], *, now: str | None = None) -> set[int]:
    """Which of ``ticket_ids`` the query shows now (its filters and search,
    and Active's due check-ins): the inbox model's bounded reload re-checks
    only the rows on screen far down the list, instead of reading every
    page from the top again (issue 16). One query for at most a few blocks."""
    query = query.validated()
    if not ticket_ids:
        return set()
    now = now or clock.now_iso()
    where, params, fts, _fields = terms(db, query, now)
    where.append("t.id IN (SELECT value FROM json_each(?))")
    params.append(json.dumps(list(ticket_ids)))
    _narrow(where, params, query, fts, now)
    found = {r[0] for r in db.tuples("SELECT t.id FROM tickets t WHERE " + " AND ".join(where), params)}
    if query.status == "active" and query.view == "all" and query.ids is None and not query.full_text:
        wanted = set(ticket_ids)  # the same (few) check-ins the model merges into Active's pages
        found.update(r.id for r in due_checkins(db, query, now=now) if r.id in wanted)
    return found



def due_checkins(db: Database, query: InboxQuery, *, now: str | None = None, limit: int = 50) -> list[TicketRow]:
    """Resolved tickets with a check-in due that the query's filters would
    show (category, assignee): "Active" lists them on top with a badge, so a
    due check-in is not only in the Due follow-ups view. Read from the
    partial index of open follow-ups, not by widening Active's SQL.

    The inner query walks that index in due order (the longest overdue
    first), looks each ticket up by id (CROSS JOIN: led by the status or
    category index the planner walked every resolved ticket, 48 ms of each
    start at 100,000 tickets) and stops at ``limit``: the work is bounded by
    the limit, not by how many are due (22,650 on a million tickets, all
    read to list 50: 20 ms of every default inbox request, issue 16). The
    inner query's ``t`` is its own; the outer one reads the lines by id."""
    now = now or clock.now_iso()
    where, params = filters(replace(query, status="all"), db.actor, now)
    where[:0] = ["f.done_at IS NULL", "f.due_at <= ?", "t.id = f.ticket_id", "t.status = 'resolved'",
                 "(t.snoozed_until IS NULL OR t.snoozed_until <= ?)"]  # snoozed: not now
    params[:0] = [now, now]
    due = "SELECT f.ticket_id FROM followups f CROSS JOIN tickets t WHERE " + " AND ".join(where) + \
        " ORDER BY f.due_at LIMIT ?"
    sql = ROW_SQL.format(due="NULL", source="tickets t") + f"\nWHERE t.id IN ({due})\nORDER BY t.id"
    return [make_row(r) for r in db.tuples(sql, [db.actor, now, *params, limit])]

