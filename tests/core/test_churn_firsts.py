"""The cycle-1 churn reads each customer's first-ticket facts kept by triggers (schema 8, V8CHURN;
issue 16: at 1,000,000 tickets the quarter's ~64,000 first tickets were each joined to the ticket, its
latest resolution and its subscriptions, ~550 ms). After any sequence of writes the groups, the churned
ids and the exclusions must be exactly what schema 7 computed from the rows (tests/core/churn_oracle.py):
tickets opened through the core and written by an import (older ones arriving later), tickets moved to
another customer, re-timed and re-counted, resolutions through the checklist and raw ones (with or
without a policy, a step skipped), subscriptions started, cancelled, restarted, moved and deleted by raw
SQL, customers merged as the upgrade's address merge does, and restamping. Both backends (tests/core)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from amends.core import customers, resolution, tickets
from amends.core.errors import AmendsError
from amends.core.insights import churn
from amends.core.insights.period import Period
from amends.core.resolution import StepOutcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import churn_oracle
from tests.helpers import assert_kept_as_refilled, upgraded_fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIRST = date(2026, 6, 1)
DAYS = 12
CATEGORIES = ["damaged_shipment", "late_delivery", "billing", "cancellation", "other"]
FIRST_OF = """UPDATE customers SET (first_ticket_at, first_ticket_id) =
    (SELECT created_at, id FROM tickets WHERE customer_id = ? ORDER BY created_at, id LIMIT 1) WHERE id = ?"""


def at(day: int, minute: int = 600) -> str:
    moment = FIRST + timedelta(days=day)
    return f"{moment.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00Z"


def assert_same(db, period: Period, window: int, now: str) -> None:
    """The same ids in each group (in any order: neither read orders them) and the same exclusions."""
    mine = churn.first_tickets(db, period, window, now)
    rows = churn_oracle.first_tickets(db, period, window, now)
    assert ({g: sorted(ids) for g, ids in mine[0].items()}, mine[1]) == (
        {g: sorted(ids) for g, ids in rows[0].items()}, rows[1]), (period, window, now)
    assert churn.cycle1_churn(db, period, window, now=now) == churn_oracle.cycle1_churn(db, period, window, now=now)


CUSTOMER = st.integers(0, 4)
DAY = st.integers(-2, DAYS)
WRITES = st.one_of(
    st.tuples(st.just("ticket"), CUSTOMER, st.sampled_from(CATEGORIES), DAY),
    st.tuples(st.just("import_ticket"), CUSTOMER, DAY, st.one_of(st.none(), st.integers(1, 3))),
    st.tuples(st.just("resolve"), st.integers(0, 40), st.sampled_from(["done", "skip"]), st.booleans()),
    st.tuples(st.just("raw_resolve"), st.integers(0, 40), st.booleans(), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("subscribe"), CUSTOMER, DAY, st.one_of(st.none(), DAY)),
    st.tuples(st.just("cancel"), st.integers(0, 20), st.one_of(st.none(), DAY)),
    st.tuples(st.just("restart"), st.integers(0, 20), DAY),
    st.tuples(st.just("move_subscription"), st.integers(0, 20), CUSTOMER),
    st.tuples(st.just("unsubscribe"), st.integers(0, 20)),
    st.tuples(st.just("move_ticket"), st.integers(0, 40), CUSTOMER, st.booleans()),
    st.tuples(st.just("retime"), st.integers(0, 40), DAY),
    st.tuples(st.just("recount"), st.integers(0, 40), st.one_of(st.none(), st.integers(1, 3))),
    st.tuples(st.just("merge_customers"), CUSTOMER, CUSTOMER),
    st.tuples(st.just("restamp_all")),
)


def apply(db, people: list[int], write: tuple, made: list[int]) -> None:
    """One drawn write, through the core where Amends writes it, raw where an import or another tool does."""
    kind = write[0]
    subs = [r[0] for r in db.tuples("SELECT id FROM subscriptions ORDER BY id")]
    alive = [p for p in people if db.scalar("SELECT count(*) FROM customers WHERE id = ?", (p,))]
    try:
        if kind == "ticket" and alive:
            _, who, category, day = write
            made.append(tickets.create(db, "Box", "It came crushed.", customer_id=alive[who % len(alive)],
                                       category=category, created_at=at(day)))
        elif kind == "import_ticket" and alive:  # as importers/writer.py: rows first, first tickets after
            _, who, day, cycle = write
            customer = alive[who % len(alive)]
            with db.transaction() as conn:
                made.append(db.scalar("SELECT max(id) FROM tickets") or 0)
                conn.execute("INSERT INTO tickets (customer_id, subject, category, priority, created_at, updated_at, "
                             "billing_cycle) VALUES (?, 'Imported', 'other', 1, ?, ?, ?)",
                             (customer, at(day, 300), at(day, 300), cycle))
                made[-1] = int(conn.execute("SELECT max(id) FROM tickets").fetchone()[0])
                conn.execute(FIRST_OF, (customer, customer))
        elif kind == "resolve" and made:
            _, index, pattern, first = write
            open_ = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE status <> 'resolved' AND (? = 0 OR id IN "
                                              "(SELECT first_ticket_id FROM customers)) ORDER BY id", (int(first),))]
            if not open_:
                return
            ticket = open_[index % len(open_)]
            checklist = resolution.checklist_for(db, ticket)
            outcomes = [StepOutcome(i, pattern == "done", None if pattern == "done" else "declined")
                        for i, _step in enumerate(checklist.steps)]
            resolution.resolve(db, ticket, checklist.policy.id if checklist.policy else None, outcomes, None)
        elif kind == "raw_resolve" and made:
            _, index, with_policy, skipped, first = write  # often a first ticket: those are what counts here
            firsts = [r[0] for r in db.tuples("SELECT first_ticket_id FROM customers WHERE first_ticket_id IS NOT NULL "
                                              "ORDER BY id")]
            ticket = (firsts or made)[index % len(firsts or made)] if first else made[index % len(made)]
            version = db.scalar("SELECT min(id) FROM policy_versions") if with_policy else None
            with db.transaction() as conn:
                conn.execute("INSERT INTO resolutions (ticket_id, policy_version_id, actor, resolved_at, category, "
                             "steps_skipped) VALUES (?, ?, 'import', ?, (SELECT category FROM tickets WHERE id = ?), ?)",
                             (ticket, version, at(DAYS, 900), ticket, skipped))
        elif kind == "subscribe" and alive:
            _, who, start, cancel = write
            with db.transaction() as conn:
                conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cancelled_at, cycle_days) "
                             "VALUES (?, 'Tea', ?, ?, 7)", (alive[who % len(alive)], at(start, 0),
                                                           None if cancel is None else at(cancel, 100)))
        elif kind == "cancel" and subs:
            with db.transaction() as conn:
                conn.execute("UPDATE subscriptions SET cancelled_at = ? WHERE id = ?",
                             (None if write[2] is None else at(write[2], 700), subs[write[1] % len(subs)]))
        elif kind == "restart" and subs:
            with db.transaction() as conn:
                conn.execute("UPDATE subscriptions SET started_at = ? WHERE id = ?",
                             (at(write[2], 0), subs[write[1] % len(subs)]))
        elif kind == "move_subscription" and subs and alive:
            with db.transaction() as conn:
                conn.execute("UPDATE subscriptions SET customer_id = ? WHERE id = ?",
                             (alive[write[2] % len(alive)], subs[write[1] % len(subs)]))
        elif kind == "unsubscribe" and subs:
            with db.transaction() as conn:
                conn.execute("DELETE FROM subscriptions WHERE id = ?", (subs[write[1] % len(subs)],))
        elif kind == "move_ticket" and made and alive:
            _, index, who, first_again = write  # a ticket's customer corrected; its first ticket kept or not
            ticket, to = made[index % len(made)], alive[who % len(alive)]
            with db.transaction() as conn:
                before = conn.execute("SELECT customer_id FROM tickets WHERE id = ?", (ticket,)).fetchone()[0]
                conn.execute("UPDATE tickets SET customer_id = ? WHERE id = ?", (to, ticket))
                if first_again:
                    for customer in {before, to} - {None}:
                        conn.execute(FIRST_OF, (customer, customer))
        elif kind == "retime" and made:
            with db.transaction() as conn:
                conn.execute("UPDATE tickets SET created_at = ? WHERE id = ?", (at(write[2], 500), made[write[1] % len(made)]))
        elif kind == "recount" and made:
            with db.transaction() as conn:
                conn.execute("UPDATE tickets SET billing_cycle = ? WHERE id = ?", (write[2], made[write[1] % len(made)]))
        elif kind == "merge_customers" and len(alive) > 1:  # as address_merge._merge: tickets, subscriptions, first
            kept, other = alive[write[1] % len(alive)], alive[write[2] % len(alive)]
            if kept == other:
                return
            with db.transaction() as conn:
                conn.execute("UPDATE tickets SET customer_id = ? WHERE customer_id = ?", (kept, other))
                conn.execute("UPDATE subscriptions SET customer_id = ? WHERE customer_id = ?", (kept, other))
                conn.execute("DELETE FROM customer_addresses WHERE customer_id = ?", (other,))
                conn.execute("DELETE FROM customers WHERE id = ?", (other,))
                conn.execute(FIRST_OF, (kept, kept))
        elif kind == "restamp_all":
            from amends.core import billing

            with db.transaction() as conn:
                conn.execute(billing.stamp_sql())
    except AmendsError:
        pass


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(writes=st.lists(WRITES, min_size=8, max_size=30),
       checks=st.lists(st.tuples(st.integers(-2, DAYS), st.integers(-2, DAYS), st.integers(0, 6),
                                 st.integers(0, DAYS + 8)), min_size=1, max_size=3))
def test_churn_from_the_kept_facts_equals_the_churn_from_the_rows(db, writes, checks):
    """Whatever was written before (the database grows over the examples), after these writes every
    period, window and moment gives the oracle's groups, churned ids and exclusions (the whole span after
    every write)."""
    people = [r[0] for r in db.tuples("SELECT id FROM customers ORDER BY id")]
    while len(people) < 5:  # merges delete customers: new ones take addresses never used
        fresh = (db.scalar("SELECT max(id) FROM customers") or 0) + 1
        people.append(customers.create(db, f"p{fresh}@example.com", "P",
                                       **({"plan": "Coffee", "started_at": at(-3, 0), "cycle_days": 7}
                                          if fresh % 2 else {})))
    made = [r[0] for r in db.tuples("SELECT id FROM tickets ORDER BY id")]
    whole = Period(FIRST - timedelta(days=3), FIRST + timedelta(days=DAYS + 1))
    for write in writes:  # after each write: a later write of the same customer would hide a missed one
        apply(db, people, write, made)
        assert_same(db, whole, 3, at(DAYS + 8))
    for a, b, window, now in checks:
        start, end = sorted((a, b))
        assert_same(db, Period(FIRST + timedelta(days=start), FIRST + timedelta(days=end + 1)), window, at(now))


def test_the_churn_reads_the_kept_facts_not_the_tickets(db):
    """Structure, not time: the figures (cycle1_churn) and the drill-down's lists (first_tickets) are each
    one read of a range of churn_firsts' covering index; no statement reads tickets, resolutions or
    customers, and subscriptions only in a subquery (for a first ticket whose subscription was cancelled:
    whether another one is in force at the end of the window)."""
    from amends.core.insights.period import last_full_quarter

    raw = getattr(db.conn, "raw", db.conn)
    quarter = last_full_quarter()
    for sql in (churn.COUNTS_SQL, churn.FIRST_TICKETS_SQL):
        assert "churn_firsts" in sql
        for table in ("tickets", "resolutions", "customers"):
            assert f" {table} " not in f" {sql} ".replace("\n", " "), sql
    if not hasattr(raw, "set_trace_callback"):  # PostgreSQL: the texts above are what runs
        return
    for call in (lambda: churn.cycle1_churn(db, quarter, 60), lambda: churn.first_tickets(db, quarter, 60, at(90))):
        seen: list[str] = []
        raw.set_trace_callback(seen.append)
        try:
            call()
        finally:
            raw.set_trace_callback(None)
        reads = [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
        assert len(reads) == 1 and "churn_firsts" in reads[0], reads
    args = {"start": quarter.start, "end": quarter.end, "window": "+60 days", "cutoff": at(30)}
    for sql in (churn.COUNTS_SQL, churn.FIRST_TICKETS_SQL):
        plan = [r[3] for r in db.tuples("EXPLAIN QUERY PLAN " + sql, args)]
        scans = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
        ranges = [step for step in scans if "churn_firsts" in step]
        assert ranges and all(step.startswith("SEARCH churn_firsts USING COVERING INDEX churn_firsts_period "
                                              "(first_ticket_at>? AND first_ticket_at<?)") for step in ranges), plan
        assert all(step.startswith("SEARCH o USING COVERING INDEX subscriptions_in_force (customer_id=?")
                   for step in scans if step not in ranges), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan


def test_the_subscriptions_are_read_only_for_the_cancelled(db):
    """Rows read, not time: of three first tickets only the one whose subscription was cancelled within
    the window is asked whether another is in force at its end (and having no other subscription, it is
    answered from its row: none)."""
    start = at(-3, 0)
    who = [customers.create(db, f"c{i}@example.com", "C", plan="Tea", started_at=start, cycle_days=7)
           for i in range(3)]
    for i, customer in enumerate(who):
        tickets.create(db, "Box", "Crushed.", customer_id=customer, created_at=at(i))
    with db.transaction() as conn:
        conn.execute("UPDATE subscriptions SET cancelled_at = ? WHERE customer_id = ?", (at(2, 900), who[2]))
    period = Period(FIRST, FIRST + timedelta(days=5))
    rows = db.tuples(churn.FIRST_TICKETS_SQL, {"start": period.start, "end": period.end, "window": "+3 days"})
    assert [r[-1] is None for r in sorted(rows)] == [True, True, False], rows
    assert_same(db, period, 3, at(20))


def test_the_upgrade_and_the_doctor_fill_the_kept_facts(tmp_path):
    """A v7 file upgraded has every customer's first-ticket facts (the oracle's churn, for its whole
    history); emptied (as when another tool dropped a trigger), derived.refill computes them again."""
    from amends.core.insights.period import Period as P
    from amends.core.store import derived

    with upgraded_fixture(tmp_path, 7) as db:
        whole = P(date(2020, 1, 1), date(2027, 1, 1))
        expected = churn_oracle.first_tickets(db, whole, 60, "2027-06-01T00:00:00Z")
        assert sum(len(ids) for ids in expected[0].values()) > 10
        assert db.scalar("SELECT count(*) FROM churn_firsts") == db.scalar(
            "SELECT count(*) FROM customers c JOIN tickets t ON t.id = c.first_ticket_id")
        assert_same(db, whole, 60, "2027-06-01T00:00:00Z")
        with db.transaction() as conn:
            conn.execute("DELETE FROM churn_firsts")
            derived.refill(conn, "churn_firsts")
        assert_same(db, whole, 60, "2027-06-01T00:00:00Z")


def test_another_tool_can_delete_a_resolved_first_ticket(db):
    """A raw delete of a customer's resolved first ticket (another tool; the app deletes none): its
    resolutions go with it (a cascade), whose trigger computed the churn row again from a ticket no longer
    there, and the NOT NULL of churn_firsts refused the whole delete (found by SAVES2's property test
    after the merge). The delete goes through and the kept rows are the fill's."""

    who = customers.create(db, "c@example.com", "C", plan="Tea", started_at=at(-3, 0), cycle_days=7)
    first = tickets.create(db, "Box", "Crushed.", customer_id=who, created_at=at(1))
    tickets.create(db, "Again", "Crushed again.", customer_id=who, created_at=at(2))
    checklist = resolution.checklist_for(db, first)
    resolution.resolve(db, first, checklist.policy.id if checklist.policy else None,
                       [StepOutcome(i, True, None) for i, _step in enumerate(checklist.steps)], None)
    with db.transaction() as conn:
        conn.execute("DELETE FROM ticket_search WHERE rowid = ?", (first,))
        conn.execute("DELETE FROM tickets WHERE id = ?", (first,))
    assert db.scalar("SELECT count(*) FROM tickets WHERE id = ?", (first,)) == 0
    assert_kept_as_refilled(db, "churn_firsts")
