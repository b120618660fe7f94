"""The Review figures' heaviest reads stay index-only (issue 16: a quarter on
1,000,000 tickets took 1.39 s; target 1 s).

"The subscription in force when the ticket was opened" (billing.in_force_id)
is a correlated subquery evaluated once per resolution (cost in money) and
once per first ticket (cycle-1 churn); "active subscribers in a window"
(insights.subscribers.active_in) is a count over every subscription, five
times per Review. Both read only customer_id, started_at and cancelled_at:
one covering index answers them without touching the table. The plans are
checked on a real file (benchmarks/run.py measures the time).
"""

from __future__ import annotations

from datetime import date

from amends.core.billing import in_force_id
from amends.core.workspace import open_database


def _plan(db, sql: str, params: tuple | dict = ()) -> str:
    return "\n".join(r[3] for r in db.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())


def test_subscription_in_force_is_read_from_a_covering_index(tmp_path):
    db = open_database(tmp_path / "plan.db", "t")
    plan = _plan(db, f"SELECT {in_force_id(':customer', ':at')}", {"customer": 1, "at": "2026-01-01T00:00:00Z"})
    db.close()
    searches = [line for line in plan.splitlines() if "subscriptions" in line]
    assert len(searches) == 3, plan
    assert all("COVERING INDEX" in line for line in searches), plan


def test_active_subscribers_count_reads_the_index_only(tmp_path):
    db = open_database(tmp_path / "plan.db", "t")
    plan = _plan(db, "SELECT count(DISTINCT customer_id) FROM subscriptions WHERE started_at < ? "
                     "AND (cancelled_at IS NULL OR cancelled_at >= ?)", ("2026-10-01", "2026-07-01"))
    db.close()
    assert "COVERING INDEX" in plan and "TEMP B-TREE" not in plan, plan


def _resolution_plans(tmp_path) -> dict[str, str]:
    """The plans of the Review's reads of a period's resolutions (resolutions.py), on a real file."""
    from datetime import date

    from amends.core.insights import resolutions
    from amends.core.insights.period import Period

    db = open_database(tmp_path / "plan.db", "t")
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    resolutions.resolution_figures(db, Period(date(2026, 7, 1), date(2026, 9, 30)))
    db.conn.set_trace_callback(None)
    plans = {}
    for statement in seen:
        if "FROM " in statement and not statement.lstrip().upper().startswith(("BEGIN", "COMMIT")):
            plans[" ".join(statement.split())[:80]] = _plan(db, statement)
    db.close()
    return plans


def test_a_periods_resolution_figures_read_the_daily_sums(tmp_path):
    """P16REVIEW (schema 6): the grouped counts, the offer values (for the medians) and the skipped steps read
    a range of days of the sums the triggers keep (~90 rows a quarter and kind), not the ~236,000 index
    entries of a quarter's resolutions at 1,000,000 tickets that schema 5's covering indexes still read; the
    offers out of range read only their few rows; the money figures (schema 7) their own per-day sums."""
    plans = _resolution_plans(tmp_path)
    grouped = next(p for p in plans.values() if "review_resolution_days" in p)
    assert "SEARCH review_resolution_days USING PRIMARY KEY (day>? AND day<?)" in grouped, grouped
    values = next(p for p in plans.values() if "review_offer_values" in p)
    assert "SEARCH review_offer_values USING PRIMARY KEY (day>? AND day<?)" in values, values
    skipped = next(p for p in plans.values() if "review_skipped_days" in p)
    assert "SEARCH review_skipped_days USING PRIMARY KEY (day>? AND day<?)" in skipped, skipped
    rows = {s: p for s, p in plans.items() if " resolutions" in p or " r USING" in p or "SCAN r" in p}
    assert len(rows) == 1, f"only the out-of-range offers read resolutions: {list(rows)}"
    out = next(p for s, p in plans.items() if s.startswith("SELECT r.ticket_id, t.ref"))
    assert "resolutions_out_of_range" in out, out
    # V7RESOL (schema 7): the money from its own per-day sums, no longer each resolution, ticket and subscription
    money = next(p for p in plans.values() if "review_money_days" in p)
    assert "SEARCH review_money_days USING PRIMARY KEY (day>? AND day<?)" in money, money


def test_the_answered_waits_of_the_period_are_an_index_range(tmp_path):
    """S16REVIEW read the tickets with a message in the period from messages_created; since schema 7
    (V7REPLY) reply targets read no message at all (tests/core/test_reply_waits.py); since schema 8
    (V8REPLY) no ticket either: each person's, kind's and first or next reply's answered waits of the period
    are a range of reply_waits_figures, which holds every column the figures read."""
    from amends.core.insights.period import Period
    from amends.core.insights.reply_targets import reply_targets

    db = open_database(tmp_path / "plan.db", "t")
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    reply_targets(db, Period(date(2026, 7, 1), date(2026, 9, 30)), now="2026-10-01T00:00:00Z")
    db.conn.set_trace_callback(None)
    statement = next(s for s in seen if "FROM reply_waits w" in s)
    plan = _plan(db, statement)
    db.close()
    assert "tickets" not in statement, statement
    assert ("SEARCH w USING COVERING INDEX reply_waits_figures (live=? AND author=? AND category=? AND priority=? "
            "AND first_reply=? AND answered_at>? AND answered_at<?)") in plan, plan
