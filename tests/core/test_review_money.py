"""The Review's money of recovery reads per-day sums kept by triggers (schema 7, V7RESOL; issue 16: the
period's ~236,000 resolutions joined to their tickets and subscriptions took ~1.1 s at 1,000,000 tickets).
The price is not immutable: it is the price, now, of the subscription in force when the ticket was opened,
so the sums are corrected when a stamp or a price changes. After any sequence of writes the figures must
be what schema 6 computed from the rows (tests/core/review_oracle.py): resolutions through the checklist
(percent offers, account credits, replacements, refunds) and raw ones as an import writes them (a free
add-on, no kind, an offer stored before numbers were checked), subscriptions added, re-priced, moved,
cancelled and deleted by raw SQL in one statement each (as an import of a platform's export or another
tool does), and tickets moved to another customer. Both backends (tests/core)."""

from __future__ import annotations

import math
import shutil
from datetime import date, timedelta
from pathlib import Path

from amends.core import customers, money, resolution, tickets
from amends.core.errors import AmendsError
from amends.core.insights.period import Period
from amends.core.insights.resolutions import recovery_money
from amends.core.resolution import Offer, StepOutcome
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import review_oracle
from tests.helpers import assert_kept_as_refilled, upgraded_fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIRST = date(2026, 6, 28)
DAYS = 6
CATEGORIES = ["damaged_shipment", "late_delivery", "wrong_item", "billing", "cancellation", "other"]
PRICES = st.one_of(st.none(), st.sampled_from([0, 999, 1010, 2900, 2999, 4500]))
CURRENCIES = st.sampled_from([None, "", "USD", "EUR", "JPY"])


def at(day: int, minute: int = 600) -> str:
    moment = FIRST + timedelta(days=day)
    return f"{moment.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00Z"


def assert_same(db, period: Period, policy_id: int | None = None) -> None:
    """The sums' figures are the rows': the same categories, estimates and unpriced counts, and amounts
    equal to the minor unit (both round a float sum; summed per day, in another order, a sum may differ
    in its last bit, which moves a total lying exactly on a half minor unit by one)."""
    mine, rows = recovery_money(db, period, policy_id), review_oracle.recovery_money(db, period, policy_id)
    assert mine.keys() == rows.keys(), (period, mine, rows)
    for category, (amounts, estimated, unpriced) in rows.items():
        got = mine[category]
        assert (got[1], got[2]) == (estimated, unpriced), (period, category, got, rows[category])
        assert got[0].keys() == amounts.keys(), (period, category, got, rows[category])
        for currency, amount in amounts.items():
            unit = 10 ** -money.exponent(currency)
            assert math.isclose(got[0][currency], amount, abs_tol=unit * 1.001), (period, category, got, amount)


CUSTOMER = st.integers(0, 3)
WRITES = st.one_of(
    st.tuples(st.just("ticket"), CUSTOMER, st.sampled_from(CATEGORIES), st.integers(0, DAYS - 1)),
    st.tuples(st.just("resolve"), st.integers(0, 40), st.integers(0, DAYS - 1), st.sampled_from(["done", "skip"]),
              st.one_of(st.none(), st.sampled_from([0.0, 5.0, 7.5, 10.0, 12.5, 15.0]))),
    st.tuples(st.just("raw_resolve"), st.integers(0, 40), st.integers(0, DAYS - 1),
              st.sampled_from([None, "free_addon", "percent_next_cycle", "account_credit"]),
              st.sampled_from([None, 3.0, 12.5, math.inf]), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("subscribe"), CUSTOMER, st.integers(-3, DAYS), PRICES, CURRENCIES),
    st.tuples(st.just("reprice"), st.integers(0, 20), PRICES, CURRENCIES),
    st.tuples(st.just("reprice_and_move"), st.integers(0, 20), PRICES, CURRENCIES, CUSTOMER,
              st.integers(-3, DAYS), st.one_of(st.none(), st.integers(-3, DAYS))),
    st.tuples(st.just("unsubscribe"), st.integers(0, 20)),
    st.tuples(st.just("move_ticket"), st.integers(0, 40), CUSTOMER),
    st.tuples(st.just("restamp_all")),
)


def apply(db, people: list[int], write: tuple, made: list[int]) -> None:
    """One drawn write, through the core where Amends writes it, raw where an import or another tool does."""
    kind = write[0]
    subs = [r[0] for r in db.tuples("SELECT id FROM subscriptions ORDER BY id")]
    try:
        if kind == "ticket":
            _, who, category, day = write
            made.append(tickets.create(db, "Box", "It came crushed.", customer_id=people[who], category=category,
                                       created_at=at(day)))
        elif kind == "resolve" and made:
            _, index, day, pattern, value = write
            open_ = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE status <> 'resolved' ORDER BY id")]
            if not open_:
                return
            ticket = open_[index % len(open_)]
            checklist = resolution.checklist_for(db, ticket)
            offer_step = checklist.policy.offer_step() if checklist.policy else None
            outcomes = [StepOutcome(i, value is not None if step is offer_step else pattern == "done",
                                    None if pattern == "done" or (step is offer_step and value is not None)
                                    else "declined")
                        for i, step in enumerate(checklist.steps)]
            offer = None if value is None or offer_step is None else Offer(value, override_reason="test")
            resolution.resolve(db, ticket, checklist.policy.id if checklist.policy else None, outcomes, offer,
                               at=at(day, 700))
        elif kind == "raw_resolve" and made:
            _, index, day, offer_kind, value, replacements, refunds = write
            ticket = made[index % len(made)]
            with db.transaction() as conn:
                conn.execute("INSERT INTO resolutions (ticket_id, actor, resolved_at, offer_kind, offer_value, category, "
                             "replacements, refunds) VALUES (?, 'import', ?, ?, ?, "
                             "(SELECT category FROM tickets WHERE id = ?), ?, ?)",
                             (ticket, at(day, 800), offer_kind, value, ticket, replacements, refunds))
        elif kind == "subscribe":
            _, who, day, price, currency = write
            with db.transaction() as conn:
                conn.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days, price_minor, "
                             "currency) VALUES (?, 'Tea', ?, 30, ?, ?)", (people[who], at(day, 0), price, currency))
        elif kind == "reprice" and subs:
            _, index, price, currency = write
            with db.transaction() as conn:
                conn.execute("UPDATE subscriptions SET price_minor = ?, currency = ? WHERE id = ?",
                             (price, currency, subs[index % len(subs)]))
        elif kind == "reprice_and_move" and subs:  # one statement, as the importer's update of a subscription
            _, index, price, currency, who, start, cancel = write
            with db.transaction() as conn:
                conn.execute("UPDATE subscriptions SET price_minor = ?, currency = ?, customer_id = ?, started_at = ?, "
                             "cancelled_at = ? WHERE id = ?",
                             (price, currency, people[who], at(start, 0), None if cancel is None else at(cancel, 0),
                              subs[index % len(subs)]))
        elif kind == "unsubscribe" and subs:
            with db.transaction() as conn:
                conn.execute("DELETE FROM subscriptions WHERE id = ?", (subs[write[1] % len(subs)],))
        elif kind == "move_ticket" and made:
            with db.transaction() as conn:
                conn.execute("UPDATE tickets SET customer_id = ? WHERE id = ?",
                             (people[write[2]], made[write[1] % len(made)]))
        elif kind == "restamp_all":
            from amends.core import billing

            with db.transaction() as conn:
                conn.execute(billing.stamp_sql())
    except AmendsError:
        pass


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(writes=st.lists(WRITES, min_size=1, max_size=25), periods=st.lists(st.tuples(
    st.integers(0, DAYS - 1), st.integers(0, DAYS - 1)), min_size=1, max_size=2))
def test_money_from_the_sums_equals_the_money_from_the_rows(db, writes, periods):
    """Whatever was written before (the database grows over the examples), after these writes every
    period's money from the per-day sums is the oracle's, for the whole Review and for each policy."""
    from amends.core import costs

    people = [r[0] for r in db.tuples("SELECT id FROM customers ORDER BY id")]
    while len(people) < 4:
        people.append(customers.create(db, f"p{len(people)}@example.com", "P"))
    if not costs.replacement_costs(db):
        costs.set_replacement_cost(db, "damaged_shipment", "12.50", "USD")
    made = [r[0] for r in db.tuples("SELECT id FROM tickets ORDER BY id")]
    for write in writes:
        apply(db, people, write, made)
    whole = Period(FIRST, FIRST + timedelta(days=DAYS))
    assert_same(db, whole)
    for policy in [r[0] for r in db.tuples("SELECT id FROM policies ORDER BY id")]:
        assert_same(db, whole, policy)
    for a, b in periods:
        start, end = sorted((a, b))
        assert_same(db, Period(FIRST + timedelta(days=start), FIRST + timedelta(days=end)))


def test_the_money_reads_its_sums_not_the_resolutions(db):
    """Structure, not time: the Review's money is one read of review_money_days (a quarter is ~90 days of a
    few rows each); no statement reads resolutions, tickets or subscriptions."""
    from amends.core.insights.period import last_full_quarter

    seen: list[str] = []
    raw = getattr(db.conn, "raw", db.conn)
    if not hasattr(raw, "set_trace_callback"):
        from amends.core.insights.resolutions import MONEY_SQL

        recovery_money(db, last_full_quarter())
        plan = db.tuples("EXPLAIN " + MONEY_SQL.format(only=""), {"since": "2026-07-01", "until": "2026-09-30"})
        text = " ".join(str(r[0]) for r in plan)
        assert "review_money_days" in text and "resolutions" not in text, text
        return
    raw.set_trace_callback(seen.append)
    try:
        recovery_money(db, last_full_quarter())
    finally:
        raw.set_trace_callback(None)
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert any("review_money_days" in s for s in reads), reads
    for statement in reads:
        for table in ("resolutions", "tickets", "subscriptions"):
            assert f" {table} " not in f" {statement} ".replace("\n", " "), statement


def test_the_upgrade_fills_the_money_for_the_rows_already_there(tmp_path):
    """A v6 file upgraded: its resolved tickets are stamped and the sums of their money are the rows'."""
    with upgraded_fixture(tmp_path, 6) as db:
        assert db.scalar("SELECT count(*) FROM tickets WHERE subscription_id IS NULL "
                         "AND id IN (SELECT ticket_id FROM resolutions)") == 0
        whole = Period(date(2000, 1, 1), date(2999, 12, 31))
        assert recovery_money(db, whole), "the fixture has resolutions with money"
        assert_same(db, whole)
        for policy in [r[0] for r in db.tuples("SELECT id FROM policies ORDER BY id")]:
            assert_same(db, whole, policy)


def test_the_doctor_fills_the_money_again_when_it_puts_its_trigger_back(tmp_path):
    """Another tool dropped the money's trigger: resolutions written meanwhile are missing from the sums;
    `amends repair` puts the trigger back and sums the rows again."""
    import sqlite3

    from amends.core import health

    path = tmp_path / "drift.db"
    shutil.copy(FIXTURES / "amends-v6.db", path)
    open_database(path, "t").close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TRIGGER review_money_days_add")
    raw.close()
    db = open_database(path, "t")
    try:
        ticket = db.scalar("SELECT min(id) FROM tickets WHERE customer_id IS NOT NULL")
        with db.transaction() as conn:
            conn.execute("INSERT INTO resolutions (ticket_id, actor, resolved_at, offer_kind, offer_value, category, "
                         "refunds) VALUES (?, 'x', '2026-10-01T10:00:00Z', 'account_credit', 5, 'billing', 1)",
                         (ticket,))
        whole = Period(date(2000, 1, 1), date(2999, 12, 31))
        assert recovery_money(db, whole) != review_oracle.recovery_money(db, whole)
        report = health.repair(db)
        assert any("review_money_days" in line for line in report.fixed), report.fixed
        assert_same(db, whole)
    finally:
        db.close()


def test_the_upgrade_to_8_sums_the_money_again_from_the_rows(tmp_path):
    """A schema-7 file whose money sums missed resolutions (a batched import on SQLite wrote their tickets
    after them, before schema 8): the upgrade sums the money again from the rows (V8MONEY)."""
    import sqlite3

    path = tmp_path / "v7.db"
    shutil.copy(FIXTURES / "amends-v7.db", path)
    raw = sqlite3.connect(path, isolation_level=None)
    assert raw.execute("SELECT count(*) FROM review_money_days").fetchone()[0] > 0, "the fixture has money"
    raw.execute("DELETE FROM review_money_days")  # as the imports' resolutions left it: not counted
    raw.close()
    db = open_database(path, "t")
    try:
        assert db.scalar("SELECT count(*) FROM review_money_days") > 0, "summed again on the upgrade"
        assert_kept_as_refilled(db, "review_money_days")
    finally:
        db.close()
