"""Export the whole database as one Amends exchange document (docs/FORMAT.md).
Export, import into an empty database and export again gives the same
document, ids aside."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from amends.core import attachments
from amends.core.exporters.snapshot import read_snapshot
from amends.core.output_files import atomic_output
from amends.core.store import Database

FORMAT_VERSION = 1


def _step(row) -> dict:
    step = {"type": row["type"]}
    if row["label"]:
        step["label"] = row["label"]
    if row["days"] is not None:
        step["days"] = row["days"]
    if row["offer_kind"] is not None:
        step["offer_kind"] = row["offer_kind"]
    if row["offer_min"] is not None:
        step["min"] = row["offer_min"]
    if row["offer_max"] is not None:
        step["max"] = row["offer_max"]
    return step


def document(db: Database) -> dict:
    """The whole database as one document, read from one snapshot (the
    lookups made first must still hold for the rows read last)."""
    doc: dict = {}
    for key, index, value in records(db):
        if index is None:
            doc[key] = value
        else:
            doc.setdefault(key, []).append(value)
    doc.setdefault("saved_replies", [])  # always there, even empty (customers, policies, tickets are made empty)
    return doc


#: One part of the document: (key, None, value) for a single value, (key, index, item) for each item of a list.
Record = tuple[str, int | None, Any]


def records(db: Database) -> Iterator[Record]:
    """The document part by part, in the document's order, read from one snapshot:
    what ``document`` assembles, for a reader that must not hold a whole database's
    document at once (``amends move`` compares two exports record by record)."""
    with read_snapshot(db):
        yield from _records(db)


def write_document(db: Database, out: Path, *, force: bool = False) -> int:
    """Write the document to ``out`` atomically; returns the ticket count."""
    with atomic_output(out, force=force, database=db.path) as handle:
        doc = document(db)
        json.dump(doc, handle, indent=1, ensure_ascii=False, allow_nan=False)
    return len(doc["tickets"])


_SUBSCRIPTION_EXTRAS = ("ref", "interval_unit", "interval_count", "status_original", "price_minor", "currency",
                        "quantity")


#: Tickets read per round of queries: a query per ticket costs a round trip to a server
#: (issue 19: 100,000 tickets took minutes on PostgreSQL); a few per chunk do not.
CHUNK = 500


def _tickets(db: Database) -> Iterator[tuple[Any, list, Any, list]]:
    """Each ticket (by id) with its messages (by time), its latest resolution and
    that resolution's steps: the same rows as a query each, read a chunk at a time."""
    last = 0
    while True:
        chunk = db.query("SELECT * FROM tickets WHERE id > ? ORDER BY id LIMIT ?", (last, CHUNK))
        if not chunk:
            return
        # the chunk is every ticket with an id in (first, last]: ranges use the ticket_id indexes
        first, last = last, chunk[-1]["id"]
        messages: dict[int, list] = {}
        for m in db.query("SELECT * FROM messages WHERE ticket_id > ? AND ticket_id <= ? "
                          "ORDER BY ticket_id, created_at, id", (first, last)):
            messages.setdefault(m["ticket_id"], []).append(m)
        latest_ids = "SELECT max(id) FROM resolutions WHERE ticket_id > ? AND ticket_id <= ? GROUP BY ticket_id"
        latest = {r["ticket_id"]: r for r in db.query(f"SELECT * FROM resolutions WHERE id IN ({latest_ids})",
                                                      (first, last))}
        steps: dict[int, list] = {}
        if latest:
            for s in db.query(f"SELECT * FROM resolution_steps WHERE resolution_id IN ({latest_ids}) "
                              "ORDER BY resolution_id, position", (first, last)):
                steps.setdefault(s["resolution_id"], []).append(s)
        for t in chunk:
            r = latest.get(t["id"])
            yield t, messages.get(t["id"], []), r, [] if r is None else steps.get(r["id"], [])


def _records(db: Database) -> Iterator[Record]:
    customer_refs = {r["id"]: r["ref"] or f"c{r['id']}" for r in db.query("SELECT id, ref FROM customers")}
    policy_refs = {r["id"]: r["ref"] or f"p{r['id']}" for r in db.query("SELECT id, ref FROM policies")}
    yield "format", None, "amends"
    yield "version", None, FORMAT_VERSION
    for key in ("customers", "policies", "tickets"):  # present even when empty
        yield key, None, []
    all_subs: dict[int, list] = {}
    for s in db.query("SELECT * FROM subscriptions ORDER BY customer_id, started_at DESC, id DESC"):
        all_subs.setdefault(s["customer_id"], []).append(s)
    for n, c in enumerate(db.query("SELECT * FROM customers ORDER BY id")):
        subs = all_subs.get(c["id"], [])
        sub = subs[0] if subs else None
        entry = {
            "ref": customer_refs[c["id"]], "email": c["email"], "name": c["name"],
            "subscription": None if sub is None else {
                "plan": sub["plan"], "started_at": sub["started_at"], "cycle_days": sub["cycle_days"],
                "status": sub["status"], "cancelled_at": sub["cancelled_at"]}}
        if len(subs) > 1 or any(s[k] is not None for s in subs for k in _SUBSCRIPTION_EXTRAS):
            # Every subscription, with interval, price and the platform's id (older readers read "subscription").
            entry["subscriptions"] = [{"plan": s["plan"], "started_at": s["started_at"],
                                       "cycle_days": s["cycle_days"], "status": s["status"],
                                       "cancelled_at": s["cancelled_at"],
                                       **{k: s[k] for k in _SUBSCRIPTION_EXTRAS if s[k] is not None}}
                                      for s in reversed(subs)]
        yield "customers", n, entry
    version_keys = {}
    for n, p in enumerate(db.query("SELECT * FROM policies ORDER BY id")):
        versions = []
        for v in db.query("SELECT * FROM policy_versions WHERE policy_id = ? ORDER BY number", (p["id"],)):
            version_keys[v["id"]] = (policy_refs[p["id"]], v["number"])
            versions.append({"version": v["number"], "published_at": v["published_at"],
                             "published_by": v["published_by"], "note": v["note"],
                             "steps": [_step(s) for s in db.query(
                                 "SELECT * FROM policy_steps WHERE policy_version_id = ? ORDER BY position",
                                 (v["id"],))]})
        entry = {"ref": policy_refs[p["id"]], "name": p["name"], "category": p["category"],
                 "segment": p["segment"], "versions": versions}
        if p["plan"]:
            entry["plan"] = p["plan"]
        yield "policies", n, entry
    ticket_refs = {r["id"]: r["ref"] or f"t{r['id']}" for r in db.query("SELECT id, ref FROM tickets")}
    ticket_tags: dict[int, list[str]] = {}
    for ticket_id, name in db.tuples("SELECT tt.ticket_id, g.name FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id "
                                     "ORDER BY g.name COLLATE NOCASE"):
        ticket_tags.setdefault(ticket_id, []).append(name)
    with_files = {r[0] for r in db.tuples("SELECT DISTINCT m.ticket_id FROM attachments a "
                                          "JOIN messages m ON m.id = a.message_id")}
    for n, (t, ticket_messages, r, steps) in enumerate(_tickets(db)):
        files = attachments.for_ticket(db, t["id"]) if t["id"] in with_files else {}
        messages = []
        for m in ticket_messages:
            messages.append({"direction": m["direction"], "author": m["author"], "at": m["created_at"],
                             "body": m["body"]})
            if m["id"] in files:  # optional: only messages with files have the key
                messages[-1]["attachments"] = [attachments.exchange_entry(db, f) for f in files[m["id"]]]
        resolution = None
        if r is not None:
            policy_ref, number = version_keys.get(r["policy_version_id"], (None, None))
            resolution = {
                "at": r["resolved_at"], "actor": r["actor"], "policy": policy_ref, "policy_version": number,
                "steps": [{"index": s["position"], "type": s["type"], "outcome": s["outcome"], "reason": s["reason"]}
                          for s in steps],
                # An offer stored before numbers were checked can be infinite: it was never a
                # real offer, and "Infinity" is not JSON, so it is left out like a missing one.
                "offer": None if r["offer_value"] is None or not math.isfinite(r["offer_value"]) else {
                    "kind": r["offer_kind"], "value": r["offer_value"], "override_reason": r["override_reason"]}}
        entry = {
            "ref": ticket_refs[t["id"]], "customer": customer_refs.get(t["customer_id"]),
            "subject": t["subject"], "category": t["category"], "status": t["status"], "priority": t["priority"],
            "assignee": t["assignee"], "created_at": t["created_at"], "updated_at": t["updated_at"],
            "messages": messages, "resolution": resolution}
        # Optional keys (schema v2 data), written only when there is something to say.
        if t["id"] in ticket_tags:
            entry["tags"] = ticket_tags[t["id"]]
        if t["snoozed_until"]:
            entry["snoozed_until"] = t["snoozed_until"]
        if t["merged_into"]:
            entry["merged_into"] = ticket_refs.get(t["merged_into"])
        yield "tickets", n, entry
    for n, (name, colour) in enumerate(db.tuples("SELECT name, colour FROM tags ORDER BY name COLLATE NOCASE")):
        yield "tags", n, {"name": name, "colour": colour}  # the key only when there are tags
    for n, (name, body, step) in enumerate(db.tuples(
            "SELECT name, body, step_type FROM saved_replies ORDER BY name COLLATE NOCASE")):
        yield "saved_replies", n, {"name": name, "body": body, "step": step}
