"""Rules on incoming mail: what the default rules add to writing a batch of
new mail, beside the same batch written with the rules switched off (the
baseline, same run, same database).

    .venv/bin/python benchmarks/bench_rules.py                      # 100,000 demo tickets
    .venv/bin/python benchmarks/bench_rules.py --tickets 1000000 --db /tmp/big.db

Each rule is one query restricted to the batch's new ticket ids (the search
index is read for that rowid range only), so the cost should not grow with
the database. Target: the rules add under 1 ms per new mail, about the same
on 10,000 as on 100,000 tickets (measured: 0.29 and 0.33 ms; 1.6-1.8x the
batch's own write with the 7 default rules).
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
from amends.core.importers import mail  # noqa: E402
from amends.core.importers.writer import write  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402

BODIES = ("The box arrived crushed and the beans are everywhere.", "I was charged twice this month.",
          "Where is my order? Tracking has not moved.", "Please cancel my subscription.",
          "Quick question about gift cards.")


def batch(tag: str, size: int) -> list[tuple[int, bytes]]:
    return [(n, (f"From: Person {n} <p{n}-{tag}@example.com>\nSubject: Help {n}\n"
                 f"Date: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <{tag}-{n}@bench>\n\n"
                 f"{BODIES[n % len(BODIES)]}\n").encode()) for n in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=50, help="mails per batch (the IMAP fetch writes 50)")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "rules.db"
    db = open_database(path, "bench")
    if db.scalar("SELECT count(*) FROM tickets") < args.tickets:
        demo.generate(db, args.tickets, seed=3, now=datetime(2026, 11, 25, tzinfo=UTC))
    rules_count = db.scalar("SELECT count(*) FROM rules WHERE enabled = 1")
    on, off = [], []
    stamp = time.time_ns()  # new Message-IDs on every invocation: each batch is new mail
    for run in range(args.runs):
        for enabled, samples in ((1, on), (0, off)):
            db.conn.execute("UPDATE rules SET enabled = ?", (enabled,))
            parsed = mail.parse_messages(batch(f"{stamp}-{run}-{enabled}", args.batch),
                                         arrived=datetime(2026, 1, 5, tzinfo=UTC))
            start = time.perf_counter()
            with db.transaction() as conn:
                write(conn, db.actor, parsed)
            samples.append((time.perf_counter() - start) * 1000)
    db.conn.execute("UPDATE rules SET enabled = 1")
    sorted_in = db.scalar("SELECT count(*) FROM tickets WHERE ref LIKE ? AND category <> 'other'", (f"%{stamp}-%",))
    total = db.scalar("SELECT count(*) FROM tickets")
    db.close()
    with_rules, without = statistics.median(on), statistics.median(off)
    print(f"{total:,} tickets; {rules_count} rules; batches of {args.batch} new mails, {args.runs} runs each")
    print("| write one batch | median ms | per mail ms | baseline | baseline ms | ratio |")
    print("|---|---:|---:|---|---:|---:|")
    print(f"| with the rules | {with_rules:.1f} | {with_rules / args.batch:.3f} | rules off | {without:.1f} | "
          f"{with_rules / without:.2f} |")
    print(f"Rules add {(with_rules - without) / args.batch:.3f} ms per new mail; {sorted_in:,} bench mails sorted.")


if __name__ == "__main__":
    main()
