"""Waiting and reply targets (issue 17, T17B) on a big database, each beside
a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_waiting.py                   # 200,000 tickets
    .venv/bin/python benchmarks/bench_waiting.py --tickets 50000 --db /tmp/w.db

What it compares: the inbox's first page with the per-row unread mark and
check-in badge against the same page as raw SQL without them (the cost of
the two columns); "oldest waiting first" and the Overdue view against the
default "recently updated" page (all keyset pages on an index: the ratios
should stay near 1, not grow with the file); the view count of Overdue
against Active's.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from amends.core import tickets  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402
from bench_foundation import build, median_ms  # noqa: E402

RAW_PAGE = """SELECT t.id, t.subject, t.status, t.category, t.priority, t.assignee,
       coalesce(nullif(c.name, ''), c.email, '') AS customer, t.created_at, t.updated_at, t.billing_cycle,
       NULL, t.snoozed_until FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id
WHERE t.merged_into IS NULL AND t.status <> 'resolved' AND (t.snoozed_until IS NULL OR t.snoozed_until <= ?)
ORDER BY t.updated_at DESC, t.id DESC LIMIT 100"""


def insert_cost(count: int) -> tuple[str, float, str, float]:
    """Writing messages with the triggers that keep waiting_since (imports, mail)
    against the same inserts into a copy of the schema without them."""
    import time

    def timed(drop: bool) -> float:
        path = Path(tempfile.mkdtemp()) / "inserts.db"
        db = open_database(path, "bench")
        with db.transaction() as conn:
            if drop:
                for name in ("messages_waiting_append", "messages_waiting_insert", "messages_waiting_delete",
                             "messages_waiting_update"):
                    conn.execute(f"DROP TRIGGER {name}")
            conn.executemany("INSERT INTO tickets (id, subject, created_at, updated_at) VALUES (?, 's', ?, ?)",
                             [(i, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z") for i in range(1, count + 1)])
        rows = [(1 + i % count, ("in", "out", "in")[i % 3], "a", f"2026-01-01T{(i // count) % 24:02d}:00:00Z", "b")
                for i in range(count * 3)]
        start = time.perf_counter()
        with db.transaction() as conn:
            conn.executemany("INSERT INTO messages (ticket_id, direction, author, created_at, body) "
                             "VALUES (?, ?, ?, ?, ?)", rows)
        elapsed = (time.perf_counter() - start) * 1000
        db.close()
        return elapsed

    return (f"insert {count * 3:,} messages (triggers keep waiting)", timed(False),
            "same without the triggers", timed(True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "waiting.db"
    build(path, args.tickets)
    db = open_database(path, "bench")
    raw = sqlite3.connect(path)
    now = "2026-12-02T00:00:00Z"
    active = tickets.InboxQuery()
    rows = []
    base = median_ms(lambda: raw.execute(RAW_PAGE, (now,)).fetchall(), args.runs)
    core = median_ms(lambda: tickets.page(db, active, now=now), args.runs)
    rows.append(("Active first page (with unread + check-in badge)", core, "raw page without them", base))
    for label, query in (("oldest waiting first, first page", tickets.InboxQuery(sort="waiting")),
                         ("Overdue view, first page", tickets.InboxQuery(base_text="is:overdue", sort="waiting")),
                         ("due:today, first page", tickets.InboxQuery(text="due:today")),
                         ("waiting:>4h, first page", tickets.InboxQuery(text="waiting:>4h"))):
        rows.append((label, median_ms(lambda q=query: tickets.page(db, q, now=now), args.runs),
                     "Active first page", core))
    count_active = median_ms(lambda: tickets.count(db, active, now=now), 5)
    count_overdue = median_ms(lambda: tickets.count(db, tickets.InboxQuery(base_text="is:overdue"), now=now), 5)
    rows.append(("Overdue view count (capped 10,000)", count_overdue, "Active count", count_active))
    rows.append(insert_cost(args.tickets // 10))
    print(f"\nAmends waiting/targets benchmark, {args.tickets:,} tickets, {os.cpu_count()} cores\n")
    print(f"{'measurement':52} {'ms':>8} {'baseline':>26} {'ms':>8} {'ratio':>6}")
    for label, value, base_label, base_value in rows:
        print(f"{label:52} {value:8.2f} {base_label:>26} {base_value:8.2f} {value / base_value:6.2f}")
    db.close()
    raw.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
