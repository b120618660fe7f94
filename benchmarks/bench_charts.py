"""Our QPainter charts against the QtCharts build they replaced: the Review
pane's start (import, build, figures shown, first paint) and what
PySide6-Addons costs on disk.

    .venv/bin/python benchmarks/bench_charts.py [--tickets N] [--runs N] [--old-ref REF]

Each sample is a fresh process (imports are what differ), run alternately
for the two builds on the same demo database. The old build is the
package as it was at ``--old-ref`` (default: the last commit before the
switch), taken with ``git archive`` into a temporary folder; it needs
PySide6.QtCharts, so it only runs while PySide6-Addons is installed in
this venv (otherwise only the new build is timed, and the ratio is not
printed). Prints medians and the ratio new/old, and the installed size of
the PySide6 wheels from their RECORD files.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD_REF = "8b2b602"  # main before the chart module: ui/review on QtCharts

CHILD = r"""
import os, sys, time
start = time.perf_counter()
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
app = QApplication([])
from amends.core import insights
from amends.core.insights.period import Period
from amends.core.workspace import open_database
from amends.ui.review.review_pane import ReviewPane
imported = time.perf_counter()
from datetime import date
db = open_database(sys.argv[1], "bench")
period = Period(date(2026, 1, 1), date(2026, 9, 30))
data = insights.compute(db, period).to_json()
computed = time.perf_counter()
pane = ReviewPane(db)
pane.resize(1280, 720)
pane.show_data(data, period, insights.Settings())
pane.show()
app.processEvents()
content = pane.findChild(__import__("PySide6.QtWidgets", fromlist=["QScrollArea"]).QScrollArea).widget()
content.grab()  # every chart painted once
done = time.perf_counter()
print(f"{imported - start:.4f} {done - computed:.4f} {done - start - (computed - imported):.4f}")
"""


def run(source: Path, db: Path) -> tuple[float, float, float]:
    env = dict(os.environ, PYTHONPATH=str(source), AMENDS_HOME=tempfile.mkdtemp(prefix="amends-bench-"))
    result = subprocess.run([sys.executable, "-c", CHILD, str(db)], capture_output=True, text=True, env=env,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed")
    imported, shown, total = (float(x) for x in result.stdout.split())
    return imported, shown, total


def installed_mb(distribution: str) -> float | None:
    try:
        files = importlib.metadata.files(distribution) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--old-ref", default=OLD_REF)
    args = parser.parse_args()
    from datetime import UTC, datetime

    sys.path.insert(0, str(ROOT / "desktop"))
    from amends.core import demo
    from amends.core.workspace import open_database

    work = Path(tempfile.mkdtemp(prefix="amends-bench-charts-"))
    db_path = work / "demo.db"
    db = open_database(db_path, "bench")
    demo.generate(db, args.tickets, seed=1, now=datetime(2026, 11, 1, tzinfo=UTC))
    db.close()
    old = work / "old"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.old_ref, "desktop"], capture_output=True,
                             check=False)
    builds = {"new (QPainter)": ROOT / "desktop"}
    if archive.returncode == 0:
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        builds["old (QtCharts)"] = old / "desktop"
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in builds}
    for _ in range(args.runs):
        for name, source in builds.items():
            try:
                samples[name].append(run(source, db_path))
            except RuntimeError as error:
                print(f"{name}: cannot run ({error})")
                samples[name] = []
                builds = {n: s for n, s in builds.items() if n != name}
                break
    print(f"Review pane, {args.tickets:,} demo tickets, {args.runs} fresh processes each (median seconds):")
    medians = {}
    for name, rows in samples.items():
        if not rows:
            continue
        medians[name] = [statistics.median(r[i] for r in rows) for i in range(3)]
        imported, shown, total = medians[name]
        print(f"  {name:15} import {imported:.3f}  build+show+paint {shown:.3f}  start without compute {total:.3f}")
    if len(medians) == 2:
        new, old_ = medians["new (QPainter)"], medians["old (QtCharts)"]
        print(f"  ratio new/old: import {new[0] / old_[0]:.2f}, build+show+paint {new[1] / old_[1]:.2f}, "
              f"start {new[2] / old_[2]:.2f}")
    for dist in ("PySide6-Essentials", "PySide6-Addons"):
        size = installed_mb(dist)
        print(f"  {dist}: " + ("not installed" if size is None else f"{size:.0f} MB installed"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
