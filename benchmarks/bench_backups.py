"""What a copy of the whole file costs next to the import it would protect
(issue 11, point 6), measured in the same run on the same file:

- baseline: importing a small file (``--import-tickets``, default 20) the way
  every import now runs: parse, validate, one transaction;
- the full pre-import backup earlier versions made before *every* import
  (``backups.make(db, "import")``), and the import with it;
- ``--restore``: a restore of a backup into the file (how long others wait).

    .venv/bin/python benchmarks/bench_backups.py [--tickets 20000] [--db PATH]

``--db`` uses an existing file (e.g. one made with ``amends demo --tickets
1000000``, about 2 GB) and adds the imported tickets to it.
Target: what an import costs must not grow with the size of the file.
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
sys.path.insert(0, str(ROOT))

from amends.core import backups, demo, importers  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402


def small_file(folder: Path, run: int, count: int) -> Path:
    path = folder / f"import-{run}.csv"
    lines = ["external_id,subject,body,category,created_at"]
    lines += [f"bench-{run}-{n},Box arrived crushed {n},The box was crushed.,damaged_shipment,2026-11-01T09:00:00Z"
              for n in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=20_000, help="demo tickets in a new file (without --db)")
    parser.add_argument("--db", type=Path, help="an existing database to measure on (it gains the imports)")
    parser.add_argument("--import-tickets", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--restore", action="store_true", help="also time a restore into the file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="amends-backups-"))
    path = args.db or folder / "bench.db"
    db = open_database(path, "bench")
    if args.db is None:
        demo.generate(db, args.tickets, seed=1, now=datetime(2026, 11, 1, tzinfo=UTC))
    size_mb = path.stat().st_size / 1e6
    tickets = db.scalar("SELECT count(*) FROM tickets")
    imports, copies = [], []
    made = []
    for run in range(args.runs):
        source = small_file(folder, int(time.time() * 1000) + run, args.import_tickets)
        seconds, report = timed(lambda: importers.import_file(db, source, "csv"))  # noqa: B023 (called at once, inside this iteration)
        assert report.written and report.imported == args.import_tickets, report.errors[:3]
        imports.append(seconds)
        seconds, copy = timed(lambda: backups.make(db, "import"))
        copies.append(seconds)
        made.append(copy)
    restore_seconds = None
    if args.restore:
        db.close()
        restore_seconds, safety = timed(lambda: backups.restore(path, made[-1], force=True, actor="bench"))
        made.append(safety)
        db = open_database(path, "bench")
    for copy in made:
        copy.unlink(missing_ok=True)
    db.close()
    imp, cop = statistics.median(imports), statistics.median(copies)
    print(f"\nOn {path} ({size_mb:,.0f} MB, {tickets:,} tickets), median of {args.runs} runs:\n")
    print(f"{'import of ' + str(args.import_tickets) + ' tickets (baseline, now)':<46} {imp:8.3f} s   1.00x")
    print(f"{'full backup before it (earlier versions)':<46} {cop:8.3f} s  {cop / imp:6.1f}x the import")
    print(f"{'import with that backup (before)':<46} {imp + cop:8.3f} s  {(imp + cop) / imp:6.1f}x the import")
    if restore_seconds is not None:
        print(f"{'restore of a backup into the file':<46} {restore_seconds:8.3f} s  "
              f"{restore_seconds / imp:6.1f}x the import")
    print("\nImports make no full copy now: each is one transaction, and the daily backup undoes one.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
