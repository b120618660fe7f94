"""Signatures: one per mailbox (``mail_accounts.signature``) and one per
person (the settings table, ``signature.person.<name>``), with placeholders
filled from the ticket. They go under replies, never under notes, after the
usual ``-- `` line: the person's first, then the mailbox's.

The composer shows the signature before sending (:func:`for_reply`) and the
outbox adds exactly that text (:func:`signed`), so what the agent saw is
what the customer gets. A signature with a placeholder nobody knows is
refused when it is saved, not discovered in a customer's mail."""

from __future__ import annotations

import re

from amends.core import audit, replies
from amends.core.errors import ValidationError
from amends.core.mail import mailboxes
from amends.core.store import Database

PERSON_PREFIX = "signature.person."
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

#: Every placeholder a signature may use (documented in README.md).
PLACEHOLDERS: dict[str, str] = {
    "agent_name": "Your display name (before any @host)",
    "mailbox_name": "The mailbox's sender name (Shop support)",
    "mailbox_address": "The mailbox's address (support@shop.example)",
    "customer_first_name": "The customer's first name",
    "customer_name": "The customer's full name",
    "ticket_id": "The ticket number",
}
_FROM_REPLIES = {"customer_first_name": "customer.first_name", "customer_name": "customer.name",
                 "ticket_id": "ticket.id", "agent_name": "agent.name"}
MAX_LENGTH = 2000


def check(text: str, field: str = "signature") -> str:
    """A signature as stored: stripped, short, only known placeholders."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise ValidationError([(field, f"a signature is at most {MAX_LENGTH} characters")])
    unknown = [name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        raise ValidationError([(field, f"unknown placeholder {replies.braced(unknown)}; known: "
                                       f"{replies.braced(PLACEHOLDERS)}")])
    return text


def person(db: Database, actor: str | None = None) -> str:
    """This person's own signature ('' when none)."""
    return db.scalar("SELECT value FROM settings WHERE key = ?", (PERSON_PREFIX + (actor or db.actor),)) or ""


def set_person(db: Database, text: str, actor: str | None = None) -> None:
    """Save (or, empty, remove) a person's signature."""
    text = check(text)
    key = PERSON_PREFIX + (actor or db.actor)
    with db.transaction() as conn:
        if text:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                         "value = excluded.value, version = version + 1", (key, text))
        else:
            conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        audit.record(conn, db.actor, "settings", None, "update", {"signature_of": actor or db.actor})


def set_mailbox(db: Database, mailbox_id: int, text: str) -> None:
    """Save a mailbox's signature (checked like a person's)."""
    text = check(text)
    with db.transaction() as conn:
        conn.execute("UPDATE mail_accounts SET signature = ?, version = version + 1 WHERE id = ?",
                     (text or None, mailbox_id))
        audit.record(conn, db.actor, "mail_account", mailbox_id, "update", {"signature": bool(text)})


def render(template: str, values: dict[str, str]) -> str:
    """Placeholders filled; one with no value for this ticket becomes empty
    (a signature line is better short than showing a brace)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), "") if m.group(1) in PLACEHOLDERS else m.group(0),
                           template)


def values_for(db: Database, ticket_id: int, box: mailboxes.Mailbox | None, actor: str | None = None
               ) -> dict[str, str]:
    found = replies.values_for(db, ticket_id)
    values = {mine: found[theirs] for mine, theirs in _FROM_REPLIES.items() if theirs in found}
    if actor:
        values["agent_name"] = actor.split("@")[0]
    if box is not None:
        values["mailbox_name"] = box.name
        values["mailbox_address"] = box.from_address
    return values


def for_reply(db: Database, ticket_id: int, box: mailboxes.Mailbox | None, actor: str | None = None) -> str:
    """The signature a reply on this ticket gets, filled in ('' for none)."""
    actor = actor or db.actor
    parts = [p for p in (person(db, actor), (box.signature or "").strip() if box is not None else "") if p]
    if not parts:
        return ""
    values = values_for(db, ticket_id, box, actor)
    return "\n".join(render(p, values) for p in parts).strip()


def signed(body: str, signature: str) -> str:
    """A reply's text with its signature after the usual '-- ' line."""
    if not signature.strip():
        return body
    return f"{body.rstrip()}\n\n-- \n{signature.strip()}\n"
