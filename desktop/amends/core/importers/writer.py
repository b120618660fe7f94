"""Writing parsed records: idempotent by external id (``ref``), in the
caller's one transaction. Importing the same file again changes nothing; an
updated export updates what changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from amends.core import audit, clock, customers, policies, rules, surveys, tags
from amends.core.importers import write_customers, write_tickets
from amends.core.importers.records import Parsed, PolicyRecord, RecordProblem
from amends.core.importers.write_batch import Pending


def _step_key(step: policies.Step) -> tuple:
    return (step.type, step.label or "", step.days, step.offer_kind, step.offer_min, step.offer_max)


def mailbox_ids(conn: sqlite3.Connection) -> dict[str, int]:
    """The mailboxes in use by name and by address (lower case → id): a
    file names the one a ticket came in on either way."""
    found: dict[str, int] = {}
    for box_id, label, address in conn.execute(
            "SELECT id, label, from_address FROM mail_accounts WHERE removed_at IS NULL ORDER BY id"):
        for name in (address, label):
            if name:
                found.setdefault(name.strip().lower(), box_id)
    return found


def _unknown_mailboxes(conn: sqlite3.Connection, parsed: Parsed) -> list[RecordProblem]:
    """A ticket naming a mailbox that is not here: a problem of its line
    (never a ticket silently without its mailbox), naming the ones there are."""
    named = [t for t in parsed.tickets if t.mailbox]
    if not named:
        return []
    known = mailbox_ids(conn)
    names = ", ".join(r[0] for r in conn.execute(
        "SELECT coalesce(label, from_address) FROM mail_accounts WHERE removed_at IS NULL ORDER BY id")) \
        or "none is set up yet"
    return [RecordProblem(t.record, "mailbox", f"no mailbox is called {t.mailbox!r} (mailboxes: {names})")
            for t in named if str(t.mailbox).lower() not in known]


def conflicts(conn: sqlite3.Connection, parsed: Parsed) -> list[RecordProblem]:
    """Problems only the database can reveal: a published version in the
    file that differs from the same version here (they are immutable), a
    new published policy whose scope a policy here already covers, and a
    mailbox that is not here."""
    found = _unknown_mailboxes(conn, parsed)
    replaced = bool(parsed.policies) and pristine_defaults(conn)  # write() removes the shipped defaults first
    for policy in parsed.policies:
        row = conn.execute("SELECT id FROM policies WHERE ref = ?", (policy.ref,)).fetchone()
        if row is None and policy.versions and not replaced:
            clash = conn.execute(
                "SELECT p.name, p.ref FROM policies p WHERE p.category = ? AND p.segment = ? AND p.plan IS ? "
                "AND EXISTS (SELECT 1 FROM policy_versions v WHERE v.policy_id = p.id)",
                (policy.category, policy.segment, policy.plan)).fetchone()
            if clash is not None:
                found.append(RecordProblem(policy.record, "policies.segment",
                                           f"the published policy {clash[0]!r} here already covers the same "
                                           "category, segment and plan; one published policy per scope"))
        if row is None:
            continue
        for version in policy.versions:
            existing = conn.execute("SELECT id FROM policy_versions WHERE policy_id = ? AND number = ?",
                                    (row[0], version.version)).fetchone()
            if existing is None:
                continue
            steps = [policies.Step(r[0], r[1] or "", r[2], r[3], r[4], r[5]) for r in conn.execute(
                "SELECT type, label, days, offer_kind, offer_min, offer_max FROM policy_steps "
                "WHERE policy_version_id = ? ORDER BY position", (existing[0],))]
            if [_step_key(s) for s in steps] != [_step_key(s) for s in version.steps]:
                found.append(RecordProblem(policy.record, f"policies.versions[{version.version}]",
                                           f"version {version.version} of {policy.ref!r} is already published here "
                                           "with other steps; published versions never change"))
    return found


def pristine_defaults(conn: sqlite3.Connection) -> bool:
    """Only the shipped default policies, untouched, and no tickets: a new
    database whose placeholders an imported policy set may replace."""
    return conn.execute("""SELECT
        (SELECT count(*) FROM tickets) = 0
        AND (SELECT count(*) FROM policies WHERE ref IS NULL OR ref NOT LIKE 'default-%') = 0
        AND (SELECT count(*) FROM policy_versions) = (SELECT count(*) FROM policies)
        AND (SELECT count(*) FROM policies WHERE draft_dirty = 1) = 0""").fetchone()[0] == 1


def write(conn: sqlite3.Connection, actor: str, parsed: Parsed,
          check_cancel: Callable[[], None] = lambda: None, *, bulk: bool = True) -> dict[str, int]:
    """Write the records; counts of new, updated, unchanged and messages.
    ``bulk``: new tickets' messages and search rows one executemany per
    table (see :class:`Pending`); False writes them ticket by ticket, the
    reference the bulk path is tested against (same rows, same ids)."""
    counts = {"new": 0, "updated": 0, "unchanged": 0, "messages": 0}
    if parsed.policies and pristine_defaults(conn):
        policies.remove_all(conn)
    here = write_tickets.Present.load(conn, parsed)
    customer_ids = {c.ref: write_customers.customer(conn, actor, c, counts if parsed.unit == "customers" else None,
                                                    counts if parsed.unit == "subscriptions" else None,
                                                    here.unsubscribed)
                    for c in parsed.customers}
    versions = {}
    for policy in parsed.policies:
        versions.update(_policy(conn, actor, policy))
    boxes = mailbox_ids(conn) if any(t.mailbox for t in parsed.tickets) else {}
    touched: set[int] = set()
    created: dict[int, rules.Given] = {}  # new tickets, with what their record set itself
    pending = Pending.start(conn, ordered=not parsed.complete, tickets=parsed.complete or parsed.batched) \
        if bulk else None
    for number, ticket in enumerate(parsed.tickets):
        if number % 500 == 0:
            check_cancel()
        customer_id = customer_ids.get(ticket.customer_ref) if ticket.customer_ref else None
        if customer_id is None and ticket.customer_ref:
            row = conn.execute("SELECT id FROM customers WHERE ref = ?", (ticket.customer_ref,)).fetchone()
            customer_id = row[0] if row else None
            if customer_id is None and ticket.customer_ref.startswith("email:"):
                customer_id = customers.lookup(conn, ticket.customer_ref[len("email:"):])
        new_id = write_tickets.ticket(conn, ticket, customer_id, versions,
                                      counts if parsed.unit == "tickets" else None, counts, parsed.complete,
                                      boxes.get((ticket.mailbox or "").lower()), here, pending)
        if new_id is not None and not parsed.complete:
            created[new_id] = rules.given_by(ticket.category, ticket.priority, ticket.assignee)
        if customer_id is not None:
            touched.add(customer_id)
    if pending is not None:
        pending.flush(conn)
    _extras(conn, parsed)
    _bounces(conn, actor, parsed)
    surveys.record_answers(conn, actor, parsed)  # a reply to a satisfaction survey: its score (core/surveys.py)
    rules.apply(conn, actor, created)  # the relations side's rules sort what is new (tags of the file are in)
    for customer_id in touched:
        conn.execute("""UPDATE customers SET (first_ticket_at, first_ticket_id) =
                        (SELECT created_at, id FROM tickets WHERE customer_id = ? ORDER BY created_at, id LIMIT 1)
                        WHERE id = ?""", (customer_id, customer_id))
    return counts


def _policy(conn, actor: str, record: PolicyRecord) -> dict[tuple[str, int], tuple[int, list]]:
    row = conn.execute("SELECT id FROM policies WHERE ref = ?", (record.ref,)).fetchone()
    last = record.versions[-1].steps if record.versions else []
    if row is None:
        first_at = record.versions[0].published_at if record.versions else clock.now_iso()
        policy_id = conn.execute(
            "INSERT INTO policies (ref, name, category, segment, plan, draft_dirty, created_at, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.ref, record.name, record.category, record.segment, record.plan, int(not record.versions),
             first_at, first_at, actor)).lastrowid
        policies._write_draft(conn, policy_id, last)
    else:
        policy_id = row[0]
    found = {}
    for version in record.versions:
        existing = conn.execute("SELECT id FROM policy_versions WHERE policy_id = ? AND number = ?",
                                (policy_id, version.version)).fetchone()
        if existing is None:
            version_id = conn.execute(
                "INSERT INTO policy_versions (policy_id, number, published_at, published_by, note) "
                "VALUES (?, ?, ?, ?, ?)",
                (policy_id, version.version, version.published_at, version.published_by, version.note)).lastrowid
            conn.executemany(
                "INSERT INTO policy_steps (policy_version_id, position, type, label, days, offer_kind, offer_min, "
                "offer_max) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(version_id, i, s.type, s.label, s.days, s.offer_kind, s.offer_min, s.offer_max)
                 for i, s in enumerate(version.steps)])
            if row is not None:
                policies._write_draft(conn, policy_id, version.steps)
        else:
            version_id = existing[0]
        found[(record.ref, version.version)] = (version_id, version.steps)
    return found


def _bounces(conn, actor: str, parsed: Parsed) -> None:
    """A bounce names the mail of ours that did not arrive: that outbox entry
    is marked failed with the reason, so nobody thinks the customer has it."""
    for header_id, reason in parsed.bounced:
        for outbox_id, ticket_id in conn.execute("SELECT id, ticket_id FROM outbox WHERE header_message_id = ? "
                                                 "AND status <> 'failed'", (header_id,)).fetchall():
            conn.execute("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                         (f"bounced: {reason}"[:500], outbox_id))
            audit.record(conn, actor, "ticket", ticket_id, "mail_bounced", {"outbox_id": outbox_id, "reason": reason})


def _extras(conn, parsed: Parsed) -> None:
    """Tags (with colours), snoozes, merges and saved replies of the exchange
    format. Tags are only ever added; a snooze or merge only set when the
    record says so."""
    for name, colour in parsed.tags:
        conn.execute("INSERT INTO tags (name, colour) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET colour = ?",
                     (name, colour, colour))
    for name, body, step in parsed.saved_replies:
        conn.execute("INSERT INTO saved_replies (name, body, step_type, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT (name) DO UPDATE SET body = excluded.body, step_type = excluded.step_type, "
                     "version = version + 1 WHERE body IS NOT excluded.body OR step_type IS NOT excluded.step_type",
                     (name, body, step, clock.now_iso(), "import"))
    for record in parsed.tickets:
        if not (record.tags or record.snoozed_until or record.merged_into):
            continue
        row = conn.execute("SELECT id FROM tickets WHERE ref = ?", (record.ref,)).fetchone()
        if row is None:
            continue  # joined an existing conversation by mail threading
        for name in record.tags:
            conn.execute("INSERT INTO tags (name, colour) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                         (name, tags.PALETTE[-1]))
            conn.execute("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag_id) SELECT ?, id FROM tags WHERE name = ?",
                         (row[0], name))
        if record.snoozed_until:
            conn.execute("UPDATE tickets SET snoozed_until = ? WHERE id = ?", (record.snoozed_until, row[0]))
        if record.merged_into:
            conn.execute("UPDATE tickets SET merged_into = (SELECT id FROM tickets WHERE ref = ?) WHERE id = ?",
                         (record.merged_into, row[0]))
