"""Customers, their subscriptions and the billing cycle a ticket falls in."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from amends.core import audit, billing, clock
from amends.core.errors import NotFound
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
    def from_row(cls, row: sqlite3.Row | tuple) -> "Subscription":
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
    return [Subscription.from_row(r) for r in db.query(
        f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE customer_id = ? ORDER BY started_at DESC, id DESC",
        (customer_id,))]


def create(db: Database, email: str, name: str = "", *, ref: str | None = None,
           plan: str | None = None, started_at: str | None = None, cycle_days: int = 30,
           interval: billing.Interval | None = None) -> int:
    """Create a customer, with a subscription when ``plan`` is given
    (``interval`` wins over ``cycle_days``)."""
    now = clock.now_iso()
    with db.transaction() as conn:
        customer_id = inserted_id(conn.execute(
            "INSERT INTO customers (ref, email, name, created_at) VALUES (?, ?, ?, ?)",
            (ref, email, name, now)))
        if plan:
            every = interval or billing.Interval("day", cycle_days)
            conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days, interval_unit, "
                         "interval_count) VALUES (?, ?, ?, ?, ?, ?)",
                         (customer_id, plan, started_at or now, every.approx_days, every.unit, every.count))
        audit.record(conn, db.actor, "customer", customer_id, "create", {"email": email, "name": name})
    return customer_id


def find_by_email(db: Database | sqlite3.Connection, email: str) -> int | None:
    """The customer with this email (case-insensitive), the oldest if several.
    Takes a connection too, for importers inside their transaction."""
    sql = "SELECT id FROM customers WHERE email = ? COLLATE NOCASE ORDER BY id LIMIT 1"
    if isinstance(db, sqlite3.Connection):
        row = db.execute(sql, (email.strip(),)).fetchone()
        return None if row is None else int(row[0])
    return db.scalar(sql, (email.strip(),))


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
    return CustomerProfile(row["id"], row["name"], row["email"], sub, cycle, days, tickets, offers,
                           subscriptions(db, customer_id))


def _outcome(status: str, policy_name: str | None, number: int | None, resolution_id: int | None) -> str:
    if resolution_id is None:
        return status
    if policy_name is None:
        return "resolved, no policy"
    return f"resolved with {policy_name} v{number}"
