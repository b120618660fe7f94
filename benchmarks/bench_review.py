"""The Review pane on a big database: how long the figures take, and whether
the UI stays responsive while they are computed.

    .venv/bin/python benchmarks/bench_review.py [--db PATH] [--tickets N]

Prints the compute time (target <= 1 s on 1,000,000 tickets), the same
computed in the pane's worker, and the longest pause of the UI event loop
meanwhile (a 10 ms timer keeps ticking; a pause over 100 ms would be felt).
Cancel is measured too: time from Cancel to the worker giving up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from amends.core import insights  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402
from bench_foundation import build  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = args.db or Path(tempfile.gettempdir()) / f"amends-bench-{args.tickets}.db"
    build(path, args.tickets)
    db = open_database(path, "bench")
    period = insights.last_full_quarter()
    samples = []
    for _ in range(args.runs):
        start = time.perf_counter()
        data = insights.compute(db, period)
        samples.append(time.perf_counter() - start)
    tickets = sum(r.tickets for r in data.recurring)

    from amends.ui.review.review_pane import ReviewPane
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    pane = ReviewPane(db)
    pane.resize(1400, 900)
    pane.show()
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    start = time.perf_counter()
    op = pane.compute()
    while not op.done:
        app.processEvents()
        time.sleep(0.001)
    in_pane = time.perf_counter() - start
    busy_gaps = list(gaps)
    op = pane.compute()
    time.sleep(0.05)
    cancel_start = time.perf_counter()
    op.cancel()
    while not op.done:
        app.processEvents()
        time.sleep(0.001)
    cancel_time = time.perf_counter() - cancel_start
    timer.stop()

    print(f"\nReview pane, {args.tickets:,} tickets; period {period.label()} ({tickets:,} tickets in it)\n")
    print(f"compute (core, median of {args.runs}):      {statistics.median(samples):7.3f} s   (target <= 1 s)")
    print(f"compute in the pane's worker, to shown: {in_pane:7.3f} s")
    print(f"longest UI event-loop pause meanwhile:  {max(busy_gaps, default=0):7.0f} ms  "
          f"(median tick {statistics.median(busy_gaps) if busy_gaps else 0:.0f} ms, timer 10 ms)")
    print(f"cancel to worker stopped:               {cancel_time:7.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
