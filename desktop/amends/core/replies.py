"""Saved replies with placeholders: ``{customer.first_name}``,
``{subscription.plan}``, ``{subscription.next_charge}``, ``{offer}`` …

Rendering fills what it knows from the ticket; a placeholder it does not
know, or one without a value for this customer (no subscription), stays in
the text *and* is listed, and :func:`unfilled` finds any left before a reply
is sent, so a customer never reads ``{subscription.plan}``. A reply can name
the checklist step it belongs to (``apology``…): the checklist offers it there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from amends.core import audit, clock, customers, snooze, tickets
from amends.core.errors import ConflictError, NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import STEP_TYPES

PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)\}")

#: Every placeholder and what it stands for (the editor lists them).
PLACEHOLDERS: dict[str, str] = {
    "customer.first_name": "The customer's first name",
    "customer.name": "The customer's full name",
    "customer.email": "The customer's email address",
    "subscription.plan": "Their plan",
    "subscription.next_charge": "The date their next cycle is charged",
    "subscription.cycle": "Which billing cycle they are in (1, 2 …)",
    "ticket.id": "The ticket number",
    "ticket.subject": "The ticket's subject",
    "agent.name": "Your display name",
    "offer": "The save offer entered in the checklist (e.g. 15 % off next cycle)",
}

#: The replies a new database starts with (one per common checklist step).
DEFAULTS: tuple[tuple[str, str | None, str], ...] = (
    ("Apology", "apology",
     "Hi {customer.first_name},\n\nI'm sorry about this — it is not the experience we want you to have with "
     "your {subscription.plan} box. I'm on it now.\n\n{agent.name}"),
    ("Replacement on its way", "replacement",
     "Hi {customer.first_name},\n\nA replacement is on its way to you at no cost; you'll get tracking by email "
     "shortly.\n\n{agent.name}"),
    ("Check-in", "check_in",
     "Hi {customer.first_name},\n\nJust checking in: did everything arrive in good shape this time?\n\n"
     "{agent.name}"),
    ("Save offer", "save_offer",
     "Hi {customer.first_name},\n\nAs a thank-you for sticking with us, here is {offer} — it applies "
     "automatically on {subscription.next_charge}.\n\n{agent.name}"),
    ("Refund confirmed", "refund",
     "Hi {customer.first_name},\n\nYour refund has been issued; it usually shows within 3–5 business "
     "days.\n\n{agent.name}"),
)


@dataclass(frozen=True)
class SavedReply:
    id: int
    name: str
    body: str
    step_type: str | None
    version: int


@dataclass(frozen=True)
class Rendered:
    text: str
    unknown: tuple[str, ...]  # placeholders left in the text: unknown, or no value for this ticket


def seed_defaults(conn, actor: str) -> None:
    now = clock.now_iso()
    conn.executemany("INSERT OR IGNORE INTO saved_replies (name, body, step_type, updated_at, updated_by) "
                     "VALUES (?, ?, ?, ?, ?)", [(name, body, step, now, actor) for name, step, body in DEFAULTS])


def all_replies(db: Database) -> list[SavedReply]:
    return [SavedReply(*r) for r in db.tuples(
        "SELECT id, name, body, step_type, version FROM saved_replies ORDER BY name COLLATE NOCASE")]


def for_step(db: Database, step_type: str) -> list[SavedReply]:
    return [r for r in all_replies(db) if r.step_type == step_type]


def check(name: str, body: str, step_type: str | None) -> str:
    """The cleaned name, or ValidationError naming every problem (the editor and imports)."""
    clean = " ".join((name or "").split())
    problems = []
    if not clean:
        problems.append(("name", "a saved reply needs a name"))
    if not (body or "").strip():
        problems.append(("body", "a saved reply needs some text"))
    if step_type is not None and step_type not in STEP_TYPES:
        problems.append(("step", f"must be one of {', '.join(STEP_TYPES)}"))
    unknown = sorted({p for p in PLACEHOLDER.findall(body or "") if p not in PLACEHOLDERS})
    if unknown:
        problems.append(("body", f"unknown placeholder {braced(unknown)} (known: {braced(PLACEHOLDERS)})"))
    if problems:
        raise ValidationError(problems)
    return clean


def save(db: Database, name: str, body: str, step_type: str | None = None, *,
         reply_id: int | None = None, expected_version: int | None = None) -> int:
    """Create a saved reply, or change one (optimistic: another person's
    change in between raises ConflictError)."""
    clean = check(name, body, step_type)
    now = clock.now_iso()
    with db.transaction() as conn:
        clash = conn.execute("SELECT id FROM saved_replies WHERE name = ? AND id IS NOT ?", (clean, reply_id)).fetchone()
        if clash is not None:
            raise ValidationError([("name", f"there is already a saved reply called “{clean}”")])
        if reply_id is None:
            reply_id = inserted_id(conn.execute(
                "INSERT INTO saved_replies (name, body, step_type, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)",
                (clean, body, step_type, now, db.actor)))
            audit.record(conn, db.actor, "reply", reply_id, "create", {"name": clean}, at=now)
            return reply_id
        row = conn.execute("SELECT * FROM saved_replies WHERE id = ?", (reply_id,)).fetchone()
        if row is None:
            raise NotFound(f"Saved reply {reply_id} was deleted.")
        if expected_version is not None and row["version"] != expected_version:
            raise ConflictError("Saved reply", reply_id, by=row["updated_by"],
                                message=f"{row['updated_by']} changed this saved reply meanwhile.")
        conn.execute("UPDATE saved_replies SET name = ?, body = ?, step_type = ?, updated_at = ?, updated_by = ?, "
                     "version = version + 1 WHERE id = ?", (clean, body, step_type, now, db.actor, reply_id))
        audit.record(conn, db.actor, "reply", reply_id, "update", {"name": clean}, at=now)
    return reply_id


def delete(db: Database, reply_id: int) -> None:
    with db.transaction() as conn:
        row = conn.execute("SELECT name FROM saved_replies WHERE id = ?", (reply_id,)).fetchone()
        if row is None:
            raise NotFound(f"Saved reply {reply_id} was deleted.")
        conn.execute("DELETE FROM saved_replies WHERE id = ?", (reply_id,))
        audit.record(conn, db.actor, "reply", reply_id, "delete", {"name": row[0]})


def values_for(db: Database, ticket_id: int, *, offer: str | None = None,
               now: datetime | None = None) -> dict[str, str]:
    """What each placeholder means for this ticket (missing ones: no value)."""
    now = now or clock.now()
    ticket = tickets.get(db, ticket_id, with_messages=False)
    values = {"ticket.id": str(ticket.id), "ticket.subject": ticket.subject, "agent.name": db.actor.split("@")[0]}
    if offer:
        values["offer"] = offer
    if ticket.customer_id is not None:
        row = db.one("SELECT name, email FROM customers WHERE id = ?", (ticket.customer_id,))
        if row is not None:
            name = (row["name"] or "").strip()
            values["customer.name"] = name or row["email"]
            values["customer.email"] = row["email"]
            values["customer.first_name"] = name.split()[0] if name else row["email"].split("@")[0]
        sub = customers.subscription_at(db, ticket.customer_id, clock.to_iso(now))
        if sub is not None:
            values["subscription.plan"] = sub.plan
            values["subscription.cycle"] = str(sub.cycle_at(now))
            charge = snooze.next_charge(db, ticket.customer_id, now)
            if charge is not None:
                values["subscription.next_charge"] = f"{charge.day} {charge:%B %Y}"
    return values


def offer_text(kind: str | None, value: float | None) -> str | None:
    """The ``{offer}`` of a save offer, in words a customer reads."""
    if value is None:
        return None
    if kind == "percent_next_cycle":
        return f"{value:g} % off your next cycle"
    if kind == "account_credit":
        return f"a credit of {value:g} on your account"
    if kind == "free_addon":
        return "a free add-on with your next box"
    return f"{value:g}"


def render(body: str, values: dict[str, str]) -> Rendered:
    unknown: list[str] = []

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in unknown:
            unknown.append(name)
        return match.group(0)

    return Rendered(PLACEHOLDER.sub(fill, body), tuple(unknown))


def render_for(db: Database, reply: SavedReply, ticket_id: int, *, offer: str | None = None) -> Rendered:
    return render(reply.body, values_for(db, ticket_id, offer=offer))


def braced(names) -> str:
    """``{a}, {b}``: placeholder names as a person types them."""
    return ", ".join("{" + name + "}" for name in names)


def unfilled(text: str) -> list[str]:
    """Placeholders still in a reply about to be sent (never send them raw)."""
    found: list[str] = []
    for name in PLACEHOLDER.findall(text or ""):
        if name not in found:
            found.append(name)
    return found
