"""The ticket reference in outgoing subjects ("Re: Box arrived crushed
[#4711]"). Many mail programs drop In-Reply-To and References; the subject
survives, so a reply still finds its ticket. Only the ticket's own customer
can reply into it this way: anyone can type "[#4711]" into a subject."""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from amends.core import audit
from amends.core.errors import ValidationError
from amends.core.store import Database

if TYPE_CHECKING:  # the importers use this module: no import back at run time
    from amends.core.importers.records import TicketRecord

SETTING = "mail.subject_reference"
DEFAULT = "[#{id}]"


def template(db: Database) -> str:
    """The reference template ('{id}' = the ticket number); '' = none."""
    value = db.scalar("SELECT value FROM settings WHERE key = ?", (SETTING,))
    return DEFAULT if value is None else value


def set_template(db: Database, value: str) -> None:
    value = value.strip()
    if value and (value.count("{id}") != 1 or not value.replace("{id}", "").strip() or
                  re.search(r"[{}]", value.replace("{id}", ""))):
        raise ValidationError([("subject_reference", "once '{id}' with some text around it, like [#{id}], "
                                                     "or empty for none")])
    with db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                     "value = excluded.value, version = version + 1", (SETTING, value))
        audit.record(conn, db.actor, "settings", None, "update", {"after": {SETTING: value}})


def tagged(subject: str, ticket_id: int, reference: str) -> str:
    """The subject with the reference at its end (never twice)."""
    if not reference:
        return subject
    mark = reference.replace("{id}", str(ticket_id))
    return subject if mark in subject else f"{subject} {mark}"


def _pattern(reference: str) -> re.Pattern:
    before, _, after = reference.partition("{id}")
    return re.compile(re.escape(before) + r"(\d{1,12})" + re.escape(after))


def stored_template(conn: sqlite3.Connection) -> str:
    """:func:`template` inside a transaction."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (SETTING,)).fetchone()
    return DEFAULT if row is None else row[0]


def mentions(record: TicketRecord, reference: str | None) -> bool:
    """Whether :func:`ticket_for` could find a ticket for ``record`` (its
    subject holds a reference): an import writes what it holds back first."""
    return record.ref.startswith("mail:") and record.customer_ref is not None and bool(reference) and \
        _pattern(reference or "").search(record.subject) is not None


def ticket_for(conn: sqlite3.Connection, record: TicketRecord, reference: str | None = None) -> int | None:
    """The ticket a mail without usable threading headers refers to by its
    subject, if the sender is that ticket's customer. ``reference``: the
    template, when the caller has read it already (once per import)."""
    if not record.ref.startswith("mail:") or record.customer_ref is None:
        return None
    reference = stored_template(conn) if reference is None else reference
    if not reference:
        return None
    for found in reversed(_pattern(reference).findall(record.subject)):
        hit = conn.execute("SELECT t.id FROM tickets t JOIN customers c ON c.id = t.customer_id "
                           "WHERE t.id = ? AND c.ref = ?", (int(found), record.customer_ref)).fetchone()
        if hit is not None:
            return hit[0]
    return None
