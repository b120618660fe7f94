"""The Review's resolution figures read per-day sums kept by triggers (schema 6,
V6REVIEW; issue 16: 13 s for a quarter at 1,000,000 tickets). They must be, after
any sequence of writes, exactly what the rows say: the oracle is the schema 5
SQL over the base tables (tests/core/review_oracle.py). Checked through the
core's write paths at random (tickets, replies, resolutions through the
checklist with skips, offers in and out of range, no policy, several people,
category edits after resolving, merges and their undo, splits), through the
demo generator's bulk inserts, and on the v5 fixture upgraded (the upgrade
fills the sums for the rows already there). Both backends (tests/core)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

from amends.core import edits, merges, resolution, split, tickets
from amends.core.errors import AmendsError
from amends.core.insights.period import Period
from amends.core.insights.resolutions import resolution_figures
from amends.core.resolution import Offer, StepOutcome
from amends.core.vocabulary import CATEGORIES
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_customer
from tests.core import review_oracle
from tests.helpers import upgraded_fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIRST = date(2026, 6, 28)  # a few days each side of a quarter's start
DAYS = 8
CATEGORY_LIST = sorted(CATEGORIES)


def from_facts(db, period: Period) -> dict:
    """The same view of resolution_figures as the oracle gives."""
    got = resolution_figures(db, period)
    return {
        "checklist": (got.checklist.resolutions, got.checklist.with_policy, got.checklist.complete),
        "units": {r.category: (r.replacements, r.refunds) for r in got.recovery_cost},
        "totals": {r.category: dict(r.offers) for r in got.recovery_cost},
        "consistency": got.offers.consistency,
        "by_actor": got.offers.by_actor,
        "skipped": got.offers.skipped,
    }


def assert_same(db, period: Period) -> None:
    facts, rows = from_facts(db, period), review_oracle.figures(db, period)
    # Offer totals are sums of floats: per day then per period, or all at once, may differ in the last bits.
    assert facts["totals"].keys() == rows["totals"].keys(), period
    for category, kinds in rows["totals"].items():
        assert facts["totals"][category].keys() == kinds.keys(), (period, category)
        for kind, total in kinds.items():
            mine = facts["totals"][category][kind]
            assert mine.count == total.count, (period, category, kind)
            assert math.isclose(mine.total, total.total, rel_tol=1e-9, abs_tol=1e-9), (period, category, kind)
    for key in ("checklist", "units", "consistency", "by_actor", "skipped"):
        assert facts[key] == rows[key], (key, period)


def at(day: int, minute: int) -> str:
    moment = FIRST + timedelta(days=day)
    return f"{moment.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00Z"


# One write, as drawn: what it is and its numbers (indexes pick among what exists).
TICKET = st.tuples(st.just("ticket"), st.sampled_from(CATEGORY_LIST), st.integers(0, DAYS - 1),
                   st.integers(0, 1439))
RESOLVE = st.tuples(st.just("resolve"), st.integers(0, 50), st.integers(0, DAYS - 1),
                    st.sampled_from([0, 1, 719, 1438, 1439]), st.sampled_from(["ada", "bo", "cy"]),
                    st.lists(st.sampled_from(["done", "skip", "skip-other"]), min_size=6, max_size=6),
                    st.one_of(st.none(), st.sampled_from([0.0, 5.0, 10.0, 12.5, 15.0, 20.0, 40.0])),
                    st.booleans())
WRITES = st.one_of(RESOLVE, st.one_of(
    TICKET,
    st.tuples(st.just("reply"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("category"), st.integers(0, 50), st.sampled_from(CATEGORY_LIST)),
    st.tuples(st.just("merge"), st.integers(0, 50), st.integers(0, 50)),
    st.tuples(st.just("unmerge"), st.integers(0, 50)),
    st.tuples(st.just("split"), st.integers(0, 50)),
))  # half of the writes resolve
PERIODS = st.tuples(st.integers(0, DAYS - 1), st.integers(0, DAYS - 1))


def apply(db, customer: int, write: tuple, made: list[int], merged: list[int]) -> None:
    """Run one drawn write through the core; a write the core refuses (typed error) changes nothing."""
    kind = write[0]
    pick = (lambda i: made[i % len(made)]) if made else None
    try:
        if kind == "ticket":
            _, category, day, minute = write
            made.append(tickets.create(db, "Box", "It came crushed.", customer_id=customer, category=category,
                                       created_at=at(day, minute)))
        elif pick is None:
            return
        elif kind == "reply":
            tickets.add_message(db, pick(write[1]), "in" if write[2] else "out", "More words.")
        elif kind == "resolve":
            _, index, day, minute, actor, pattern, value, override = write
            unresolved = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE status <> 'resolved' ORDER BY id")]
            if not unresolved:
                return
            ticket = unresolved[index % len(unresolved)]
            checklist = resolution.checklist_for(db, ticket)
            offer_step = checklist.policy.offer_step() if checklist.policy else None
            outcomes = []
            for i, step in enumerate(checklist.steps):
                # the save offer step is done exactly when an offer is made (else the core refuses it)
                done = value is not None if step is offer_step else pattern[i % 6] == "done"
                reason = None if done else ("declined" if pattern[i % 6] == "skip" else "not needed")
                outcomes.append(StepOutcome(i, done, reason))
            offer = None if value is None else Offer(value, override_reason="third box" if override else None)
            db.actor = actor
            resolution.resolve(db, ticket, checklist.policy.id if checklist.policy else None, outcomes, offer,
                               at=at(day, minute))
        elif kind == "category":  # a ticket's category changed after it was resolved: its resolutions keep theirs
            edits.set_field(db, [pick(write[1])], "category", write[2])
        elif kind == "merge":
            source, target = pick(write[1]), pick(write[2])
            merged.append(merges.merge(db, source, target).merge_id)
        elif kind == "unmerge" and merged:
            merges.unmerge(db, merged.pop(write[1] % len(merged)))
        elif kind == "split":
            ticket = pick(write[1])
            later = db.scalar("SELECT max(id) FROM messages WHERE ticket_id = ?", (ticket,))
            if later is not None and db.scalar("SELECT count(*) FROM messages WHERE ticket_id = ?", (ticket,)) > 1:
                made.append(split.split(db, later).new_id)
    except AmendsError:
        pass
    finally:
        db.actor = "tester@host"


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(new=st.lists(TICKET, min_size=1, max_size=4), writes=st.lists(WRITES, min_size=1, max_size=20), periods=st.lists(PERIODS, min_size=1, max_size=3))
def test_figures_from_the_sums_equal_the_figures_from_the_rows(db, new, writes, periods):
    """Whatever was written before (the database grows over the examples), after these writes every
    period's figures from the per-day sums are the oracle's."""
    customer = db.scalar("SELECT min(id) FROM customers") or make_customer(db, started_at="2026-01-01T00:00:00Z")
    made = [r[0] for r in db.tuples("SELECT id FROM tickets ORDER BY id")]
    merged: list[int] = []
    for write in [*new, *writes]:
        apply(db, customer, write, made, merged)
    assert_same(db, Period(FIRST, FIRST + timedelta(days=DAYS)))
    for a, b in periods:
        start, end = sorted((a, b))
        assert_same(db, Period(FIRST + timedelta(days=start), FIRST + timedelta(days=end)))


def test_the_demos_bulk_inserts_keep_the_sums(demo_db):
    """The demo writes resolutions and steps with executemany (as imports do): the triggers add each row."""
    first = demo_db.scalar("SELECT min(resolved_at) FROM resolutions")
    assert first is not None
    for months in (1, 3, 12):
        since = date.fromisoformat(first[:10])
        assert_same(demo_db, Period(since, since + timedelta(days=30 * months)))
    assert_same(demo_db, Period(date(2000, 1, 1), date(2999, 12, 31)))


def test_the_upgrade_fills_the_sums_for_the_rows_already_there(tmp_path):
    """A v5 file upgraded: the sums of its existing resolutions are there, equal to the rows'."""
    with upgraded_fixture(tmp_path, 5) as db:
        assert db.scalar("SELECT count(*) FROM resolutions") > 0, "the fixture has resolutions to sum"
        assert db.scalar("SELECT sum(resolutions) FROM review_resolution_days") == \
            db.scalar("SELECT count(*) FROM resolutions")
        assert_same(db, Period(date(2000, 1, 1), date(2999, 12, 31)))
        for since in sorted({r[0][:10] for r in db.tuples("SELECT resolved_at FROM resolutions")})[:5]:
            day = date.fromisoformat(since)
            assert_same(db, Period(day, day))
            assert_same(db, Period(day, day + timedelta(days=45)))
        assert db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'resolutions_resolved'") == 0


def test_the_doctor_fills_the_sums_again_when_it_puts_their_trigger_back(tmp_path):
    """Another tool dropped a summing trigger (a DB browser's table rebuild drops them): resolutions written
    meanwhile are missing from the sums. `amends repair` puts the trigger back and sums the rows again."""
    import sqlite3

    from amends.core import health

    path = tmp_path / "drift.db"
    db = open_database(path, "t")
    customer = make_customer(db, started_at="2026-01-01T00:00:00Z")
    made: list[int] = []
    apply(db, customer, ("ticket", "damaged_shipment", 1, 600), made, [])
    apply(db, customer, ("ticket", "damaged_shipment", 2, 600), made, [])
    db.close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TRIGGER review_resolution_days_add")
    raw.close()
    db = open_database(path, "t")
    try:
        for index in range(2):
            apply(db, customer, ("resolve", index, 3, 600, "ada", ["done"] * 6, 10.0, False), made, [])
        assert db.scalar("SELECT count(*) FROM resolutions") == 2
        period = Period(FIRST, FIRST + timedelta(days=DAYS))
        assert from_facts(db, period)["checklist"] != review_oracle.figures(db, period)["checklist"], \
            "without the trigger the sums miss the new resolutions"
        report = health.repair(db)
        assert any("review_resolution_days" in line for line in report.fixed), report.fixed
        assert_same(db, period)
    finally:
        db.close()
