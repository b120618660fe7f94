"""Writing parsed records: idempotent by external id (``ref``), in the
caller's one transaction. Importing the same file again changes nothing; an
updated export updates what changed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from amends.core import attachments, audit, clock, customers, policies, rules, surveys, tags, thanks, tickets
from amends.core.importers.records import Parsed, PolicyRecord, RecordProblem, TicketRecord
from amends.core.mail import reference
from amends.core.store import migrations, schema


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


@dataclass
class _Present:
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
    def load(cls, conn: sqlite3.Connection, parsed: Parsed) -> _Present:
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


def write(conn: sqlite3.Connection, actor: str, parsed: Parsed,
          check_cancel: Callable[[], None] = lambda: None, *, bulk: bool = True) -> dict[str, int]:
    """Write the records; counts of new, updated, unchanged and messages.
    ``bulk``: new tickets' messages and search rows one executemany per
    table (see :class:`_Pending`); False writes them ticket by ticket, the
    reference the bulk path is tested against (same rows, same ids)."""
    counts = {"new": 0, "updated": 0, "unchanged": 0, "messages": 0}
    if parsed.policies and pristine_defaults(conn):
        policies.remove_all(conn)
    here = _Present.load(conn, parsed)
    customer_ids = {c.ref: _customer(conn, actor, c, counts if parsed.unit == "customers" else None,
                                     counts if parsed.unit == "subscriptions" else None, here.unsubscribed)
                    for c in parsed.customers}
    versions = {}
    for policy in parsed.policies:
        versions.update(_policy(conn, actor, policy))
    boxes = mailbox_ids(conn) if any(t.mailbox for t in parsed.tickets) else {}
    touched: set[int] = set()
    created: dict[int, rules.Given] = {}  # new tickets, with what their record set itself
    pending = _Pending.start(conn, ordered=not parsed.complete, tickets=parsed.complete or parsed.batched) \
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
        new_id = _ticket(conn, ticket, customer_id, versions, counts if parsed.unit == "tickets" else None, counts,
                         parsed.complete, boxes.get((ticket.mailbox or "").lower()), here, pending)
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


def _defects(message) -> str | None:
    return json.dumps(message.defects, ensure_ascii=False) if message.defects else None


_INSERT_SEARCH = "INSERT INTO ticket_search (rowid, subject, body) VALUES (?, ?, ?)"


@dataclass
class _Pending:
    """New tickets' messages and search rows, written after their tickets
    with one executemany per table: three statements per ticket, interleaved
    over the ~30 B-trees of three tables, cost twice as much (issue 16).
    A complete (exchange format) file's records never read each other's
    messages (no mail threading, refs are unique). Mail may (a reply joining
    a ticket of the same batch, a subject reference, an update): so for mail
    (``ordered``) whatever is pending is written before any other write or
    read of messages, and the rows and their ids are the same as written one
    by one (tests/core/test_mail_bulk_write.py).

    Files whose records never read each other's rows (``Parsed.batched``:
    the exchange format and CSV) batch the new tickets too, on SQLite: they
    get their ids here (the ones SQLite would give: one past the largest)
    and go in *after* their messages, with the foreign keys checked at
    commit (``PRAGMA defer_foreign_keys``, this transaction only). Each
    message's waiting trigger then finds no ticket to update, and one
    statement sets the new tickets' waiting columns from their messages with
    the schema's own recompute (schema.WAITING, what the triggers keep): per
    message, those updates moved the ticket in two indexes and were half of
    the messages' cost."""

    messages: list[tuple] = field(default_factory=list)
    search: list[tuple] = field(default_factory=list)
    ordered: bool = False
    #: New tickets' rows (id first) not written yet; None: tickets are written one by one.
    tickets: list[tuple] | None = None
    _next_id: int | None = None

    @classmethod
    def start(cls, conn: sqlite3.Connection, *, ordered: bool, tickets: bool) -> _Pending:
        pending = cls(ordered=ordered)
        if tickets and isinstance(conn, sqlite3.Connection):  # PostgreSQL keeps its ticket-first order
            conn.execute("PRAGMA defer_foreign_keys = ON")  # off again when the transaction ends
            pending.tickets = []
        return pending

    def ticket_id(self, conn: sqlite3.Connection) -> int:
        """The id the next new ticket gets (as SQLite would give it)."""
        if self._next_id is None:
            self._next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
        ticket_id = self._next_id
        self._next_id += 1
        return ticket_id

    def holds(self) -> bool:
        return bool(self.messages or self.search or self.tickets)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Everything pending written; the next ticket written on its own
        finds its ids free."""
        conn.executemany(_INSERT_MESSAGE, self.messages)
        conn.executemany(_INSERT_SEARCH, self.search)
        self.messages.clear()
        self.search.clear()
        if self.tickets:
            conn.executemany(_INSERT_TICKET_WITH_ID, self.tickets)
            conn.execute(schema.WAITING + " WHERE id BETWEEN ? AND ?", (self.tickets[0][0], self.tickets[-1][0]))
            self.tickets.clear()
        self._next_id = None


_TICKET_COLUMNS = ("ref, subject, category, status, priority, assignee, created_at, updated_at, customer_id, "
                   "billing_cycle, resolved_at, mailbox_id")
_INSERT_TICKET = f"INSERT INTO tickets ({_TICKET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_TICKET_WITH_ID = f"INSERT INTO tickets (id, {_TICKET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_MESSAGE = ("INSERT INTO messages (ticket_id, direction, author, created_at, body, external_id, html, flag, "
                   "defects) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _insert_messages(conn, ticket_id: int, added: list, flags: list) -> None:
    """Messages in one statement; those with files one by one, each file
    listed on its message (a file over the size limit noted on it)."""
    if not any(m.attachments for m in added):
        conn.executemany(_INSERT_MESSAGE, [(ticket_id, m.direction, m.author, m.at, m.body, m.external_id, m.html,
                                            flag, _defects(m)) for m, flag in zip(added, flags)])
        return
    max_bytes = attachments.limit(conn)
    for m, flag in zip(added, flags):
        m.defects.extend(note for note in attachments.over_limit(m.attachments, max_bytes) if note not in m.defects)
        message_id = conn.execute(_INSERT_MESSAGE, (ticket_id, m.direction, m.author, m.at, m.body, m.external_id,
                                                    m.html, flag, _defects(m))).lastrowid
        attachments.store(conn, message_id, m.attachments, max_bytes)


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


def _customer(conn, actor: str, record, counts, sub_counts=None, unsubscribed: set[int] | None = None) -> int:
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


def _ticket(conn, record: TicketRecord, customer_id, versions, counts, totals, complete: bool,
            mailbox_id: int | None, here: _Present, pending: _Pending | None = None) -> int | None:
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
        # the other new tickets' (see _Pending).
        fresh = [m for m in record.messages if m.external_id not in here.message_ids]
        batch = pending if pending is not None and not any(m.attachments for m in fresh) else None
        if batch is not None and batch.tickets is not None:
            ticket_id = batch.ticket_id(conn)
            batch.tickets.append((ticket_id, record.ref, *fields, cycle, resolved_at, mailbox_id))
        else:
            if pending is not None and (pending.tickets or (batch is None and pending.ordered)):
                # a ticket written on its own takes the next free id; its messages keep the order they came in
                pending.flush(conn)
            ticket_id = conn.execute(_INSERT_TICKET, (record.ref, *fields, cycle, resolved_at, mailbox_id)).lastrowid
        here.refs.add(record.ref)
        if counts is not None:
            counts["new"] += 1
        here.message_ids.update(m.external_id for m in fresh if m.external_id)
        totals["messages"] += len(fresh)
        search = (ticket_id, record.subject, "\n".join(m.body for m in sorted(fresh, key=lambda m: m.at)))
        if batch is not None:
            batch.messages.extend((ticket_id, m.direction, m.author, m.at, m.body, m.external_id, m.html, m.flag,
                                   _defects(m)) for m in fresh)
            batch.search.append(search)
        else:
            _insert_messages(conn, ticket_id, fresh, [m.flag for m in fresh])
            conn.execute(_INSERT_SEARCH, search)
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


def _append_messages(conn, ticket_id: int, record: TicketRecord, totals: dict, here: _Present, *,
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
    _insert_messages(conn, ticket_id, added,
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
