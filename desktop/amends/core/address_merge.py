"""Merging customers that are one person under one address (issue 13 point 4).

Before schema 3 an address was matched case-sensitively by some paths and by
an importer's own ref by others, so mail from a subscriber (another letter
case, a second import) made a second customer with no subscription, and the
ticket's billing cycle was unknown: the first-cycle policy and the cycle-1
churn analysis could not see it. The version 3 upgrade merges them, once,
in the upgrade's own transaction, and audits every merge."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field

from amends.core import audit, clock, customers
from amends.core.store import migrations

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Merge:
    """One person kept (``kept``) and the duplicate customers folded into it."""

    address: str
    kept: int
    merged: list[int] = field(default_factory=list)
    tickets_moved: int = 0


def merge_duplicates(conn: sqlite3.Connection, actor: str) -> list[Merge]:
    """Fold every group of customers sharing an address into one and give
    each customer its address entries. The one kept is the oldest with a
    subscription (the subscriber), else the oldest. Their tickets and
    subscriptions move; an empty name or ref is taken from a duplicate; the
    moved tickets' billing cycles are recomputed. Runs in the caller's
    transaction."""
    groups: dict[str, list[tuple[int, str, str, str | None]]] = {}
    for row in conn.execute("SELECT id, email, name, ref FROM customers ORDER BY id").fetchall():
        groups.setdefault(customers.address_key(row[1]), []).append((row[0], row[1], row[2], row[3]))
    subscribed = {r[0] for r in conn.execute("SELECT DISTINCT customer_id FROM subscriptions")}
    done: list[Merge] = []
    for key, members in groups.items():
        if key and len(members) > 1:
            done.append(_merge(conn, actor, key, members, subscribed))
    now = clock.now_iso()
    for customer_id, email in conn.execute("SELECT id, email FROM customers ORDER BY id").fetchall():
        key = customers.address_key(email)
        if key:
            conn.execute("INSERT OR IGNORE INTO customer_addresses (address, customer_id, added_at) VALUES (?, ?, ?)",
                         (key, customer_id, now))
    for merge in done:
        log.warning("Upgrade merged customers %s into customer %d (one address: %s; %d tickets moved)",
                    merge.merged, merge.kept, merge.address, merge.tickets_moved)
    return done


def _merge(conn: sqlite3.Connection, actor: str, key: str, members: list[tuple[int, str, str, str | None]],
           subscribed: set[int]) -> Merge:
    kept = next((m for m in members if m[0] in subscribed), members[0])
    others = [m for m in members if m[0] != kept[0]]
    name, ref = kept[2], kept[3]
    moved = 0
    for other_id, _email, other_name, other_ref in others:
        moved += conn.execute("UPDATE tickets SET customer_id = ? WHERE customer_id = ?",
                              (kept[0], other_id)).rowcount
        conn.execute("UPDATE subscriptions SET customer_id = ? WHERE customer_id = ?", (kept[0], other_id))
        conn.execute("DELETE FROM customers WHERE id = ?", (other_id,))
        name = name or other_name
        if other_ref and (ref is None or (ref.startswith("email:") and not other_ref.startswith("email:"))):
            ref = other_ref
    conn.execute("UPDATE customers SET name = ?, ref = ?, version = version + 1 WHERE id = ?", (name, ref, kept[0]))
    migrations.recount_cycles(conn, kept[0])
    conn.execute("""UPDATE customers SET (first_ticket_at, first_ticket_id) =
                    (SELECT created_at, id FROM tickets WHERE customer_id = ? ORDER BY created_at, id LIMIT 1)
                    WHERE id = ?""", (kept[0], kept[0]))
    merge = Merge(key, kept[0], [m[0] for m in others], moved)
    audit.record(conn, actor, "customer", kept[0], "merge_duplicates",
                 {"address": key, "merged": merge.merged, "tickets_moved": moved})
    return merge


def upgrade_merges(conn: sqlite3.Connection) -> list[dict]:
    """What the upgrade merged (from the audit log), for reports."""
    import json

    return [dict(json.loads(change), kept=entity_id) for entity_id, change in conn.execute(
        "SELECT entity_id, change FROM audit_log WHERE entity = 'customer' AND action = 'merge_duplicates' "
        "ORDER BY id").fetchall()]
