"""Customers, their subscriptions and the billing cycle a ticket falls in."""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from amends.core import audit, clock
from amends.core.errors import NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id


def billing_cycle(started_at: datetime, cycle_days: int, at: datetime) -> int:
    """1 + the number of whole cycles between the subscription's start and
    ``at``. A moment before the start counts as cycle 1."""
    elapsed = clock.days_between(started_at, at)
    return 1 + max(0, math.floor(elapsed / cycle_days))


def recount_cycles(conn: sqlite3.Connection, customer_id: int) -> None:
    """The customer's tickets' billing cycles, from their subscriptions (after
    a subscription changed, or duplicates were merged into them)."""
    subs = conn.execute("SELECT started_at, cycle_days FROM subscriptions WHERE customer_id = ? ORDER BY started_at",
                        (customer_id,)).fetchall()
    if not subs:
        return
    for ticket_id, created in conn.execute("SELECT id, created_at FROM tickets WHERE customer_id = ?",
                                           (customer_id,)).fetchall():
        started, days = next((s for s in reversed(subs) if s[0] <= created), subs[-1])
        conn.execute("UPDATE tickets SET billing_cycle = ? WHERE id = ?",
                     (billing_cycle(clock.parse_iso(started), days, clock.parse_iso(created)), ticket_id))


@dataclass(frozen=True)
class Subscription:
    id: int
    plan: str
    started_at: str
    cycle_days: int
    status: str
    cancelled_at: str | None


@dataclass(frozen=True)
class PastTicket:
    id: int
    subject: str
    category: str
    status: str
    created_at: str
    outcome: str  # "resolved with <policy> v2", "no policy", "open" ...


@dataclass(frozen=True)
class PastOffer:
    ticket_id: int
    at: str
    kind: str | None
    value: float
    in_bounds: bool | None


@dataclass
class CustomerProfile:
    """What the ticket view's sidebar shows about the person writing in."""

    id: int
    name: str
    email: str
    subscription: Subscription | None
    current_cycle: int | None
    days_subscribed: int | None
    tickets: list[PastTicket] = field(default_factory=list)
    offers: list[PastOffer] = field(default_factory=list)


def subscription_at(db: Database, customer_id: int, at: str | None = None) -> Subscription | None:
    """The subscription in force at ``at`` (the latest one started by then),
    else the customer's latest."""
    row = None
    if at is not None:
        row = db.one("SELECT * FROM subscriptions WHERE customer_id = ? AND started_at <= ? "
                     "ORDER BY started_at DESC, id DESC LIMIT 1", (customer_id, at))
    if row is None:
        row = db.one("SELECT * FROM subscriptions WHERE customer_id = ? "
                     "ORDER BY started_at DESC, id DESC LIMIT 1", (customer_id,))
    if row is None:
        return None
    return Subscription(row["id"], row["plan"], row["started_at"], row["cycle_days"],
                        row["status"], row["cancelled_at"])


_BRACKETED = re.compile(r'(?:"([^"]*)"|([^"<>]*?))\s*<([^<>\s]+)>')


class BadAddress(ValidationError):
    """Text that is not one email address (``ada@@example.com``, two
    addresses, no domain ...); the message says why."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__([("email", f"{text!r} is not an email address ({reason})")])
        self.text = text
        self.reason = reason


def split_address(text: str) -> tuple[str, str]:
    """``(display name, normalised address)`` from what people paste or a
    file holds: ``"Ada L" <Ada@Example.com>``, `` ada@example.com ``.

    Normalised = one address, checked for syntax by email-validator (offline:
    no DNS, and local or special-use domains are allowed, since a test shop or
    an intranet is a real sender), in lower case: mail systems treat the local
    part case-insensitively in practice, and a customer who types their
    address in another case is the same customer."""
    raw = str(text).strip()
    bracketed = _BRACKETED.fullmatch(raw)
    if bracketed:
        name, address = bracketed.group(1) or bracketed.group(2) or "", bracketed.group(3)
    elif raw and not any(c in raw for c in '<>"') and not any(c.isspace() for c in raw):
        name, address = "", raw
    else:
        raise BadAddress(raw, "it is empty" if not raw else 'expected ada@example.com or "Ada" <ada@example.com>')
    try:
        checked = validate_email(address, check_deliverability=False, globally_deliverable=False,
                                 test_environment=True)
    except EmailNotValidError as error:
        raise BadAddress(raw, str(error).rstrip(".")) from None
    return " ".join(name.split()), checked.normalized.lower()


def normalise_address(text: str) -> str:
    """The address alone, normalised (see :func:`split_address`)."""
    return split_address(text)[1]


def address_key(text: str) -> str:
    """What an address is matched by: its normalised form, or for text that
    is no valid address (old rows, programmatic callers) the stripped text in
    lower case, so that such a row still matches itself."""
    try:
        return normalise_address(text)
    except BadAddress:
        return " ".join(str(text).split()).lower()


def lookup(conn: sqlite3.Connection, address: str) -> int | None:
    """The customer who owns this address (any of their addresses), else
    the oldest whose main email matches it regardless of case (rows written
    without an address entry, e.g. demo data)."""
    key = address_key(address)
    if not key:
        return None
    row = conn.execute("SELECT customer_id FROM customer_addresses WHERE address = ?", (key,)).fetchone()
    if row is None:
        row = conn.execute("SELECT id FROM customers WHERE email = ? COLLATE NOCASE OR email = ? "
                           "ORDER BY id LIMIT 1", (key, str(address).strip())).fetchone()
    return None if row is None else int(row[0])


def add_address(conn: sqlite3.Connection, customer_id: int, address: str) -> bool:
    """Give the customer another address. False when it already belongs to
    someone (never moved silently: merging customers is a separate act)."""
    key = address_key(address)
    if not key:
        return False
    cursor = conn.execute("INSERT OR IGNORE INTO customer_addresses (address, customer_id, added_at) "
                          "VALUES (?, ?, ?)", (key, customer_id, clock.now_iso()))
    return cursor.rowcount == 1


def addresses(db: Database, customer_id: int) -> list[str]:
    """Every address of the customer, the main one first."""
    main = db.scalar("SELECT email FROM customers WHERE id = ?", (customer_id,))
    others = [r[0] for r in db.query("SELECT address FROM customer_addresses WHERE customer_id = ? "
                                     "ORDER BY added_at, address", (customer_id,))]
    first = address_key(main) if main is not None else None
    return ([main] if main is not None else []) + [a for a in others if a != first]


def for_address(conn: sqlite3.Connection, actor: str, address: str, name: str = "", *,
                ref: str | None = None, created_at: str | None = None) -> tuple[int, bool]:
    """THE way a customer is found or made from an email address (mail,
    every importer, the new-ticket dialog): ``(customer id, created)``.
    Runs in the caller's transaction. The address is stored normalised when
    it is a valid one; a display name in it becomes the name if none given."""
    try:
        shown, normal = split_address(address)
    except BadAddress:
        shown, normal = "", str(address).strip()
    found = lookup(conn, normal)
    if found is not None:
        return found, False
    name = name or shown
    customer_id = inserted_id(conn.execute(
        "INSERT INTO customers (ref, email, name, created_at) VALUES (?, ?, ?, ?)",
        (ref, normal, name, created_at or clock.now_iso())))
    add_address(conn, customer_id, normal)
    audit.record(conn, actor, "customer", customer_id, "create", {"email": normal, "name": name})
    return customer_id, True


def create(db: Database, email: str, name: str = "", *, ref: str | None = None,
           plan: str | None = None, started_at: str | None = None, cycle_days: int = 30) -> int:
    """Create a customer, with a subscription when ``plan`` is given. An
    address that already belongs to a customer is refused (one customer per
    address): use :func:`find_or_create` to reuse them."""
    now = clock.now_iso()
    with db.transaction() as conn:
        taken = lookup(conn, email)
        if taken is not None:
            raise ValidationError([("email", f"{address_key(email)} already belongs to customer {taken}")])
        customer_id = inserted_id(conn.execute(
            "INSERT INTO customers (ref, email, name, created_at) VALUES (?, ?, ?, ?)",
            (ref, email, name, now)))
        add_address(conn, customer_id, email)
        if plan:
            conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                         "VALUES (?, ?, ?, ?)", (customer_id, plan, started_at or now, cycle_days))
        audit.record(conn, db.actor, "customer", customer_id, "create", {"email": email, "name": name})
    return customer_id


def find_or_create(db: Database, email: str, name: str = "") -> int:
    """The customer with this address, or a new one; the address must be a
    valid one (:class:`BadAddress` otherwise). One transaction."""
    normalise_address(email)
    with db.transaction() as conn:
        return for_address(conn, db.actor, email, name)[0]


def find_by_email(db: Database, email: str) -> int | None:
    """The customer with this address (any of theirs, any letter case, with
    or without a display name), the oldest if several."""
    key = address_key(email)
    if not key:
        return None
    found = db.scalar("SELECT customer_id FROM customer_addresses WHERE address = ?", (key,))
    if found is None:
        found = db.scalar("SELECT id FROM customers WHERE email = ? COLLATE NOCASE OR email = ? ORDER BY id LIMIT 1",
                          (key, str(email).strip()))
    return found


def profile(db: Database, customer_id: int, *, now: datetime | None = None,
            history_limit: int = 20) -> CustomerProfile:
    row = db.one("SELECT * FROM customers WHERE id = ?", (customer_id,))
    if row is None:
        raise NotFound(f"Customer {customer_id} does not exist.")
    now = now or clock.now()
    sub = subscription_at(db, customer_id)
    cycle = days = None
    if sub is not None:
        end = clock.parse_iso(sub.cancelled_at) if sub.cancelled_at else now
        started = clock.parse_iso(sub.started_at)
        cycle = billing_cycle(started, sub.cycle_days, end)
        days = max(0, int(clock.days_between(started, end)))
    tickets = [
        PastTicket(r["id"], r["subject"], r["category"], r["status"], r["created_at"],
                   _outcome(r["status"], r["policy_name"], r["policy_number"], r["resolution_id"]))
        for r in db.query(
            """SELECT t.id, t.subject, t.category, t.status, t.created_at,
                      r.id AS resolution_id, p.name AS policy_name, v.number AS policy_number
               FROM tickets t
               LEFT JOIN resolutions r ON r.id = (SELECT max(id) FROM resolutions WHERE ticket_id = t.id)
               LEFT JOIN policy_versions v ON v.id = r.policy_version_id
               LEFT JOIN policies p ON p.id = v.policy_id
               WHERE t.customer_id = ? ORDER BY t.created_at DESC LIMIT ?""",
            (customer_id, history_limit))
    ]
    offers = [
        PastOffer(r["ticket_id"], r["resolved_at"], r["offer_kind"], r["offer_value"],
                  None if r["offer_in_bounds"] is None else bool(r["offer_in_bounds"]))
        for r in db.query(
            """SELECT r.ticket_id, r.resolved_at, r.offer_kind, r.offer_value, r.offer_in_bounds
               FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
               WHERE t.customer_id = ? AND r.offer_value IS NOT NULL
               ORDER BY r.resolved_at DESC LIMIT ?""", (customer_id, history_limit))
    ]
    return CustomerProfile(row["id"], row["name"], row["email"], sub, cycle, days, tickets, offers)


def _outcome(status: str, policy_name: str | None, number: int | None, resolution_id: int | None) -> str:
    if resolution_id is None:
        return status
    if policy_name is None:
        return "resolved, no policy"
    return f"resolved with {policy_name} v{number}"
