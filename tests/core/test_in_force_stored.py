"""The subscription in force when a ticket was opened, stored on the ticket
(issue 16, F3: the Review evaluated billing.in_force_id once per resolution,
first ticket and save-offer customer: 70 % of its raw SQL at 1,000,000
tickets).

What the Review reads (billing.in_force_of_ticket: the stamp in
tickets.subscription_id, or computed for a ticket not stamped yet) must be,
at every moment, exactly what billing.in_force_id answers for (customer_id,
created_at): subscriptions are added, cancelled, moved and removed after the
tickets (imports of a platform's export, address merges, other tools on the
file), so triggers restamp, whatever writes. Checked on real files through
real write paths and through random raw SQL (any other tool), and on a v3
file upgraded; the demo stamps every ticket (the benchmark's file)."""

from __future__ import annotations

from pathlib import Path

from amends.core import customers, importers, tickets
from amends.core.billing import in_force_id, in_force_of_ticket
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.subscription_exports import STRIPE, stripe_row, write
from tests.helpers import upgraded_fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _mismatches(conn) -> list[tuple]:
    """Tickets whose stored subscription is not the one in force now."""
    return conn.execute(
        f"SELECT id, customer_id, created_at, subscription_id, {in_force_id('t.customer_id', 't.created_at')} "
        f"FROM tickets t WHERE {in_force_of_ticket('t')} IS NOT {in_force_id('t.customer_id', 't.created_at')}"
    ).fetchall()


def _read(db, ticket_id: int) -> int | None:
    return db.scalar(f"SELECT {in_force_of_ticket('t')} FROM tickets t WHERE id = ?", (ticket_id,))


def test_kept_through_the_write_paths(db, tmp_path):
    ada = customers.create(db, "ada@example.com", "Ada", plan="Coffee", started_at="2026-02-01T00:00:00Z")
    early = tickets.create(db, "Before any box", "hello", customer_id=ada, created_at="2026-01-15T00:00:00Z")
    late = tickets.create(db, "Box crushed", "crushed", customer_id=ada, created_at="2026-03-10T00:00:00Z")
    nobody = tickets.create(db, "Who am I", "hi")
    first = db.scalar("SELECT id FROM subscriptions WHERE customer_id = ?", (ada,))
    assert _read(db, late) == first
    assert _read(db, early) == first, "the latest, else"
    assert _read(db, nobody) is None
    # A platform's export, imported after the tickets: an older box (in force at both tickets: the longest running
    # counts) and its cancellation later.
    older = write(tmp_path / "stripe.csv", STRIPE, [
        stripe_row("sub_old", "cus_1", "ada@example.com", "active", "2025-12-01 00:00")])
    assert importers.import_file(db, older).errors == []
    old_id = db.scalar("SELECT id FROM subscriptions WHERE ref = 'stripe:sub_old'")
    assert _read(db, late) == old_id
    cancelled = write(tmp_path / "stripe2.csv", STRIPE, [
        stripe_row("sub_old", "cus_1", "ada@example.com", "canceled", "2025-12-01 00:00",
                   canceled="2026-03-01 00:00")])
    assert importers.import_file(db, cancelled).errors == []
    assert _read(db, late) == first
    assert _read(db, early) == old_id
    assert db.scalar("SELECT subscription_id FROM tickets WHERE id = ?", (late,)) == first, "stamped by the import"
    assert _mismatches(db.conn) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["sub", "cancel", "uncancel", "move", "delete", "ticket", "reassign",
                                           "redate"]),
                          st.integers(0, 2), st.integers(0, 40)), min_size=1, max_size=25))
def test_kept_whatever_raw_sql_another_tool_runs(tmp_path_factory, steps):
    db = open_database(tmp_path_factory.mktemp("raw") / "raw.db", "t")
    conn = db.conn
    try:
        for n in range(3):
            conn.execute("INSERT INTO customers (id, email, name, created_at) VALUES (?, ?, '', '2026-01-01')",
                         (n + 1, f"c{n}@example.com"))
        for n in range(4):
            conn.execute("INSERT INTO tickets (customer_id, subject, created_at, updated_at) VALUES (?, 's', ?, ?)",
                         (n % 3 + 1, f"2026-01-{n * 7 + 1:02d}T00:00:00Z", "2026-01-01T00:00:00Z"))
        for op, who, day in steps:
            at = f"2026-0{day // 20 + 1}-{day % 20 + 1:02d}T00:00:00Z"
            sub = conn.execute("SELECT id FROM subscriptions ORDER BY id LIMIT 1 OFFSET ?",
                               (day % 3,)).fetchone()
            ticket = conn.execute("SELECT id FROM tickets ORDER BY id LIMIT 1 OFFSET ?", (day % 4,)).fetchone()
            if op == "sub":
                conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                             "VALUES (?, 'p', ?, 30)", (who + 1, at))
            elif op == "cancel" and sub:
                conn.execute("UPDATE subscriptions SET cancelled_at = ? WHERE id = ?", (at, sub[0]))
            elif op == "uncancel" and sub:
                conn.execute("UPDATE subscriptions SET cancelled_at = NULL, started_at = ? WHERE id = ?",
                             (at, sub[0]))
            elif op == "move" and sub:
                conn.execute("UPDATE subscriptions SET customer_id = ? WHERE id = ?", (who + 1, sub[0]))
            elif op == "delete" and sub:
                conn.execute("DELETE FROM subscriptions WHERE id = ?", (sub[0],))
            elif op == "ticket":
                conn.execute("INSERT INTO tickets (customer_id, subject, created_at, updated_at) VALUES (?, 's', ?, ?)",
                             (who + 1, at, at))
            elif op == "reassign" and ticket:
                conn.execute("UPDATE tickets SET customer_id = ? WHERE id = ?", (None if who == 2 else who + 1,
                                                                                 ticket[0]))
            elif op == "redate" and ticket:
                conn.execute("UPDATE tickets SET created_at = ? WHERE id = ?", (at, ticket[0]))
            assert _mismatches(conn) == [], (op, who, day)
    finally:
        db.close()


def test_a_v3_file_gets_it_on_upgrade(tmp_path):
    with upgraded_fixture(tmp_path, 3) as db:
        assert _mismatches(db.conn) == []
        assert db.scalar("SELECT count(*) FROM tickets WHERE subscription_id IS NULL") == 0, "all stamped"
        assert db.scalar("SELECT count(*) FROM tickets WHERE subscription_id > 0") > 0


def test_the_demo_stamps_every_ticket(tmp_path):
    """The benchmark's file: every ticket stamped, so the Review reads the stamps."""
    from datetime import UTC, datetime

    from amends.core import demo

    db = open_database(tmp_path / "demo.db", "t")
    try:
        demo.generate(db, 300, seed=3, now=datetime(2026, 11, 25, tzinfo=UTC))
        assert db.scalar("SELECT count(*) FROM tickets WHERE subscription_id IS NULL") == 0
        assert db.scalar("SELECT count(*) FROM tickets WHERE subscription_id > 0") > 0
        assert _mismatches(db.conn) == []
    finally:
        db.close()
