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
