"""Customers, their subscriptions and the billing cycle a ticket falls in."""

from __future__ import annotations

import functools
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from amends.core import audit, billing, clock
from amends.core.errors import NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id


def billing_cycle(started_at: datetime, interval: billing.Interval | int, at: datetime) -> int:
    """1 + the number of whole billing intervals between the subscription's
    start and ``at`` (calendar months for monthly plans; a bare number is
    days). A moment before the start counts as cycle 1."""
    if isinstance(interval, int):
        interval = billing.Interval("day", interval)
    return billing.cycle_number(started_at, interval, at)


in_force_id = billing.in_force_id

SUBSCRIPTION_COLUMNS = ("id, plan, started_at, cycle_days, status, cancelled_at, interval_unit, interval_count, "
                        "ref, status_original, price_minor, currency")


@dataclass(frozen=True)
class Subscription:
    id: int
    plan: str
    started_at: str
    cycle_days: int
    status: str
    cancelled_at: str | None
    interval: billing.Interval = billing.Interval("day", 30)
    ref: str | None = None
    status_original: str | None = None  # the platform's own word (trialing, past_due, FAILED ...)
    price_minor: int | None = None      # per cycle, in the currency's smallest unit
    currency: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row | tuple) -> Subscription:
        """From a row selected with :data:`SUBSCRIPTION_COLUMNS`."""
        return cls(row[0], row[1], row[2], row[3], row[4], row[5], billing.stored(row[6], row[7], row[3]),
                   row[8], row[9], row[10], row[11])

    def cycle_at(self, at: datetime) -> int:
        return billing_cycle(clock.parse_iso(self.started_at), self.interval, at)


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
    #: Every subscription, the latest started first (``subscription`` is the one in force now).
    subscriptions: list[Subscription] = field(default_factory=list)


def subscription_at(db: Database | sqlite3.Connection, customer_id: int,
                    at: str | None = None) -> Subscription | None:
    """The subscription that counts at ``at`` (see :func:`in_force_id`):
    with two boxes, or a cancelled one and a new one, the one in force then.
    Without ``at``: as of now."""
    sql = f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = {in_force_id()}"
    params = {"customer": customer_id, "at": at or clock.now_iso()}
    row = db.execute(sql, params).fetchone() if isinstance(db, sqlite3.Connection) else db.one(sql, params)
    return None if row is None else Subscription.from_row(row)


def subscriptions(db: Database, customer_id: int) -> list[Subscription]:
    """Every subscription of the customer, the latest started first."""
    return [Subscription.from_row(r) for r in db.tuples(
        f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE customer_id = ? ORDER BY started_at DESC, id DESC",
        (customer_id,))]


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
    return _split_address(str(text).strip())


@functools.lru_cache(maxsize=8192)
def _split_address(raw: str) -> tuple[str, str]:
    """:func:`split_address` of stripped text, remembered: a mail fetch or
    an import reads the same sender several times per message (reading,
    finding the customer, their address entry), and email-validator's IDNA
    checks were a fifth of a fetch's time (benchmarks/bench_mail.py). A
    refused address raises each time (exceptions are not remembered)."""
    bracketed = _BRACKETED.fullmatch(raw)
    if bracketed:
        name, address = bracketed.group(1) or bracketed.group(2) or "", bracketed.group(3)
    elif raw and not any(c in raw for c in '<>"') and not any(c.isspace() for c in raw):
        name, address = "", raw
    else:
        raise BadAddress(raw, "it is empty" if not raw else 'expected ada@example.com or "Ada" <ada@example.com>')
    from email_validator import EmailNotValidError, validate_email  # its rules compile in ~40 ms: when needed

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
           plan: str | None = None, started_at: str | None = None, cycle_days: int = 30,
           interval: billing.Interval | None = None) -> int:
    """Create a customer, with a subscription when ``plan`` is given
    (``interval`` wins over ``cycle_days``). An address that already belongs
    to a customer is refused (one customer per address): use
    :func:`find_or_create` to reuse them."""
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
            every = interval or billing.Interval("day", cycle_days)
            conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days, interval_unit, "
                         "interval_count) VALUES (?, ?, ?, ?, ?, ?)",
                         (customer_id, plan, started_at or now, every.approx_days, every.unit, every.count))
        audit.record(conn, db.actor, "customer", customer_id, "create", {"email": email, "name": name})
    return customer_id


def find_or_create(db: Database, email: str, name: str = "") -> int:
    """The customer with this address, or a new one; the address must be a
    valid one (:class:`BadAddress` otherwise). One transaction."""
    normalise_address(email)
    with db.transaction() as conn:
        return for_address(conn, db.actor, email, name)[0]


def find_by_email(db: Database | sqlite3.Connection, email: str) -> int | None:
    """The customer with this address (any of theirs, any letter case, with
    or without a display name), the oldest if several. Takes a connection
    too, for importers inside their transaction."""
    if isinstance(db, sqlite3.Connection):
        return lookup(db, email)
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
    sub = subscription_at(db, customer_id, clock.to_iso(now))
    cycle = days = None
    if sub is not None:
        end = clock.parse_iso(sub.cancelled_at) if sub.cancelled_at else now
        started = clock.parse_iso(sub.started_at)
        cycle = billing_cycle(started, sub.interval, end)
        days = max(0, int(clock.days_between(started, end)))
    # Plain tuples, by position: name lookups on sqlite3.Row were most of the sidebar's cost (issue 16).
    tickets = [
        PastTicket(r[0], r[1], r[2], r[3], r[4], _outcome(r[3], r[6], r[7], r[5]))
        for r in db.tuples(
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
        PastOffer(r[0], r[1], r[2], r[3], None if r[4] is None else bool(r[4]))
        for r in db.tuples(
            """SELECT r.ticket_id, r.resolved_at, r.offer_kind, r.offer_value, r.offer_in_bounds
               FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
               WHERE t.customer_id = ? AND r.offer_value IS NOT NULL
               ORDER BY r.resolved_at DESC LIMIT ?""", (customer_id, history_limit))
    ]
    return CustomerProfile(row["id"], row["name"], row["email"], sub, cycle, days, tickets, offers,
                           subscriptions(db, customer_id))


def _outcome(status: str, policy_name: str | None, number: int | None, resolution_id: int | None) -> str:
    if resolution_id is None:
        return status
    if policy_name is None:
        return "resolved, no policy"
    return f"resolved with {policy_name} v{number}"
