"""Themes inside a category on a big demo database: how long themes() takes
beside the raw SQL scan of the rows an exact method must read (every ticket
of the period and of the previous period, subject and first customer
message), in the same run on the same file; and whether every cause the
demo plants (core/demo/texts.py CAUSES) is found.

    .venv/bin/python benchmarks/bench_themes.py                       # 100,000 demo tickets
    .venv/bin/python benchmarks/bench_themes.py --tickets 1000000 --db /tmp/big.db

Counts are exact up to COUNT_SAMPLE tickets per category and period and
estimated from a fixed sample above it, so the cost stops growing with the
store: target <= 1 s on 1,000,000 tickets, and a ratio well under 1 against
the raw scan.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))

from amends.core import demo  # noqa: E402
from amends.core.demo import texts  # noqa: E402
from amends.core.insights import period as periods  # noqa: E402
from amends.core.insights import themes  # noqa: E402
from amends.core.insights.words import normalised  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402

RAW_SQL = f"""
SELECT t.id, t.category, t.subject,
       (SELECT substr(m.body, 1, {themes.BODY_CHARS}) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in'
        ORDER BY m.created_at, m.id LIMIT 1)
FROM tickets t WHERE t.created_at >= ? AND t.created_at < ? AND t.merged_into IS NULL
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "themes.db"
    db = open_database(path, "bench")
    if db.scalar("SELECT count(*) FROM tickets") < args.tickets:
        demo.generate(db, args.tickets, seed=3, now=datetime.now(UTC))
    period = periods.last_full_quarter()
    before = themes.previous(period)
    raw, ours, raw_cpu, ours_cpu = [], [], [], []
    for _ in range(args.runs):
        start, cpu = time.perf_counter(), time.process_time()
        rows = db.tuples(RAW_SQL, (before.start, period.end))
        raw.append(time.perf_counter() - start)
        raw_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        found = themes.themes(db, period)
        ours.append(time.perf_counter() - start)
        ours_cpu.append(time.process_time() - cpu)
    missing = []
    for category, subjects in texts.SUBJECTS.items():
        mine = [t for t in found if t.category == category]
        for subject, cause in zip(subjects, texts.CAUSES[category], strict=True):
            said = normalised(subject) + normalised(cause)
            if not any(any(f" {p} " in said for p in t.phrases) for t in mine):
                missing.append(f"{category}: {cause}")
    tickets = db.scalar("SELECT count(*) FROM tickets")
    print(f"{tickets:,} tickets; period {period.label()} and the one before: {len(rows):,} rows")
    print(f"raw scan of those rows (subject + first message): {statistics.median(raw):.3f} s "
          f"(CPU {statistics.median(raw_cpu):.3f} s)")
    print(f"themes():                                          {statistics.median(ours):.3f} s "
          f"(CPU {statistics.median(ours_cpu):.3f} s; ratio {statistics.median(ours) / statistics.median(raw):.2f})")
    print("(wall time on a shared machine includes waiting for a core; CPU time is what the work costs)")
    print(f"themes found: {len(found)}; planted causes found: {40 - len(missing)} of 40"
          + (f"; missing: {missing}" if missing else ""))
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
