"""What the schema-drift check costs when a window opens a file (issue 20),
next to the cheapest thing the doctor already does, in the same run on the
same files:

- baseline: ``PRAGMA quick_check`` (reads every page: grows with the file);
- ``schema_check.drift`` (catalogue reads only: should not grow);
- the expected schema built once per process (the app's scripts run on an
  in-memory database).

    .venv/bin/python benchmarks/bench_schema_check.py [--tickets 500 20000] [--runs 5]

Target: drift stays flat while quick_check grows with the tickets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amends.core import demo  # noqa: E402
from amends.core.store import schema_check  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402


def best(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, nargs="+", default=[500, 20000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    schema_check.expected.cache_clear()
    schema_check.expected()
    print(f"expected schema built (once per process): {(time.perf_counter() - start) * 1000:.1f} ms")
    folder = Path(tempfile.mkdtemp(prefix="bench-schema-"))
    for count in args.tickets:
        db = open_database(folder / f"{count}.db", "bench")
        demo.generate(db, count, seed=1)
        quick = best(lambda db=db: db.query("PRAGMA quick_check"), args.runs)
        drift = best(lambda db=db: schema_check.drift(db.conn), args.runs)
        print(f"{count:>8,} tickets: quick_check {quick * 1000:8.1f} ms   drift {drift * 1000:6.1f} ms   "
              f"drift / quick_check = {drift / quick:.3f}")
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
