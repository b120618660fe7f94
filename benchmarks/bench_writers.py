"""Several writers on one file: resolutions per second with 1, 2 and 4 writer
processes, the p95 wait for the write lock, and how long until another
instance (polling like the app does) sees a change.

    .venv/bin/python benchmarks/bench_writers.py [--seconds 5] [--tickets 6000]

Targets (issue 4): 4 writers >= 0.7x the single-writer throughput; a change
visible to another instance within 2 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amends.core import customers, resolution, tickets  # noqa: E402
from amends.core.store import connection  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402
from amends.ui.shell.main_window import POLL_MS  # noqa: E402


def build(path: Path, count: int) -> None:
    db = open_database(path, "bench")
    customer = customers.create(db, "bench@example.com", "Bench", plan="Coffee Monthly",
                                started_at="2026-01-01T00:00:00Z")
    with db.transaction():
        for i in range(count):
            tickets.create(db, f"Crushed box {i}", "The box was crushed.", customer_id=customer,
                           category="damaged_shipment")
    db.close()


def writer(path: str, ids: list[int], seconds: float, out: str) -> None:
    waits: list[float] = []
    original = connection.Database._wait_for

    def timed(self, statement, patient=True):
        start = time.perf_counter()
        try:
            return original(self, statement, patient)
        finally:
            if statement.startswith("BEGIN"):
                waits.append(time.perf_counter() - start)

    connection.Database._wait_for = timed
    db = open_database(path, f"writer-{ids[0]}", create=False)
    done = 0
    deadline = time.monotonic() + seconds
    for ticket_id in ids:
        if time.monotonic() >= deadline:
            break
        checklist = resolution.checklist_for(db, ticket_id)
        outcomes = [resolution.StepOutcome(i, True) for i in range(len(checklist.steps))]
        resolution.resolve(db, ticket_id, checklist.policy.id, outcomes, resolution.Offer(5),
                           expected_version=checklist.ticket_version)
        done += 1
    Path(out).write_text(json.dumps({"done": done, "waits": waits}))


def run(base: Path, writers: int, seconds: float, folder: Path) -> dict:
    path = folder / f"writers-{writers}.db"
    shutil.copy(base, path)
    db = open_database(path, "bench")
    ids = [r[0] for r in db.query("SELECT id FROM tickets WHERE status = 'open' ORDER BY id")]
    db.close()
    ctx = multiprocessing.get_context("spawn")
    procs = []
    for n in range(writers):
        share = ids[n::writers]
        procs.append(ctx.Process(target=writer, args=(str(path), share, seconds, str(folder / f"out-{writers}-{n}"))))
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - start
    results = [json.loads((folder / f"out-{writers}-{n}").read_text()) for n in range(writers)]
    waits = sorted(w for r in results for w in r["waits"])
    done = sum(r["done"] for r in results)
    return {"writers": writers, "done": done, "per_second": done / seconds, "elapsed": elapsed,
            "wait_p95_ms": 1000 * waits[int(0.95 * (len(waits) - 1))] if waits else 0.0,
            "wait_max_ms": 1000 * waits[-1] if waits else 0.0}


def visibility(base: Path, folder: Path, trials: int = 10) -> list[float]:
    """A second connection polls PRAGMA data_version every POLL_MS, as the app
    does; how long after a commit does it notice?"""
    path = folder / "visibility.db"
    shutil.copy(base, path)
    writer_db = open_database(path, "writer", create=False)
    reader_db = open_database(path, "reader", create=False)
    delays = []
    ticket_ids = [r[0] for r in writer_db.query("SELECT id FROM tickets LIMIT ?", (trials,))]
    for i, ticket_id in enumerate(ticket_ids):
        mark = reader_db.data_version()
        time.sleep((i / trials) * POLL_MS / 1000)  # commits land at different points of the poll cycle
        committed = time.perf_counter()
        tickets.add_message(writer_db, ticket_id, "note", "visible?")
        next_poll = committed + (POLL_MS / 1000) * (1 - i / trials)
        while reader_db.data_version() == mark:
            time.sleep(0.001)
        seen = max(time.perf_counter(), next_poll)
        delays.append(seen - committed)
    return delays


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--tickets", type=int, default=6000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="amends-writers-"))
    base = folder / "base.db"
    build(base, args.tickets)
    rows = [run(base, n, args.seconds, folder) for n in (1, 2, 4)]
    single = rows[0]["per_second"]
    print(f"\nWriters on one file (local disk, WAL), {args.seconds:g} s each, resolve with the full checklist\n")
    print(f"{'writers':>7} {'resolutions/s':>14} {'vs 1 writer':>12} {'lock wait p95':>14} {'max':>9}")
    for row in rows:
        print(f"{row['writers']:>7} {row['per_second']:>14.1f} {row['per_second'] / single:>11.2f}x "
              f"{row['wait_p95_ms']:>11.1f} ms {row['wait_max_ms']:>6.1f} ms")
    print(f"\ntarget: 4 writers >= 0.7x one writer -> {'ok' if rows[-1]['per_second'] >= 0.7 * single else 'OVER'}")
    delays = visibility(base, folder)
    print(f"change seen by another instance polling every {POLL_MS} ms: median {statistics.median(delays):.2f} s, "
          f"max {max(delays):.2f} s (target <= 2 s)")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
