"""Foundation speed: start-up, inbox pages and search on a big database,
each beside a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_foundation.py                 # 1,000,000 tickets
    .venv/bin/python benchmarks/bench_foundation.py --tickets 100000 --db /tmp/b.db

Targets (issue 2): start <= 1.5x a bare QMainWindow; first page and search
through the core service <= 2x the same raw SQL; <= 16 ms from request to
painted rows in the UI. Builds the database with `amends demo` unless --db
already holds that many tickets.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amends.core import tickets  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402

BARE_WINDOW = """
import sys, time
t = time.perf_counter()
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.resize(1500, 900); w.show(); app.processEvents()
import os; os._exit(0)  # to the first paint, like the app's probe (no teardown in either)
"""


def median_ms(fn, runs: int) -> float:
    fn()  # warm the page cache and statement cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def process_ms(command: list[str], env: dict, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def build(path: Path, count: int) -> None:
    if path.exists():
        raw = sqlite3.connect(path)
        have = raw.execute("SELECT count(*) FROM tickets").fetchone()[0]
        raw.close()
        if have >= count:
            print(f"using {path} ({have:,} tickets)")
            return
        raise SystemExit(f"{path} holds {have:,} tickets, fewer than {count:,}; pick another --db")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "amends", "--db", str(path), "demo", "--tickets", str(count)],
                   check=True, cwd=ROOT)
    print(f"demo --tickets {count:,}: {time.perf_counter() - start:.1f} s, "
          f"{path.stat().st_size / 1e6:,.0f} MB")


ROW_SQL = """SELECT t.id, t.subject, t.status, t.category, t.priority, t.assignee,
       coalesce(nullif(c.name, ''), c.email, '') AS customer, t.created_at, t.updated_at, t.billing_cycle
FROM {source} LEFT JOIN customers c ON c.id = t.customer_id WHERE {where} ORDER BY {order} LIMIT 100"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    path = args.db or Path(tempfile.gettempdir()) / f"amends-bench-{args.tickets}.db"
    build(path, args.tickets)

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_STARTUP_PROBE": "1",
           "AMENDS_HOME": tempfile.mkdtemp(prefix="amends-bench-home-")}
    # As on a user's machine, Python may cache compiled modules (some
    # sandboxes turn that off, which makes every start compile everything).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "amends", "--db", str(path)], env=env, capture_output=True)  # warm up
    rows = []
    bare = process_ms([sys.executable, "-c", BARE_WINDOW], env, 5)
    app = process_ms([sys.executable, "-m", "amends", "--db", str(path)], env, 5)
    rows.append(("start-up to first painted inbox page (process)", app, "bare QMainWindow process", bare, 1.5))

    db = open_database(path, "bench")
    raw = sqlite3.connect(path)
    default = tickets.InboxQuery()
    filtered = tickets.InboxQuery(status="all", category="billing", assignee="Ben Carter", sort="priority")
    word = "crushed"
    searching = tickets.InboxQuery(status="all", text=word)
    raw_default = ROW_SQL.format(source="tickets t", where="t.status <> 'resolved'",
                                 order="t.updated_at DESC, t.id DESC")
    raw_filtered = ROW_SQL.format(source="tickets t", where="t.category = ? AND t.assignee = ?",
                                  order="t.priority DESC, t.updated_at DESC, t.id DESC")
    raw_search = ROW_SQL.format(source="ticket_search s JOIN tickets t ON t.id = s.rowid",
                                where="ticket_search MATCH ?", order="s.rowid DESC")
    for label, query, sql, params in (
            ("inbox first page (default view)", default, raw_default, ()),
            ("inbox first page (billing, Ben, by priority)", filtered, raw_filtered, ("billing", "Ben Carter")),
            (f"search '{word}' first page", searching, raw_search, (f'"{word}"*',))):
        core = median_ms(lambda q=query: tickets.page(db, q), args.runs)
        base = median_ms(lambda s=sql, p=params: raw.execute(s, p).fetchall(), args.runs)
        rows.append((label + " via core", core, "same raw SQL", base, 2.0))

    from amends.ui.inbox.inbox_model import InboxModel
    from PySide6.QtWidgets import QApplication, QTableView

    qt = QApplication.instance() or QApplication([])
    model = InboxModel(db)
    view = QTableView()
    view.setModel(model)
    model.header_labels.show_on(view)  # its titles, as the app's list shows them
    view.resize(1000, 800)
    view.show()
    qt.processEvents()
    ui = []
    for label, query in (("default view", default), ("filtered view", filtered), ("search", searching)):
        def request_to_paint(q=query) -> None:
            model.set_query(q)
            view.viewport().repaint()
        ui.append((label, median_ms(request_to_paint, 50)))

    print(f"\nAmends foundation benchmark, {args.tickets:,} tickets, {os.cpu_count()} cores\n")
    print(f"{'measurement':52} {'ms':>9} {'baseline':>26} {'ms':>9} {'ratio':>6} {'target':>7}")
    for label, value, base_label, base, target in rows:
        ratio = value / base if base else float("inf")
        mark = "ok" if ratio <= target else "OVER"
        print(f"{label:52} {value:9.3f} {base_label:>26} {base:9.3f} {ratio:6.2f} <={target:<4} {mark}")
    print()
    for label, value in ui:
        print(f"UI request to painted rows, {label:33} {value:9.3f} ms  (target <= 16 ms) "
              f"{'ok' if value <= 16 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
