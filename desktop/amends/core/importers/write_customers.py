"""Customers and their subscriptions written from a file's records: a
customer found by the file's own id (ref), else by address (the one
find-or-create every path uses), so a Stripe export, a helpdesk and an mbox
meet in one customer; a subscription by its platform ref, else by
(customer, plan, start); each updated field by field, never replaced.
"""

from __future__ import annotations

import sqlite3

from amends.core import clock, customers
from amends.core.importers.records import CustomerRecord
from amends.core.store import migrations


def customer(conn: sqlite3.Connection, actor: str, record: CustomerRecord, counts: dict[str, int] | None,
             sub_counts: dict[str, int] | None = None, unsubscribed: set[int] | None = None) -> int:
    """The customer for a record: by the file's own id (ref), else by address
    through the one find-or-create (customers.for_address: any letter case,
    any of their addresses), so a Stripe export, a helpdesk and an mbox meet
    in one customer; only a new address makes a new customer. Subscriptions
    are added or updated one by one, never replaced."""
    row = conn.execute("SELECT id, email, name FROM customers WHERE ref = ?", (record.ref,)).fetchone()
    changed = False
    existed = row is not None
    subs = record.all_subscriptions()
    if row is None:
        at = min((s.started_at for s in subs), default=None) or clock.now_iso()
        customer_id, created = customers.for_address(conn, actor, record.email, record.name, ref=record.ref,
                                                     created_at=at)
        existed = not created
        if created and counts is not None:
            counts["new"] += 1
        if created and not subs and unsubscribed is not None:
            unsubscribed.add(customer_id)
        if existed:
            changed = _adopt(conn, customer_id, record)
    else:
        customer_id = row[0]
        if customers.address_key(row[1]) != customers.address_key(record.email) or (record.name and
                                                                                      row[2] != record.name):
            conn.execute("UPDATE customers SET email = ?, name = ?, version = version + 1 WHERE id = ?",
                         (record.email, record.name or row[2], customer_id))
            customers.add_address(conn, customer_id, record.email)
            changed = True
    if subs and unsubscribed is not None:  # another record of the file found them by address
        unsubscribed.discard(customer_id)
    subs_changed = False
    for sub in subs:
        written = _subscription(conn, customer_id, sub)
        if sub_counts is not None:
            sub_counts[written or "unchanged"] += 1
        subs_changed = bool(written) or subs_changed
    if subs_changed:
        migrations.recount_cycles(conn, customer_id)
        changed = changed or existed
    if existed and counts is not None:
        counts["updated" if changed else "unchanged"] += 1
    return customer_id


def _adopt(conn, customer_id: int, record) -> bool:
    """A record that found its customer by address: an empty name is filled,
    and the file's own id becomes the customer's ref when theirs was only
    derived from the address (so a later file naming that id finds them)."""
    name, ref = conn.execute("SELECT name, ref FROM customers WHERE id = ?", (customer_id,)).fetchone()
    new_name = name or record.name
    new_ref = record.ref if (ref is None or ref.startswith("email:")) and not record.ref.startswith("email:") \
        else ref
    if (new_name, new_ref) == (name, ref):
        return False
    conn.execute("UPDATE customers SET name = ?, ref = ?, version = version + 1 WHERE id = ?",
                 (new_name, new_ref, customer_id))
    return True


_SUB_FIELDS = ("plan", "started_at", "cycle_days", "status", "cancelled_at", "interval_unit", "interval_count",
               "status_original", "price_minor", "currency", "quantity")


def _subscription(conn, customer_id: int, sub) -> str | None:
    """Insert or update one subscription: by its platform ref, else by
    (customer, plan, start). 'new', 'updated', or None when unchanged."""
    values = tuple(getattr(sub, name) for name in _SUB_FIELDS)
    if sub.ref:
        current = conn.execute(f"SELECT id, customer_id, {', '.join(_SUB_FIELDS)} FROM subscriptions WHERE ref = ?",
                               (sub.ref,)).fetchone()
    else:
        current = conn.execute(f"SELECT id, customer_id, {', '.join(_SUB_FIELDS)} FROM subscriptions "
                               "WHERE customer_id = ? AND plan = ? AND started_at = ? AND ref IS NULL",
                               (customer_id, sub.plan, sub.started_at)).fetchone()
    if current is None:
        conn.execute(f"INSERT INTO subscriptions (customer_id, ref, {', '.join(_SUB_FIELDS)}) "
                     f"VALUES (?, ?, {', '.join('?' * len(_SUB_FIELDS))})", (customer_id, sub.ref, *values))
        return "new"
    if (current[1], *current[2:]) == (customer_id, *values):
        return None
    conn.execute(f"UPDATE subscriptions SET customer_id = ?, {', '.join(f'{n} = ?' for n in _SUB_FIELDS)}, "
                 "version = version + 1 WHERE id = ?", (customer_id, *values, current[0]))
    return "updated"
