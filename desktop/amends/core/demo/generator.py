"""Fill an empty database with deterministic, realistic demo data.

Customers with subscriptions spread over about 18 months, tickets with
conversations and billing-cycle numbers, resolutions with checklist outcomes
and offers by several people (one of them often past the approved range), a
policy history with later versions, follow-ups, and cancellations that
first-cycle tickets predict unless the recovery sequence was completed.

The same seed and size give the same data (dates relative to ``now``). Built
for a million tickets: rows are made as tuples and written with
``executemany`` in one transaction, so cancel or failure leaves nothing.
"""

from __future__ import annotations

import bisect
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from amends.core import audit, billing, errors, policies
from amends.core.demo import texts
from amends.core.errors import ValidationError
from amends.core.store import Database

DAY = 86_400
HISTORY_DAYS = 548
BATCH = 20_000
#: how often (in tickets) a cancel is asked for between batches
CANCEL_EVERY = 500
MAX_TICKETS = 5_000_000

Progress = Callable[[int, int], None]


Cancelled = errors.Cancelled  # the demo is all-or-nothing: cancel writes nothing


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    tickets: int
    messages: int
    resolutions: int
    seconds: float


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# Policy history: (policy index in DEFAULTS, days before now, note, changed steps or None = DEFAULTS).
_LATER_VERSIONS = (
    ("damaged_shipment", 200, "Raise the save offer to 20 % and ask for a survey: damaged boxes kept churning",
     [policies.Step("apology"), policies.Step("replacement"), policies.Step("check_in", days=7),
      policies.Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=20),
      policies.Step("survey")]),
    ("late_delivery", 95, "Check in sooner: customers chased us before day 5",
     [policies.Step("apology"), policies.Step("custom", label="Check the carrier's tracking"),
      policies.Step("replacement"), policies.Step("check_in", days=3)]),
)
#: Categories the demo leaves without a published policy (a gap to find).
_UNPUBLISHED = ("product_quality",)


@dataclass
class _Version:
    id: int
    start: float
    steps: list[policies.Step]
    offer: policies.Step | None


def _reset_policies(conn, actor: str, anchor: float) -> dict[tuple[str, str], list[_Version]]:
    """Replace the shipped default policies by an 18-month history. Only on a
    database with no tickets, in the demo's own transaction; the audit
    entries of the replaced defaults go too, so that the history the demo
    shows is one consistent story."""
    policies.remove_all(conn, with_audit=True)
    timeline: dict[tuple[str, str], list[_Version]] = {}
    first = anchor - HISTORY_DAYS * DAY - 30 * DAY
    for name, category, segment, steps in policies.DEFAULTS:
        at = _iso(first)
        policy_id = conn.execute(
            "INSERT INTO policies (ref, name, category, segment, draft_dirty, created_at, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (policies.default_ref(category, segment), name, category, segment, int(category in _UNPUBLISHED), at, at,
             actor)).lastrowid
        policies._write_draft(conn, policy_id, steps)
        if category in _UNPUBLISHED:
            continue
        versions = [(first, "Initial policy set", steps)]
        for later_category, days_ago, note, later_steps in _LATER_VERSIONS:
            if later_category == category and segment == "any":
                versions.append((anchor - days_ago * DAY, note, later_steps))
                policies._write_draft(conn, policy_id, later_steps)
        for number, (start, note, vsteps) in enumerate(versions, start=1):
            version_id = policies._insert_version(conn, policy_id, number, _iso(start), actor, note, vsteps)
            offer = next((s for s in vsteps if s.type == "save_offer"), None)
            timeline.setdefault((category, segment), []).append(_Version(version_id, start, vsteps, offer))
    return timeline


def _version_at(timeline, category: str, cycle: int, at: float) -> _Version | None:
    for segment in (("first_cycle", "any") if cycle == 1 else ("any",)):
        versions = timeline.get((category, segment))
        if versions:
            current = None
            for version in versions:
                if version.start <= at:
                    current = version
            if current is not None:
                return current
    return None


def generate(db: Database, tickets: int, seed: int = 1, *, now: datetime | None = None,
             progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> DemoSummary:
    """Fill ``db`` (which must hold no tickets yet) with demo data."""
    if not 0 < tickets <= MAX_TICKETS:
        raise ValidationError([("tickets", f"must be between 1 and {MAX_TICKETS:,}")])
    existing = db.scalar("SELECT count(*) FROM tickets")
    if existing:
        raise ValidationError([("database", f"already holds {existing:,} tickets; demo data goes into "
                                            "an empty database (use another --db file)")])
    people = db.scalar("SELECT count(*) FROM customers")
    if people:
        raise ValidationError([("database", f"already holds {people:,} customers; demo data goes into "
                                            "an empty database (use another --db file)")])
    started = time.perf_counter()
    rng = random.Random(seed)
    anchor = float(int((now or datetime.now(UTC)).timestamp()) // 60 * 60)
    report = progress or (lambda done, total: None)
    stop = cancelled or (lambda: False)
    total_steps = tickets + 1
    actor = db.actor

    # -- customers and subscriptions -----------------------------------
    n_customers = max(10, tickets // 3)
    plan_names = [p[0] for p in texts.PLANS]
    plan_cycles = {p[0]: p[1] for p in texts.PLANS}
    plan_cum = list(_cumulative([p[2] for p in texts.PLANS]))
    cust_start: list[float] = []
    cust_plan: list[str] = []
    customer_rows = []
    subscription_rows = []
    for i in range(n_customers):
        first = rng.choice(texts.FIRST_NAMES)
        last = rng.choice(texts.LAST_NAMES)
        start = anchor - rng.random() * HISTORY_DAYS * DAY
        plan = plan_names[bisect.bisect(plan_cum, rng.random() * plan_cum[-1])]
        cust_start.append(start)
        cust_plan.append(plan)
        email = f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@{texts.DOMAINS[i % len(texts.DOMAINS)]}"
        customer_rows.append((i + 1, f"demo-c{i + 1}", email, f"{first} {last}", _iso(start - DAY)))
        subscription_rows.append((i + 1, i + 1, plan, _iso(start), plan_cycles[plan]))

    # -- ticket skeletons, in time order so ids follow creation ---------
    cat_names = [c[0] for c in texts.CATEGORY_WEIGHTS]
    cum_all = list(_cumulative([c[1] for c in texts.CATEGORY_WEIGHTS]))
    cum_first = list(_cumulative([c[2] for c in texts.CATEGORY_WEIGHTS]))
    skeletons = []
    for _ in range(tickets):
        c = rng.randrange(n_customers)
        start = cust_start[c]
        cycle_days = plan_cycles[cust_plan[c]]
        if rng.random() < 0.3:
            created = start + rng.random() * min(cycle_days * DAY, anchor - start)
        else:
            created = start + rng.random() * (anchor - start)
        cycle = 1 + int((created - start) // (cycle_days * DAY))
        cum = cum_first if cycle == 1 else cum_all
        category = cat_names[bisect.bisect(cum, rng.random() * cum[-1])]
        skeletons.append((created, c, cycle, category))
    skeletons.sort()

    # A large page cache keeps index pages in memory during the bulk insert.
    cache = db.scalar("PRAGMA cache_size")
    db.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    try:
        with db.transaction() as conn:
            counts = _fill(conn, rng, actor, anchor, customer_rows, subscription_rows, skeletons,
                           cust_start, report, stop, total_steps, tickets, n_customers, seed)
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")
    return DemoSummary(n_customers, tickets, counts.messages, counts.resolutions,
                       time.perf_counter() - started)


def _fill(conn, rng, actor, anchor, customer_rows, subscription_rows, skeletons, cust_start, report, stop,
          total_steps, tickets, n_customers, seed) -> _Written:
    # Checked again inside the write lock: another demo (a second process on
    # the same new file) may have filled it since the first look.
    existing = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    if existing:
        raise ValidationError([("database", f"already holds {existing:,} tickets (another demo just filled it); "
                                            "demo data goes into an empty database")])
    timeline = _reset_policies(conn, actor, anchor)
    conn.executemany("INSERT INTO customers (id, ref, email, name, created_at) VALUES (?, ?, ?, ?, ?)",
                     customer_rows)
    conn.executemany("INSERT INTO subscriptions (id, customer_id, plan, started_at, cycle_days, price_minor, currency) "
                     "VALUES (?, ?, ?, ?, ?, ?, 'USD')", [(*row, texts.PRICES[row[2]]) for row in subscription_rows])
    # What a replacement costs, so that the Review shows recovery in money (estimated).
    conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                     [(f"replacement_cost.{category}", json.dumps({"minor": minor, "currency": "USD"}))
                      for category, minor in texts.REPLACEMENT_COSTS.items()])
    report(1, total_steps)
    counts = _write_tickets(conn, rng, skeletons, customer_rows, timeline, anchor, report, stop, total_steps)
    _write_churn(conn, rng, counts.first_cycle, cust_start, anchor)
    conn.execute(billing.stamp_sql())  # the subscription in force, once for every ticket (F3)
    _write_reviews_and_proposals(conn, rng, anchor, tickets)
    _write_tags_and_snoozes(conn, rng, anchor)
    audit.record(conn, actor, "database", None, "demo",
                 {"tickets": tickets, "customers": n_customers, "seed": seed}, at=_iso(anchor))
    return counts


_PROPOSALS = (
    ("damaged_shipment", "open", "Second damaged box in a row: replace and offer 20 % without asking for photos"),
    ("late_delivery", "open", "Switch late-delivery check-ins to 2 days; customers chase us on day 3"),
    ("product_quality", "open", "We need a published policy for quality complaints: 70 tickets a quarter, none"),
    ("billing", "declined", "Refund the whole cycle on any double charge"),
)


def _write_reviews_and_proposals(conn, rng, anchor: float, tickets: int) -> None:
    """Policies reviewed at different times (a few overdue), and proposals
    filed from the inbox, so the Policies pane has something to show."""
    agents = [a[0] for a in texts.AGENTS]
    for (policy_id,) in conn.execute("SELECT id FROM policies WHERE draft_dirty = 0 ORDER BY id").fetchall():
        at = _iso(anchor - rng.randint(5, 130) * DAY)
        conn.execute("INSERT INTO policy_reviews (policy_id, reviewed_at, reviewed_by, note) VALUES (?, ?, ?, ?)",
                      (policy_id, at, agents[0], "Quarterly review: offers and skipped steps looked at"))
        conn.execute("UPDATE policies SET last_reviewed_at = ? WHERE id = ?", (at, policy_id))
    for category, status, text in _PROPOSALS:
        linked = [r[0] for r in conn.execute(
            "SELECT id FROM tickets WHERE category = ? ORDER BY id DESC LIMIT ?", (category, rng.randint(2, 5)))]
        if not linked:
            continue
        policy = conn.execute("SELECT id FROM policies WHERE category = ? ORDER BY segment = 'any' DESC, id LIMIT 1",
                              (category,)).fetchone()
        at = _iso(anchor - rng.randint(1, 20) * DAY)
        decided = _iso(anchor - DAY) if status != "open" else None
        proposal_id = conn.execute(
            "INSERT INTO proposals (text, category, policy_id, status, created_at, created_by, decided_at, decided_by, "
            "decline_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (text, category, policy[0] if policy else None, status, at, rng.choice(agents[1:]), decided,
             agents[0] if decided else None, "Refunds stay per item; see the Review pane" if decided else None)
        ).lastrowid
        conn.executemany("INSERT INTO proposal_tickets (proposal_id, ticket_id) VALUES (?, ?)",
                         [(proposal_id, t) for t in linked])


_TAGS = (("VIP", "#d64545"), ("fragile", "#e0892b"), ("influencer", "#5b5fc7"), ("needs photo", "#2b8bb5"))


def _write_tags_and_snoozes(conn, rng, anchor: float) -> None:
    """Tags with colours on some tickets (VIP customers, fragile goods) and a
    few active tickets snoozed for the coming days, so the views show them."""
    tag_ids = {name: conn.execute("INSERT INTO tags (name, colour) VALUES (?, ?)", (name, colour)).lastrowid
               for name, colour in _TAGS}
    rows = []
    vip = {c for (c,) in conn.execute("SELECT id FROM customers WHERE id % 29 = 3")}
    for ticket_id, customer_id, category in conn.execute("SELECT id, customer_id, category FROM tickets"):
        if customer_id in vip:
            rows.append((ticket_id, tag_ids["VIP"]))
        if category == "damaged_shipment" and rng.random() < 0.25:
            rows.append((ticket_id, tag_ids["fragile"]))
            if rng.random() < 0.3:
                rows.append((ticket_id, tag_ids["needs photo"]))
        elif rng.random() < 0.01:
            rows.append((ticket_id, tag_ids["influencer"]))
    conn.executemany("INSERT INTO ticket_tags (ticket_id, tag_id) VALUES (?, ?)", rows)
    pending = [r[0] for r in conn.execute("SELECT id FROM tickets WHERE status = 'pending' ORDER BY id DESC LIMIT 400")]
    conn.executemany("UPDATE tickets SET snoozed_until = ? WHERE id = ?",
                     [(_iso(anchor + rng.randint(1, 6) * DAY + 9 * 3600), t) for t in pending[::25]])


def _cumulative(weights):
    total = 0
    for weight in weights:
        total += weight
        yield total


@dataclass(frozen=True)
class _Written:
    messages: int
    resolutions: int
    first_cycle: dict[int, bool]  # customer index -> recovery completed?


def _write_tickets(conn, rng, skeletons, customer_rows, timeline, anchor, report, stop, total_steps) -> _Written:
    agents = texts.AGENTS
    # Rows for executemany, in each INSERT's column order.
    ticket_rows: list[tuple[object, ...]] = []
    search_rows: list[tuple[object, ...]] = []
    message_rows: list[tuple[object, ...]] = []
    resolution_rows: list[tuple[object, ...]] = []
    step_rows: list[tuple[object, ...]] = []
    followup_rows: list[tuple[object, ...]] = []
    first_cycle: dict[int, bool] = {}  # customer index -> recovery completed?
    message_id = resolution_id = 0

    def flush() -> None:
        conn.executemany("INSERT INTO tickets (id, ref, customer_id, subject, status, category, priority, "
                         "assignee, created_at, updated_at, resolved_at, billing_cycle) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ticket_rows)
        conn.executemany("INSERT INTO ticket_search (rowid, subject, body) VALUES (?, ?, ?)", search_rows)
        conn.executemany("INSERT INTO messages (id, ticket_id, direction, author, created_at, body) "
                         "VALUES (?, ?, ?, ?, ?, ?)", message_rows)
        conn.executemany("INSERT INTO resolutions (id, ticket_id, policy_version_id, segment, actor, resolved_at, "
                         "offer_kind, offer_value, offer_min, offer_max, offer_in_bounds, override_reason, "
                         "category, steps_total, steps_skipped, replacements, refunds) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", resolution_rows)
        conn.executemany("INSERT INTO resolution_steps (resolution_id, position, type, outcome, reason) "
                         "VALUES (?, ?, ?, ?, ?)", step_rows)
        conn.executemany("INSERT INTO followups (ticket_id, resolution_id, kind, note, due_at, created_at, "
                         "done_at, done_by) VALUES (?, ?, 'check_in', ?, ?, ?, ?, ?)", followup_rows)
        for rows in (ticket_rows, search_rows, message_rows, resolution_rows, step_rows, followup_rows):
            rows.clear()

    for index, (created, c, cycle, category) in enumerate(skeletons):
        ticket_id = index + 1
        customer_name = customer_rows[c][3]
        first = customer_name.split(" ")[0]
        agent, generosity, skip_rate = agents[rng.randrange(len(agents))]
        age_days = (anchor - created) / DAY
        roll = rng.random()
        if age_days > 14:
            status = "resolved" if roll < 0.97 else ("pending" if roll < 0.985 else "open")
        else:
            status = "open" if roll < 0.45 else ("pending" if roll < 0.65 else "resolved")
        assignee = None if status == "open" and rng.random() < 0.5 else agent
        priority = 3 if rng.random() < 0.03 else (2 if rng.random() < 0.15 else (0 if rng.random() < 0.1 else 1))
        subject = rng.choice(texts.SUBJECTS[category])
        cause = texts.CAUSES[category][texts.SUBJECTS[category].index(subject)]  # no draw: the stream is unchanged
        body = (f"{rng.choice(texts.OPENINGS)}\n\n{texts.DETAILS[category].capitalize()} Also, {cause}. "
                f"Order for {customer_name}.\n\n{rng.choice(texts.CLOSINGS)}\n{first}")
        bodies = [body]
        t = created
        message_id += 1
        message_rows.append((message_id, ticket_id, "in", customer_name, _iso(t), body))
        if status != "open" or rng.random() < 0.3:
            t += rng.uniform(0.05, 1.5) * DAY
            reply = rng.choice(texts.REPLIES).format(first=first)
            message_id += 1
            message_rows.append((message_id, ticket_id, "out", agent, _iso(min(t, anchor)), reply))
            bodies.append(reply)
            if rng.random() < 0.35:
                t += rng.uniform(0.05, 1.0) * DAY
                answer = rng.choice(texts.FOLLOW_UPS)
                message_id += 1
                message_rows.append((message_id, ticket_id, "in", customer_name, _iso(min(t, anchor)), answer))
                bodies.append(answer)
        if rng.random() < 0.2:
            note = rng.choice(texts.NOTES)
            message_id += 1
            message_rows.append((message_id, ticket_id, "note", agent, _iso(min(t, anchor)), note))
            bodies.append(note)
        updated = min(t, anchor)
        resolved_at = None
        if status == "resolved":
            resolved = min(anchor, updated + rng.uniform(0.01, 2.0) * DAY)
            resolved_at = _iso(resolved)
            updated = resolved
            resolution_id += 1
            complete = _resolve(rng, resolution_id, ticket_id, category, cycle, resolved, agent, generosity,
                                skip_rate, timeline, anchor, resolution_rows, step_rows, followup_rows)
            if cycle == 1:
                first_cycle[c] = first_cycle.get(c, True) and complete
        elif cycle == 1:
            first_cycle[c] = False
        ticket_rows.append((ticket_id, f"demo-t{ticket_id}", c + 1, subject, status, category, priority,
                            assignee, _iso(created), _iso(updated), resolved_at, cycle))
        search_rows.append((ticket_id, subject, "\n".join(bodies)))
        if ticket_id % CANCEL_EVERY == 0 and stop():  # not only per batch: a batch is minutes on a server
            raise Cancelled()
        if len(ticket_rows) >= BATCH:
            flush()
            report(ticket_id + 1, total_steps)
            if stop():
                raise Cancelled()
    flush()
    firsts: dict[int, tuple[str, int]] = {}
    for index, (created, c, _cycle, _category) in enumerate(skeletons):
        if c not in firsts:  # skeletons are in time order
            firsts[c] = (_iso(created), index + 1)
    conn.executemany("UPDATE customers SET first_ticket_at = ?, first_ticket_id = ? WHERE id = ?",
                     [(at, ticket, c + 1) for c, (at, ticket) in firsts.items()])
    report(total_steps, total_steps)
    return _Written(message_id, resolution_id, first_cycle)


def _resolve(rng, resolution_id, ticket_id, category, cycle, resolved, agent, generosity, skip_rate, timeline,
             anchor, resolution_rows, step_rows, followup_rows) -> bool:
    """Record one resolution; return True when every step was done."""
    version = _version_at(timeline, category, cycle, resolved)
    segment = "first_cycle" if cycle == 1 else "established"
    if version is None:
        resolution_rows.append((resolution_id, ticket_id, None, segment, agent, _iso(resolved),
                                None, None, None, None, None, None, category, 0, 0, 0, 0))
        return False
    complete = True
    skipped_count = replacements = refunds = 0
    offer_value = override = in_bounds = None
    for position, step in enumerate(version.steps):
        skipped = rng.random() < skip_rate
        complete = complete and not skipped
        reason = rng.choice(texts.SKIP_REASONS) if skipped else None
        step_rows.append((resolution_id, position, step.type, "skipped" if skipped else "done", reason))
        skipped_count += skipped
        replacements += step.type == "replacement" and not skipped
        refunds += step.type == "refund" and not skipped
        if step.type == "check_in" and not skipped:
            due = resolved + (step.days or 7) * DAY
            # Check-ins get done, mostly: old ones nearly always, recent ones less.
            age = (anchor - due) / DAY
            done = age > 0 and rng.random() < (0.995 if age > 21 else 0.6)
            followup_rows.append((ticket_id, resolution_id, step.describe(), _iso(due), _iso(resolved),
                                  _iso(due + rng.uniform(0, 2) * DAY) if done else None, agent if done else None))
        bounds = step.bounds()
        if step.type == "save_offer" and not skipped and bounds is not None:
            low, high = bounds
            value = low + (high - low) * min(1.0, rng.random() * generosity * 1.2)
            if rng.random() < generosity * 0.25:
                value = high * rng.uniform(1.1, 1.6)
            value = round(value) if step.offer_kind != "free_addon" else float(round(min(value, high * 2)))
            in_bounds = int(low <= value <= high)
            override = None if in_bounds else rng.choice(texts.OVERRIDE_REASONS)
            offer_value = float(value)
    offer = version.offer
    resolution_rows.append((resolution_id, ticket_id, version.id, segment, agent, _iso(resolved),
                            offer.offer_kind if offer and offer_value is not None else None, offer_value,
                            offer.offer_min if offer else None, offer.offer_max if offer else None,
                            in_bounds, override, category, len(version.steps), skipped_count,
                            int(replacements), int(refunds)))
    return complete


def _write_churn(conn, rng, first_cycle: dict[int, bool], cust_start: list[float], anchor: float) -> None:
    """Cancel and pause subscriptions: first-cycle ticket holders churn more,
    unless their recovery sequence was completed."""
    cancels, pauses = [], []
    for c, start in enumerate(cust_start):
        chance = (0.16 if first_cycle[c] else 0.42) if c in first_cycle else 0.12
        roll = rng.random()
        if roll < chance:
            at = start + rng.uniform(20, 120) * DAY
            if at < anchor:
                cancels.append((_iso(at), c + 1))
        elif roll < chance + 0.04:
            pauses.append((c + 1,))
    conn.executemany("UPDATE subscriptions SET status = 'cancelled', cancelled_at = ? WHERE id = ?", cancels)
    conn.executemany("UPDATE subscriptions SET status = 'paused' WHERE id = ?", pauses)
