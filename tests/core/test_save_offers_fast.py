"""The save offers figures, read faster (issue 16: 2.6 s of the Review's 9.5 s
for a quarter at 1,000,000 tickets, 1.76x its own SQL), must stay exactly
what they were: the oracle is insights/saves.py as it was before
(tests/core/saves_oracle.py), checked after random writes through the core
(tickets in and out of the period, resolutions with and without offers,
category edits, merges and their undo, splits, subscriptions cancelled and
started later) on both backends (tests/core). The structure of the faster
read is checked on a real file: each candidate ticket's latest resolution is
looked up once, and resolutions of tickets outside the period's ticket ids
are not candidates."""

from __future__ import annotations

from datetime import date, timedelta

from amends.core import customers
from amends.core.insights import saves
from amends.core.insights.period import Period
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import saves_oracle
from tests.core.test_review_facts import DAYS, FIRST, TICKET, WRITES, apply, at

NOW_CHOICES = ("2026-07-03T12:00:00Z", "2026-09-15T00:00:00Z", "2027-01-01T00:00:00Z")


def _bands(bands) -> list[tuple]:
    return [(b.band, b.customers, b.retained, b.rate, b.ci, b.cost.amount, b.cost.currency, b.by) for b in bands]


def assert_same(db, period: Period, window: int, now: str) -> None:
    mine, theirs = saves.save_offers(db, period, window, now=now), saves_oracle.save_offers(db, period, window, now=now)
    assert mine.to_json() == theirs.to_json(), (period, window, now)
    assert _bands(mine.bands) == _bands(theirs.bands)
    assert _bands(mine.by_actor) == _bands(theirs.by_actor)
    assert _bands(mine.by_version) == _bands(theirs.by_version)
    assert (mine.excluded.no_subscription, mine.excluded.window_not_over) == \
        (theirs.excluded.no_subscription, theirs.excluded.window_not_over)
    for which in (None, saves.NO_OFFER, "11–20 %"):
        for retained in (None, True, False):
            assert saves.ticket_ids(db, period, window, which, retained=retained, now=now) == \
                saves_oracle.ticket_ids(db, period, window, which, retained=retained, now=now)


SUBSCRIPTION = st.tuples(st.just("subscription"), st.integers(0, 2), st.integers(0, DAYS - 1),
                         st.one_of(st.none(), st.integers(0, DAYS + 3)))
CANCEL = st.tuples(st.just("cancel"), st.integers(0, 10), st.integers(-2, DAYS + 3))
MORE = st.one_of(WRITES, st.tuples(st.just("who"), st.integers(0, 2)), SUBSCRIPTION, CANCEL)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(new=st.lists(TICKET, min_size=1, max_size=4), writes=st.lists(MORE, min_size=1, max_size=24),
       periods=st.lists(st.tuples(st.integers(0, DAYS - 1), st.integers(0, DAYS - 1)), min_size=1, max_size=2),
       window=st.sampled_from([0, 1, 3, 60]), now=st.sampled_from(NOW_CHOICES))
def test_save_offers_equal_the_oracles_after_any_writes(db, new, writes, periods, window, now):
    """Whatever was written before (the database grows over the examples), after these writes every
    period's save offers are the oracle's, to the last digit."""
    people = [r[0] for r in db.tuples("SELECT id FROM customers ORDER BY id")]
    while len(people) < 3:
        people.append(customers.create(db, f"p{len(people)}@example.com", "P", plan="Coffee Monthly",
                                       started_at=f"2026-0{4 + len(people)}-01T00:00:00Z"))
    made = [r[0] for r in db.tuples("SELECT id FROM tickets ORDER BY id")]
    merged: list[int] = []
    customer = people[0]
    for write in [*new, *writes]:
        if write[0] == "who":
            customer = people[write[1]]
        elif write[0] == "subscription":  # another box, maybe cancelled later
            _, who, day, until = write
            db.conn.execute("INSERT INTO subscriptions (customer_id, plan, cycle_days, status, started_at, "
                            "cancelled_at, price_minor, currency) VALUES (?, 'Tea', 30, ?, ?, ?, 1500, 'USD')",
                       (people[who], "active" if until is None else "cancelled", at(day, 0),
                        None if until is None else at(until, 30)))
        elif write[0] == "cancel":  # a subscription cancelled after the fact
            ids = [r[0] for r in db.tuples("SELECT id FROM subscriptions ORDER BY id")]
            db.conn.execute("UPDATE subscriptions SET status = 'cancelled', cancelled_at = ? WHERE id = ?",
                       (at(write[2], 600) if write[2] >= 0 else "2026-01-01T00:00:00Z", ids[write[1] % len(ids)]))
        else:
            apply(db, customer, write, made, merged)
    assert_same(db, Period(FIRST, FIRST + timedelta(days=DAYS)), window, now)
    for a, b in periods:
        start, end = sorted((a, b))
        assert_same(db, Period(FIRST + timedelta(days=start), FIRST + timedelta(days=end)), window, now)


def test_the_demo_gives_the_oracles_figures(demo_db):
    first = demo_db.scalar("SELECT min(created_at) FROM tickets")
    since = date.fromisoformat(first[:10])
    for months in (1, 3, 12):
        assert_same(demo_db, Period(since, since + timedelta(days=30 * months)), 60, "2026-11-01T00:00:00Z")


def _plan(db, sql: str, params: dict) -> str:
    return "\n".join(r[3] for r in db.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())


def test_each_candidates_latest_resolution_is_looked_up_once(tmp_path):
    """The old read looked each candidate's latest resolution up twice (the candidates' subquery copied
    into the window's input and its join): one lookup of resolutions_ticket per candidate now."""
    db = open_database(tmp_path / "plan.db", "t")
    plan = _plan(db, saves.ROWS_SQL, {"start": "2026-07-01T00:00:00Z", "end": "2026-10-01T00:00:00Z",
                                      "window": "+60 days"})
    db.close()
    lookups = [line for line in plan.splitlines() if "resolutions_ticket" in line]
    assert len(lookups) == 1, plan


def test_resolutions_of_tickets_outside_the_periods_ids_are_no_candidates(tmp_path):
    """A quarter's resolutions run on for months after it: at 1,000,000 tickets half of the ~200,000
    resolutions since the quarter began belong to tickets opened after it, and each was looked up in
    tickets to be dropped. The candidates' arm over resolutions keeps only ticket ids within the range of
    the period's tickets (read from the tickets_created index), inside the covering index's scan."""
    db = open_database(tmp_path / "plan.db", "t")
    plan = _plan(db, saves.ROWS_SQL, {"start": "2026-07-01T00:00:00Z", "end": "2026-10-01T00:00:00Z",
                                      "window": "+60 days"})
    db.close()
    assert "tickets_created" in plan, plan
    assert "SEARCH r USING COVERING INDEX resolutions_period (resolved_at>?)" in plan, plan
