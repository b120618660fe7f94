"""New tickets' messages and search rows (and, for files whose records never
read each other's rows, the tickets themselves) gathered and written with
one executemany per table: the import's batches (issue 16). The insert
statements of tickets, messages and the search index are here, for the
batches and for the rows written one by one alike.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from amends.core import attachments
from amends.core.importers.records import MessageRecord
from amends.core.store import schema
from amends.core.store.rowids import inserted_id


def defects_json(message: MessageRecord) -> str | None:
    """What reading a message noted (its ``defects`` column), None when nothing was."""
    return json.dumps(message.defects, ensure_ascii=False) if message.defects else None


INSERT_SEARCH = "INSERT INTO ticket_search (rowid, subject, body) VALUES (?, ?, ?)"


TICKET_COLUMNS = ("ref, subject, category, status, priority, assignee, created_at, updated_at, customer_id, "
                   "billing_cycle, resolved_at, mailbox_id")
INSERT_TICKET = f"INSERT INTO tickets ({TICKET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_TICKET_WITH_ID = f"INSERT INTO tickets (id, {TICKET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_MESSAGE = ("INSERT INTO messages (ticket_id, direction, author, created_at, body, external_id, html, flag, "
                   "defects) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


@dataclass
class Pending:
    """New tickets' messages and search rows, written after their tickets
    with one executemany per table: three statements per ticket, interleaved
    over the ~30 B-trees of three tables, cost twice as much (issue 16).
    A complete (exchange format) file's records never read each other's
    messages (no mail threading, refs are unique). Mail may (a reply joining
    a ticket of the same batch, a subject reference, an update): so for mail
    (``ordered``) whatever is pending is written before any other write or
    read of messages, and the rows and their ids are the same as written one
    by one (tests/core/test_mail_bulk_write.py).

    Files whose records never read each other's rows (``Parsed.batched``:
    the exchange format and CSV) batch the new tickets too, on SQLite: they
    get their ids here (the ones SQLite would give: one past the largest)
    and go in *after* their messages, with the foreign keys checked at
    commit (``PRAGMA defer_foreign_keys``, this transaction only). Each
    message's waiting trigger then finds no ticket to update, and one
    statement sets the new tickets' waiting columns from their messages with
    the schema's own recompute (schema.WAITING, what the triggers keep): per
    message, those updates moved the ticket in two indexes and were half of
    the messages' cost."""

    messages: list[tuple] = field(default_factory=list)
    search: list[tuple] = field(default_factory=list)
    ordered: bool = False
    #: New tickets' rows (id first) not written yet; None: tickets are written one by one.
    tickets: list[tuple] | None = None
    _next_id: int | None = None

    @classmethod
    def start(cls, conn: sqlite3.Connection, *, ordered: bool, tickets: bool) -> Pending:
        pending = cls(ordered=ordered)
        if tickets and isinstance(conn, sqlite3.Connection):  # PostgreSQL keeps its ticket-first order
            conn.execute("PRAGMA defer_foreign_keys = ON")  # off again when the transaction ends
            pending.tickets = []
        return pending

    def ticket_id(self, conn: sqlite3.Connection) -> int:
        """The id the next new ticket gets (as SQLite would give it)."""
        if self._next_id is None:
            self._next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
        ticket_id = self._next_id
        self._next_id += 1
        return ticket_id

    def holds(self) -> bool:
        return bool(self.messages or self.search or self.tickets)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Everything pending written; the next ticket written on its own
        finds its ids free."""
        conn.executemany(INSERT_MESSAGE, self.messages)
        conn.executemany(INSERT_SEARCH, self.search)
        self.messages.clear()
        self.search.clear()
        if self.tickets:
            conn.executemany(INSERT_TICKET_WITH_ID, self.tickets)
            ids = (self.tickets[0][0], self.tickets[-1][0])
            conn.execute(schema.WAITING + " WHERE id BETWEEN ? AND ?", ids)
            # their resolutions came first: what the resolutions' triggers could not keep without the ticket
            stamp, money = schema.MONEY_OF_TICKET_RANGE  # V7RESOL
            conn.execute(stamp, ids + ids)
            conn.execute(money, ids)
            for statement in schema.SAVE_CANDIDATES_OF_RANGE:  # V8SAVES
                conn.execute(statement, ids)
            self.tickets.clear()
        self._next_id = None


def insert_messages(conn: sqlite3.Connection, ticket_id: int, added: list[MessageRecord],
                    flags: list[str | None]) -> None:
    """Messages in one statement; those with files one by one, each file
    listed on its message (a file over the size limit noted on it)."""
    if not any(m.attachments for m in added):
        conn.executemany(INSERT_MESSAGE, [(ticket_id, m.direction, m.author, m.at, m.body, m.external_id, m.html,
                                            flag, defects_json(m)) for m, flag in zip(added, flags)])
        return
    max_bytes = attachments.limit(conn)
    for m, flag in zip(added, flags):
        m.defects.extend(note for note in attachments.over_limit(m.attachments, max_bytes) if note not in m.defects)
        message_id = inserted_id(conn.execute(INSERT_MESSAGE, (ticket_id, m.direction, m.author, m.at, m.body,
                                                                m.external_id, m.html, flag, defects_json(m))))
        attachments.store(conn, message_id, m.attachments, max_bytes)
