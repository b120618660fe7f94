"""The themes' texts kept by triggers (schema 8, V8THEMES; issue 16, THEMES2:
at 1,000,000 tickets the Review read about 30,000 tickets' subjects and
found each one's first customer message among its messages). After any
sequence of writes the kept rows must be exactly what the old read finds
(tests/core/themes_oracle.py keeps it): customer messages and replies in any
time order, messages deleted, re-timed, turned, edited or moved by merges,
their undo and splits, subjects edited. Both backends (tests/core); the
upgrade from v7 and the doctor fill them; the plan is checked on SQLite
(benchmarks/run.py --only review measures the time, "themes" part)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from amends.core import tickets
from amends.core.errors import AmendsError
from amends.core.insights import themes
from amends.core.insights.period import Period
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import themes_oracle as oracle
from tests.core.test_reply_waits import DAYS, FIRST, WRITES, apply, at
from tests.helpers import upgraded_fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BODIES = st.sampled_from(["the tea was dusty", "Dusty TEA. broken jar", "x" * 450, "", "café o'brien", "box"])
THEME_WRITES = st.one_of(
    WRITES,
    st.tuples(st.just("said"), st.integers(0, 40), st.sampled_from(["in", "in", "out", "note"]),
              st.integers(0, DAYS * 1440), BODIES),
    st.tuples(st.just("subject"), st.integers(0, 40), st.sampled_from(["Dusty tea", "Box", "Late parcel"])),
    st.tuples(st.just("edit"), st.integers(0, 200), BODIES),
)


def write(db, step: tuple, made: list[int], merged: list[int]) -> None:
    """The reply-waits writes (tests/core/test_reply_waits.py), plus customer
    messages with bodies, subject edits through the core and body edits."""
    kind = step[0]
    if kind not in ("said", "subject", "edit"):
        apply(db, step, made, merged)
        return
    try:
        if kind == "edit":
            messages = [r[0] for r in db.tuples("SELECT id FROM messages ORDER BY id")]
            if messages:
                with db.transaction() as conn:
                    conn.execute("UPDATE messages SET body = ? WHERE id = ?", (step[2], messages[step[1] % len(messages)]))
        elif not made:
            return
        elif kind == "said":
            _, index, direction, minute, body = step
            with db.transaction() as conn:
                conn.execute("INSERT INTO messages (ticket_id, direction, body, author, created_at) "
                             "VALUES (?, ?, ?, 'ann', ?)", (made[index % len(made)], direction, body, at(minute)))
        else:
            ticket = tickets.get(db, made[step[1] % len(made)])
            tickets.update(db, ticket.id, ticket.version, subject=step[2])
    except AmendsError:
        pass


def assert_kept(db) -> None:
    ids = [r[0] for r in db.tuples("SELECT id FROM tickets ORDER BY id")]
    old = oracle._texts(db, ids)
    assert themes._texts(db, ids) == old
    assert themes._joined_texts(db, ids) == {i: themes._joined(subject, body) for i, (subject, body) in old.items()}
    assert int(db.scalar("SELECT count(*) FROM theme_texts")) == len(ids)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(THEME_WRITES, min_size=1, max_size=30))
def test_the_kept_texts_are_what_the_old_read_finds(db, steps):
    made: list[int] = [r[0] for r in db.tuples("SELECT id FROM tickets ORDER BY id")]
    merged: list[int] = []
    for step in steps:
        write(db, step, made, merged)
    assert_kept(db)
    period = Period(FIRST, FIRST + timedelta(days=DAYS))
    assert themes.themes(db, period, min_tickets=1) == oracle.themes(db, period, min_tickets=1)


def test_the_themes_read_no_message(db):
    """The texts come from theme_texts by key: no statement of themes() reads
    the messages (before schema 8 each counted ticket's first customer
    message was looked for among them)."""
    for day in range(1, 29):
        quality = "the tea leaves were mostly powder" if day % 2 else "the grind is too coarse for espresso"
        for category, body in (("product_quality", quality), ("billing", "a charge I do not understand")):
            tickets.create(db, "Problem", f"Hello. {body}. Thanks", category=category,
                           created_at=f"2026-02-{day:02d}T10:00:00Z")
    seen: list[str] = []
    if isinstance(db.conn, sqlite3.Connection):
        db.conn.set_trace_callback(seen.append)
        try:
            found = themes.themes(db, Period(date(2026, 2, 1), date(2026, 2, 28)))
        finally:
            db.conn.set_trace_callback(None)
    else:
        return  # the statements and the plan are checked on SQLite
    assert found
    assert not [s for s in seen if "messages" in s], seen
    read = next(s for s in seen if "theme_texts" in s)
    plan = "\n".join(r[3] for r in db.conn.execute("EXPLAIN QUERY PLAN " + themes.TEXTS_SQL, ("[1]",)).fetchall())
    assert "SEARCH theme_texts USING INTEGER PRIMARY KEY (rowid=?)" in plan, (read, plan)


def test_the_kept_body_is_as_long_as_the_themes_read():
    from amends.core.store.schema import V8_THEMES

    assert f"substr(m.body, 1, {themes.BODY_CHARS})" in V8_THEMES


def test_the_demos_bulk_inserts_keep_the_texts(demo_db):
    assert_kept(demo_db)


def test_the_upgrade_fills_the_texts_of_the_tickets_already_there(tmp_path):
    with upgraded_fixture(tmp_path, 7) as db:
        assert db.scalar("SELECT count(*) FROM theme_texts") > 0, "the fixture has tickets"
        assert_kept(db)


def test_the_doctor_fills_the_texts_again_when_it_puts_their_trigger_back(tmp_path):
    """Another tool dropped a trigger: a customer message written meanwhile
    before the first is missing; `amends repair` puts the trigger back and
    fills the texts again."""
    from amends.core import health

    path = tmp_path / "drift.db"
    db = open_database(path, "t")
    ticket = tickets.create(db, "Box", "It came crushed.", category="damaged_shipment",
                            created_at="2026-02-02T10:00:00Z")
    db.close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TRIGGER theme_texts_message")
    raw.close()
    db = open_database(path, "t")
    try:
        with db.transaction() as conn:
            conn.execute("INSERT INTO messages (ticket_id, direction, body, author, created_at) "
                         "VALUES (?, 'in', 'the tea was dusty', 'ann', '2026-02-01T10:00:00Z')", (ticket,))
        assert themes._texts(db, [ticket]) != oracle._texts(db, [ticket]), "without the trigger the row is stale"
        report = health.repair(db)
        assert any("theme_texts" in line for line in report.fixed), report.fixed
        assert_kept(db)
    finally:
        db.close()


def test_a_ticket_missing_from_the_kept_texts_is_read_from_its_rows(tmp_path):
    """Another tool dropped the trigger on new tickets (a DB browser rebuilding tickets): until the doctor
    runs, the tickets written meanwhile have no theme_texts row. The Review must still show their themes,
    read from the rows, not fail with a KeyError (found by a review of the merged schema 8)."""
    path = tmp_path / "drift.db"
    open_database(path, "t").close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("DROP TRIGGER theme_texts_ticket")
    raw.close()
    db = open_database(path, "t")
    try:
        for day in range(1, 29):  # as in test_the_themes_read_no_message: two themes in one category
            quality = "the tea leaves were mostly powder" if day % 2 else "the grind is too coarse for espresso"
            for category, body in (("product_quality", quality), ("billing", "a charge I do not understand")):
                tickets.create(db, "Problem", f"Hello. {body}. Thanks", category=category,
                               created_at=f"2026-02-{day:02d}T10:00:00Z")
        assert db.scalar("SELECT count(*) FROM theme_texts") == 0, "the trigger is gone"
        period = Period(date(2026, 2, 1), date(2026, 2, 28))
        found = themes.themes(db, period)
        assert found and found == oracle.themes(db, period)
    finally:
        db.close()
