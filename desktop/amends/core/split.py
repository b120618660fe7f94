"""Splitting a ticket: a customer raised a second problem in the same thread.

The chosen message and every message after it move to a new ticket (same
customer, mailbox, category and priority; ``split_from`` names the ticket it
came from, so both ticket views link to each other). One transaction, an
audit entry on each ticket. :meth:`SplitEdit.undo` joins the messages back
and leaves the new ticket merged into the old one (its number keeps working,
the views leave it out); redoing splits them into that same ticket again.
"""

from __future__ import annotations

from dataclasses import dataclass

from amends.core import clock, tickets
from amends.core.audit import record
from amends.core.errors import ConflictError, NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id


@dataclass(frozen=True)
class SplitEdit:
    """A split (``undone=False``) or its undoing; ``undo`` gives the other."""

    source_id: int
    new_id: int
    message_ids: tuple[int, ...]
    undone: bool = False
    skipped: tuple[int, ...] = ()  # the undo stack's protocol (ui/common/undo.py): nothing is ever skipped

    @property
    def label(self) -> str:
        return f"split #{self.new_id} off #{self.source_id}"

    def undo(self, db: Database) -> SplitEdit:
        return _move(db, self, back=not self.undone)


def split(db: Database, message_id: int, *, subject: str | None = None) -> SplitEdit:
    """Move ``message_id`` and what follows it into a new ticket."""
    now = clock.now_iso()
    with db.transaction() as conn:
        message = conn.execute("SELECT id, ticket_id, created_at FROM messages WHERE id = ?", (message_id,)).fetchone()
        if message is None:
            raise NotFound(f"Message {message_id} does not exist.")
        source = conn.execute("SELECT * FROM tickets WHERE id = ?", (message["ticket_id"],)).fetchone()
        if source["merged_into"] is not None:
            raise ConflictError("Ticket", source["id"], message=f"Ticket #{source['id']} was merged into "
                                                               f"#{source['merged_into']}: split that one.")
        moving = [r[0] for r in conn.execute(
            "SELECT id FROM messages WHERE ticket_id = ? AND (created_at, id) >= (?, ?) ORDER BY created_at, id",
            (source["id"], message["created_at"], message["id"]))]
        staying = conn.execute("SELECT count(*) FROM messages WHERE ticket_id = ?", (source["id"],)).fetchone()[0] \
            - len(moving)
        if staying == 0:
            raise ValidationError([("message", "that is the first message: nothing would stay on the ticket")])
        title = " ".join((subject or source["subject"]).split()) or source["subject"]
        new_id = inserted_id(conn.execute(
            "INSERT INTO tickets (customer_id, subject, category, priority, assignee, created_at, updated_at, "
            "billing_cycle, mailbox_id, split_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source["customer_id"], title, source["category"], source["priority"], source["assignee"],
             message["created_at"], now, source["billing_cycle"], source["mailbox_id"], source["id"])))
        conn.execute("INSERT INTO ticket_search (rowid, subject, body) VALUES (?, ?, '')", (new_id, title))
        edit = SplitEdit(source["id"], new_id, tuple(moving))
        _move_messages(conn, edit, to=new_id, frm=source["id"])
        conn.execute("UPDATE tickets SET updated_at = ?, version = version + 1 WHERE id = ?", (now, source["id"]))
        record(conn, db.actor, "ticket", new_id, "create", {"subject": title, "split_from": source["id"]}, at=now)
        record(conn, db.actor, "ticket", source["id"], "split",
               {"into": new_id, "from_message": message_id, "messages": moving}, at=now)
    return edit


def _move_messages(conn, edit: SplitEdit, *, to: int, frm: int) -> None:
    conn.executemany("UPDATE messages SET ticket_id = ? WHERE id = ? AND ticket_id = ?",
                     [(to, m, frm) for m in edit.message_ids])
    tickets.reindex(conn, to)
    tickets.reindex(conn, frm)


def _move(db: Database, edit: SplitEdit, *, back: bool) -> SplitEdit:
    """Join the split back (``back``) or split it again into the same ticket."""
    now = clock.now_iso()
    with db.transaction() as conn:
        new = conn.execute("SELECT merged_into FROM tickets WHERE id = ?", (edit.new_id,)).fetchone()
        if new is None:
            raise NotFound(f"Ticket {edit.new_id} does not exist.")
        if back:  # every message, also one that came in on the split-off since: none is hidden
            conn.execute("UPDATE messages SET ticket_id = ? WHERE ticket_id = ?", (edit.source_id, edit.new_id))
            tickets.reindex(conn, edit.source_id)
            tickets.reindex(conn, edit.new_id)
            conn.execute("UPDATE tickets SET merged_into = ?, version = version + 1 WHERE id = ?",
                         (edit.source_id, edit.new_id))
        else:
            _move_messages(conn, edit, to=edit.new_id, frm=edit.source_id)
            conn.execute("UPDATE tickets SET merged_into = NULL, version = version + 1 WHERE id = ?", (edit.new_id,))
        conn.execute("UPDATE tickets SET updated_at = ?, version = version + 1 WHERE id = ?", (now, edit.source_id))
        action = "unsplit" if back else "split"
        record(conn, db.actor, "ticket", edit.source_id, action, {"with": edit.new_id}, at=now)
        record(conn, db.actor, "ticket", edit.new_id, action, {"with": edit.source_id}, at=now)
    return SplitEdit(edit.source_id, edit.new_id, edit.message_ids, undone=back)


def links(db: Database, ticket_id: int) -> tuple[int | None, list[int]]:
    """(the ticket this one was split from, the tickets split off it): both
    ticket views show the other. Split-offs joined back (merged) are left out."""
    source = db.scalar("SELECT split_from FROM tickets WHERE id = ? AND merged_into IS NULL", (ticket_id,))
    return source, [r[0] for r in db.tuples(
        "SELECT id FROM tickets WHERE split_from = ? AND merged_into IS NULL ORDER BY id", (ticket_id,))]
