"""Customers, their subscriptions and the billing cycle a ticket falls in."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from amends.core import audit, clock
from amends.core.errors import NotFound
from amends.core.store import Database
from amends.core.store.rowids import inserted_id


def billing_cycle(started_at: datetime, cycle_days: int, at: datetime) -> int:
    """1 + the number of whole cycles between the subscription's start and
    ``at``. A moment before the start counts as cycle 1."""
    elapsed = clock.days_between(started_at, at)
    return 1 + max(0, math.floor(elapsed / cycle_days))


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


def create(db: Database, email: str, name: str = "", *, ref: str | None = None,
           plan: str | None = None, started_at: str | None = None, cycle_days: int = 30) -> int:
    """Create a customer, with a subscription when ``plan`` is given."""
    now = clock.now_iso()
    with db.transaction() as conn:
        customer_id = inserted_id(conn.execute(
            "INSERT INTO customers (ref, email, name, created_at) VALUES (?, ?, ?, ?)",
            (ref, email, name, now)))
        if plan:
            conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                         "VALUES (?, ?, ?, ?)", (customer_id, plan, started_at or now, cycle_days))
        audit.record(conn, db.actor, "customer", customer_id, "create", {"email": email, "name": name})
    return customer_id


def find_by_email(db: Database, email: str) -> int | None:
    """The customer with this email (case-insensitive), the oldest if several."""
    return db.scalar("SELECT id FROM customers WHERE email = ? COLLATE NOCASE ORDER BY id LIMIT 1",
                     (email.strip(),))


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
