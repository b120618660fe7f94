"""One ticket record written: a new ticket (on its own or into the batch),
an update of the one with its ref, or its messages joining the
conversation they answer (threading headers, else a subject reference);
its messages (by Message-ID, else by content) and its resolution, once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from amends.core import clock, customers, rules, thanks, tickets
from amends.core.importers.records import Parsed, TicketRecord
from amends.core.importers.write_batch import INSERT_SEARCH, INSERT_TICKET, Pending, defects_json, insert_messages
from amends.core.mail import reference
from amends.core.store.rowids import inserted_id


@dataclass
class Present:
    """Which of the file's ticket refs and message ids (its own and those
    its messages answer) are in the database: found with one query per
    table per file, and kept up to date as this write adds tickets and
    messages, so that each ticket and message is checked against a set, not
    by a query of its own (those queries were a third of a mail fetch's
    write, benchmarks/bench_mail.py)."""

    refs: set[str]
    message_ids: set[str]
    #: The subject reference template, read when first needed.
    reference: str | None = None
    #: Customers this write made without a subscription: none is in force for them.
    unsubscribed: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, conn: sqlite3.Connection, parsed: Parsed) -> Present:
        ids = {m.external_id for t in parsed.tickets for m in t.messages if m.external_id}
        ids.update(r for t in parsed.tickets for r in t.references)
        return cls(_existing(conn, "SELECT ref FROM tickets WHERE ref IN", {t.ref for t in parsed.tickets}),
                   _existing(conn, "SELECT external_id FROM messages WHERE external_id IN", ids))


def _existing(conn: sqlite3.Connection, select: str, values: Iterable[str]) -> set[str]:
    wanted, found = list(values), set[str]()
    for offset in range(0, len(wanted), 500):
        chunk = wanted[offset:offset + 500]
        found.update(r[0] for r in conn.execute(f"{select} ({','.join('?' * len(chunk))})", chunk))
    return found


#: The file's published policy versions: (policy ref, number) → (version id, its steps).
Versions = dict[tuple[str, int], tuple[int, list]]


def ticket(conn: sqlite3.Connection, record: TicketRecord, customer_id: int | None, versions: Versions,
           counts: dict[str, int] | None, totals: dict[str, int], complete: bool, mailbox_id: int | None,
           here: Present, pending: Pending | None = None) -> int | None:
    """Write one ticket record; the new ticket's id, None when it updated
    one or joined a conversation. ``mailbox_id``: the mailbox the file says
    it came in on (None leaves it as it is)."""
    # A ticket was updated at least when its last message came.
    record.updated_at = max([record.updated_at, *(m.at for m in record.messages)])
    row = conn.execute("SELECT id, subject, category, status, priority, assignee, created_at, updated_at, customer_id "
                       "FROM tickets WHERE ref = ?", (record.ref,)).fetchone() if record.ref in here.refs else None
    if row is None and any(r in here.message_ids for r in record.references):
        if pending is not None and pending.ordered:  # the message it answers may be pending
            pending.flush(conn)
        # A reply to mail we already have: it joins that conversation.
        known = conn.execute(
            f"SELECT ticket_id FROM messages WHERE external_id IN ({','.join('?' * len(record.references))}) "
            "ORDER BY id LIMIT 1", record.references).fetchone()
        if known is not None:
            _append_messages(conn, known[0], record, totals, here)
            return None
    if row is None and record.ref.startswith("mail:") and here.reference is None:
        here.reference = reference.stored_template(conn)
    if row is None and pending is not None and pending.holds() and reference.mentions(record, here.reference):
        pending.flush(conn)  # the ticket its subject names may be one of this file's, not (all) written yet
    if row is None and (referred := reference.ticket_for(conn, record, here.reference)) is not None:
        # no usable threading headers, but the subject names the customer's own ticket
        if pending is not None and pending.ordered:
            pending.flush(conn)
        _append_messages(conn, referred, record, totals, here)
        return None
    cycle = None
    if customer_id is not None and customer_id not in here.unsubscribed:
        sub = customers.subscription_at(conn, customer_id, record.created_at)
        if sub is not None:
            cycle = sub.cycle_at(clock.parse_iso(record.created_at))
    resolved_at = record.resolution.at if record.resolution else None
    category, priority, assignee = record.category, record.priority, record.assignee
    if row is not None and not complete:  # what the file leaves at its default stays as a rule or a person set it
        given = rules.given_by(category, priority, assignee)
        category = category if given.category else row[2]
        priority = priority if given.priority else row[4]
        assignee = assignee if given.assignee else row[5]
    fields = (record.subject, category, record.status, priority, assignee, record.created_at,
              record.updated_at, customer_id)
    changed = False
    if row is None:
        # A new ticket: its messages and search entry go straight in (the
        # common case of a first import, kept to three statements), or with
        # the other new tickets' (see Pending).
        fresh = [m for m in record.messages if m.external_id not in here.message_ids]
        batch = pending if pending is not None and not any(m.attachments for m in fresh) else None
        if batch is not None and batch.tickets is not None:
            ticket_id = batch.ticket_id(conn)
            batch.tickets.append((ticket_id, record.ref, *fields, cycle, resolved_at, mailbox_id))
        else:
            if pending is not None and (pending.tickets or (batch is None and pending.ordered)):
                # a ticket written on its own takes the next free id; its messages keep the order they came in
                pending.flush(conn)
            ticket_id = inserted_id(conn.execute(INSERT_TICKET, (record.ref, *fields, cycle, resolved_at, mailbox_id)))
        here.refs.add(record.ref)
        if counts is not None:
            counts["new"] += 1
        here.message_ids.update(m.external_id for m in fresh if m.external_id)
        totals["messages"] += len(fresh)
        search = (ticket_id, record.subject, "\n".join(m.body for m in sorted(fresh, key=lambda m: m.at)))
        if batch is not None:
            batch.messages.extend((ticket_id, m.direction, m.author, m.at, m.body, m.external_id, m.html, m.flag,
                                   defects_json(m)) for m in fresh)
            batch.search.append(search)
        else:
            insert_messages(conn, ticket_id, fresh, [m.flag for m in fresh])
            conn.execute(INSERT_SEARCH, search)
        if record.resolution is not None:
            _resolution(conn, ticket_id, record, cycle, versions)
        return ticket_id
    ticket_id = row[0]
    if pending is not None and pending.ordered:
        pending.flush(conn)
    if tuple(row[1:]) != fields:
        conn.execute("UPDATE tickets SET subject = ?, category = ?, status = ?, priority = ?, assignee = ?, "
                     "created_at = ?, updated_at = ?, customer_id = ?, billing_cycle = ?, "
                     "resolved_at = coalesce(?, resolved_at), version = version + 1 WHERE id = ?",
                     (*fields, cycle, resolved_at, ticket_id))
        changed = True
    if mailbox_id is not None and conn.execute(
            "UPDATE tickets SET mailbox_id = ?, version = version + 1 WHERE id = ? AND mailbox_id IS NOT ?",
            (mailbox_id, ticket_id, mailbox_id)).rowcount:
        changed = True
    added = _append_messages(conn, ticket_id, record, totals, here, reindex=False)
    changed = changed or bool(added)
    if record.resolution is not None:
        changed = _resolution(conn, ticket_id, record, cycle, versions) or changed
    if changed:
        tickets.reindex(conn, ticket_id)
    if counts is not None:
        counts["updated" if changed else "unchanged"] += 1
    return None


def _append_messages(conn, ticket_id: int, record: TicketRecord, totals: dict, here: Present, *,
                     reindex: bool = True) -> list:
    """Messages not there yet: by external id (Message-ID) when they have
    one, else by their content."""
    present = {tuple(r) for r in conn.execute(
        "SELECT direction, author, created_at, body FROM messages WHERE ticket_id = ?", (ticket_id,))}
    added = []
    for m in record.messages:
        if m.external_id is not None:
            if m.external_id in here.message_ids:
                continue
        elif (m.direction, m.author, m.at, m.body) in present:
            continue
        added.append(m)
    status = conn.execute("SELECT status FROM tickets WHERE id = ?", (ticket_id,)).fetchone()[0]
    inbound = [m for m in added if m.direction == "in" and m.flag is None]  # a bounce is not the customer
    # A reply to a resolved ticket reopens it, unless it only says thanks:
    # then it is attached and marked, and the ticket stays resolved.
    quiet = status == "resolved" and bool(inbound) and all(thanks.is_thanks_only(m.body) for m in inbound)
    insert_messages(conn, ticket_id, added,
                     [m.flag or ("thanks" if quiet and m.direction == "in" else None) for m in added])
    here.message_ids.update(m.external_id for m in added if m.external_id)
    totals["messages"] += len(added)
    if added:
        latest = max(m.at for m in added)
        conn.execute("UPDATE tickets SET updated_at = max(updated_at, ?) WHERE id = ?", (latest, ticket_id))
    if inbound:  # the customer wrote: a snoozed ticket comes back now
        conn.execute("UPDATE tickets SET snoozed_until = NULL WHERE id = ? AND snoozed_until IS NOT NULL",
                     (ticket_id,))
    if status == "resolved" and inbound and not quiet and record.ref.startswith("mail:"):
        conn.execute("UPDATE tickets SET status = 'open', version = version + 1 WHERE id = ?", (ticket_id,))
    if added and reindex:
        tickets.reindex(conn, ticket_id)
    return added


def _resolution(conn, ticket_id: int, record: TicketRecord, cycle, versions) -> bool:
    res = record.resolution
    if res is None:  # only called for tickets that come with one
        return False
    if conn.execute("SELECT 1 FROM resolutions WHERE ticket_id = ? AND resolved_at = ?",
                    (ticket_id, res.at)).fetchone():
        return False
    version_id, steps = versions.get((res.policy_ref, res.policy_version), (None, []))
    offer_step = next((s for s in steps if s.type == "save_offer"), None)
    offer = res.offer
    in_bounds = None
    if offer is not None and offer_step is not None:
        in_bounds = int(offer_step.offer_min <= offer.value <= offer_step.offer_max)
    done = [s.type for s in res.steps if s.outcome == "done"]
    segment = "first_cycle" if cycle == 1 else ("established" if cycle else "unknown")
    resolution_id = conn.execute(
        "INSERT INTO resolutions (ticket_id, policy_version_id, segment, actor, resolved_at, offer_kind, offer_value, "
        "offer_min, offer_max, offer_in_bounds, override_reason, category, steps_total, steps_skipped, replacements, "
        "refunds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ticket_id, version_id, segment, res.actor, res.at, offer.kind if offer else None,
         offer.value if offer else None, offer_step.offer_min if offer_step else None,
         offer_step.offer_max if offer_step else None, in_bounds, offer.override_reason if offer else None,
         record.category, len(res.steps), len(res.steps) - len(done), done.count("replacement"),
         done.count("refund"))).lastrowid
    conn.executemany("INSERT INTO resolution_steps (resolution_id, position, type, outcome, reason) "
                     "VALUES (?, ?, ?, ?, ?)",
                     [(resolution_id, s.index, s.type, s.outcome, s.reason) for s in res.steps])
    return True
