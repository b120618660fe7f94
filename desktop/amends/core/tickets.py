"""Tickets and their conversations: creating, paging, editing.

The inbox pages with keyset pagination (``WHERE (updated_at, id) < (?, ?)``
over an index), so page 1 and page 10,000 cost the same and nothing ever
loads every ticket. Filters and sorting are SQL. The full-text index is
written in the same transaction as the ticket or message it indexes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

from amends.core import audit, clock, customers, query_syntax, targets
from amends.core.errors import Change, ConflictError, NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import CATEGORIES, MESSAGE_DIRECTIONS, PRIORITIES, STATUSES

PAGE_SIZE = 100
WAITING_KEY = "coalesce(t.waiting_since, '~')"

#: ``InboxQuery.assignee`` value meaning "nobody is assigned".
UNASSIGNED = "\x00none"

STATUS_FILTERS = ("active", "open", "pending", "resolved", "all")
SORTS = {
    # name: (ORDER BY columns, all descending; keyset columns)
    "updated": ("t.updated_at", "t.id"),
    "created": ("t.created_at", "t.id"),
    "priority": ("t.priority", "t.updated_at", "t.id"),
    # Oldest waiting first: the customer who has waited longest on top; tickets
    # nobody waits on come last ('~' sorts after every time), by the expression index.
    "waiting": (WAITING_KEY, "t.id"),
}
#: Sorts read oldest first (the others newest first).
ASCENDING = frozenset({"waiting"})
VIEWS = ("all", "due_followups")


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox shows. ``status='active'`` means open or pending."""

    status: str = "active"
    category: str | None = None
    assignee: str | None = None
    text: str = ""
    sort: str = "updated"
    view: str = "all"
    #: Only these tickets (a drill-down from the Review pane); None = no limit.
    ids: tuple[int, ...] | None = None
    #: The view's own search (``cycle:1`` for "First-cycle customers"), added
    #: to what the person types without showing in the search box.
    base_text: str = ""

    @property
    def full_text(self) -> str:
        return f"{self.base_text} {self.text}".strip()

    def validated(self) -> InboxQuery:
        problems = []
        if self.status not in STATUS_FILTERS:
            problems.append(("status", f"unknown status filter {self.status!r}"))
        if self.category is not None and self.category not in CATEGORIES:
            problems.append(("category", f"unknown category {self.category!r}"))
        if self.sort not in SORTS:
            problems.append(("sort", f"unknown sort {self.sort!r}"))
        if self.view not in VIEWS:
            problems.append(("view", f"unknown view {self.view!r}"))
        if problems:
            raise ValidationError(problems)
        return self

    @property
    def searching(self) -> bool:
        return bool(query_syntax.parse(self.text, "").words)


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


_ROW_SQL = """SELECT t.id, t.subject, t.status, t.category, t.priority, t.assignee,
       coalesce(nullif(c.name, ''), c.email, '') AS customer,
       t.created_at, t.updated_at, t.billing_cycle, {due} AS due_at, t.snoozed_until,
       t.waiting_since, t.replied_at,
       (t.last_in_at IS NOT NULL AND t.last_in_at > coalesce(
           (SELECT rm.read_at FROM read_marks rm WHERE rm.actor = ? AND rm.ticket_id = t.id), '')) AS unread,
       EXISTS (SELECT 1 FROM followups fu WHERE fu.ticket_id = t.id AND fu.done_at IS NULL AND fu.due_at <= ?)
FROM {source}
LEFT JOIN customers c ON c.id = t.customer_id"""


def _filters(query: InboxQuery, actor: str, now: str, *, merged: bool = False) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if query.ids is None and not merged:
        where.append("t.merged_into IS NULL")  # a merged ticket lives on in its target
    if query.status == "active":
        where.append("t.status <> 'resolved'")  # matches the partial indexes
        where.append("(t.snoozed_until IS NULL OR t.snoozed_until <= ?)")  # snoozed: back when due
        params.append(now)
    elif query.status != "all":
        where.append("t.status = ?")
        params.append(query.status)
    if query.category:
        where.append("t.category = ?")
        params.append(query.category)
    if query.assignee == UNASSIGNED:
        where.append("t.assignee IS NULL")
    elif query.assignee:
        where.append("t.assignee = ?")
        params.append(actor if query.assignee == "me" else query.assignee)
    if query.ids is not None:
        where.append("t.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(query.ids)))
    return where, params


def _where(db: Database, query: InboxQuery, now: str) -> tuple[list[str], list[Any], str | None, set[str]]:
    """The WHERE terms of a query (view filters + the search language) and
    the FTS expression of its words, shared by :func:`page` and :func:`count`."""
    text = query.full_text
    syntax = query_syntax.parse(text, db.actor, tags=_tag_usage(db) if "tag:" in text.lower() else None, now=now,
                                customers=lambda phrase: _customers_matching(db, phrase),
                                mailboxes=_mailbox_names(db) if "mailbox:" in text.lower() else None,
                                reply_due=lambda value: targets.load(db).condition(value, now))
    if syntax.problems:
        raise ValidationError([(p.token, p.reason) for p in syntax.problems])
    # A field typed in the search box replaces the view's filter on it.
    where, params = _filters(replace(query, status="all" if "status" in syntax.fields else query.status,
                                     category=None if "category" in syntax.fields else query.category,
                                     assignee=None if "assignee" in syntax.fields else query.assignee), db.actor, now,
                             merged="is:merged" in syntax.fields)
    for sql, values in syntax.conditions:
        where.append(sql)
        params.extend(values)
    if syntax.excluded:
        where.append("t.id NOT IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)")
        excluded = [query_syntax.fts_expression([term], prefix_last=False) for term in syntax.excluded]
        params.append(" OR ".join(e for e in excluded if e is not None))  # one term each: never None
    return where, params, query_syntax.fts_expression(syntax.words, prefix_last=True), syntax.fields


def _customers_matching(db: Database, phrase: str) -> int:
    return db.scalar("SELECT count(*) FROM customer_search WHERE customer_search MATCH ?", (phrase,))


def _mailbox_names(db: Database) -> list[str]:
    return [r[0] for r in db.query("SELECT label FROM mail_accounts WHERE removed_at IS NULL ORDER BY id")]


def _tag_usage(db: Database) -> dict[str, int]:
    """Every tag's name and how many tickets carry it, counted from the tag index up to one past
    ``query_syntax.MANY_TAGGED``: the search only asks whether a tag is above that (a tag on 100,000 of a
    million tickets cost 7 ms of CPU of each search counted whole; issue 16)."""
    return dict(db.tuples("SELECT g.name, (SELECT count(*) FROM (SELECT 1 FROM ticket_tags tt WHERE tt.tag_id = g.id "
                          "LIMIT ?)) FROM tags g", (query_syntax.MANY_TAGGED + 1,)))


def page(db: Database, query: InboxQuery, after: tuple | None = None,
         limit: int = PAGE_SIZE, *, now: str | None = None) -> tuple[list[TicketRow], tuple | None]:
    """One page of the inbox and the cursor for the next (None at the end).

    Searching orders by recency through the FTS rowid (= ticket id, newest
    first): bm25 ranking on common words costs ~1 s on a million tickets.
    """
    query = query.validated()
    now = now or clock.now_iso()
    where, params, fts, fields = _where(db, query, now)
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
    sql = _ROW_SQL.format(due=due, source=source)
    if where:
        sql += "\nWHERE " + " AND ".join(where)
    sql += "\nORDER BY " + ", ".join(f"{column} {direction}" for column in order)
    sql += "\nLIMIT ?"
    params.append(int(limit))
    rows = db.tuples(sql, [db.actor, now, *params])
    result = [_row(r) for r in rows]
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
    where, params, fts, _fields = _where(db, query, now)
    _narrow(where, params, query, fts, now)
    sql = "SELECT count(*) FROM (SELECT 1 FROM tickets t" + (" WHERE " + " AND ".join(where) if where else "") + \
        " LIMIT ?)"
    found = db.scalar(sql, [*params, cap + 1])
    return min(found, cap), found > cap


def _narrow(where: list[str], params: list[Any], query: InboxQuery, fts: str | None, now: str) -> None:
    """The due check-ins view and the full-text match as conditions on ``t``:
    what :func:`count` and :func:`listed` add to ``_where``, in one place so
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
    where, params, fts, _fields = _where(db, query, now)
    where.append("t.id IN (SELECT value FROM json_each(?))")
    params.append(json.dumps(list(ticket_ids)))
    _narrow(where, params, query, fts, now)
    found = {r[0] for r in db.tuples("SELECT t.id FROM tickets t WHERE " + " AND ".join(where), params)}
    if query.status == "active" and query.view == "all" and query.ids is None and not query.full_text:
        wanted = set(ticket_ids)  # the same (few) check-ins the model merges into Active's pages
        found.update(r.id for r in due_checkins(db, query, now=now) if r.id in wanted)
    return found


def row(db: Database, ticket_id: int) -> TicketRow | None:
    """One inbox line, fresh from the database (the model refreshes with it)."""
    found = db.tuples(_ROW_SQL.format(due="NULL", source="tickets t") + "\nWHERE t.id = ?",
                      (db.actor, clock.now_iso(), ticket_id))
    return _row(found[0]) if found else None


def rows(db: Database, ticket_ids: list[int]) -> dict[int, TicketRow]:
    """Inbox lines of many tickets in one query, by id (missing ids are
    absent). The inbox model keeps only ids of the rows scrolled past and
    reads a block of lines back with this when it is painted again."""
    found = db.tuples(_ROW_SQL.format(due="NULL", source="tickets t") +
                      "\nWHERE t.id IN (SELECT value FROM json_each(?))",
                      (db.actor, clock.now_iso(), json.dumps(list(ticket_ids))))
    return {values[0]: _row(values) for values in found}


def _row(values: tuple) -> TicketRow:
    return TicketRow._make((*values[:-2], bool(values[-2]), bool(values[-1])))


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
    where, params = _filters(replace(query, status="all"), db.actor, now)
    where[:0] = ["f.done_at IS NULL", "f.due_at <= ?", "t.id = f.ticket_id", "t.status = 'resolved'",
                 "(t.snoozed_until IS NULL OR t.snoozed_until <= ?)"]  # snoozed: not now
    params[:0] = [now, now]
    due = "SELECT f.ticket_id FROM followups f CROSS JOIN tickets t WHERE " + " AND ".join(where) + \
        " ORDER BY f.due_at LIMIT ?"
    sql = _ROW_SQL.format(due="NULL", source="tickets t") + f"\nWHERE t.id IN ({due})\nORDER BY t.id"
    return [_row(r) for r in db.tuples(sql, [db.actor, now, *params, limit])]


def mark_read(db: Database, ticket_id: int, *, at: str | None = None) -> None:
    """Note that I have read the ticket now: it stops being bold for me (and
    only for me) until the customer writes again. Not audited: reading
    changes nothing anyone needs to trace."""
    with db.transaction() as conn:
        conn.execute("INSERT INTO read_marks (actor, ticket_id, read_at) VALUES (?, ?, ?) ON CONFLICT(actor, "
                     "ticket_id) DO UPDATE SET read_at = excluded.read_at", (db.actor, ticket_id, at or clock.now_iso()))


def waited(row: TicketRow, now: str | None = None) -> float | None:
    """Seconds the customer has waited (None: nobody waits), in clock time:
    what the customer lived through (targets count business time)."""
    if row.waiting_since is None:
        return None
    moment = clock.parse_iso(now) if now else clock.now()
    return max(0.0, (moment - clock.parse_iso(row.waiting_since)).total_seconds())


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
    _check_fields({"subject": subject, "category": category, "priority": priority})
    at = created_at or clock.now_iso()
    cycle = None
    if customer_id is not None:
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
