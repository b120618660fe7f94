"""Speed at a million tickets, one command: every measure of issue 16 beside
a baseline measured in the same run, in one table.

    python benchmarks/run.py [--tickets N] [--quick] [--json FILE]

``--tickets`` (default 1,000,000) sizes the demo database, built once per
size and schema version in the cache folder ($AMENDS_BENCH_CACHE, else the
user cache folder) and reused after. ``--quick`` is 100,000 tickets and
fewer runs (what .ci/run does). ``--json FILE`` writes the machine and the
rows (measure, value, baseline, ratio, target, pass).

Exits non-zero only when a measure crashes, never because a target is
missed: the table says pass or FAIL, CI only guards against breakage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common
from bench_common import Row, ratio_row

QUICK_TICKETS = 100_000
MEASURES = ("start", "pages", "painted", "search", "scroll", "ticket", "resolve", "review",
            "import", "fetch")


def start_rows(path: Path, runs: int) -> list[Row]:
    """Process start until the inbox's first page is painted, beside a bare
    QMainWindow process shown (both leave at the first paint), taken in turns.
    Wall time is what a person waits; the CPU time of each process (user +
    system, ``os.times`` of children) moves far less with other processes'
    load on a shared machine, so it is a second row (P16START)."""
    from bench_foundation import BARE_WINDOW

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_STARTUP_PROBE": "1",
           "AMENDS_HOME": tempfile.mkdtemp(prefix="amends-bench-home-")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: compiled modules cached
    command = [sys.executable, "-m", "amends", "--db", str(path)]
    bare_command = [sys.executable, "-c", BARE_WINDOW]
    import statistics
    import subprocess

    probe = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # warm up, and check
    if "first_paint_ms=" not in probe.stdout:
        raise RuntimeError(f"the app did not reach its first paint: {probe.stdout[-500:]} {probe.stderr[-2000:]}")

    def one(cmd: list[str]) -> tuple[float, float]:
        before, start = os.times(), time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
        wall, after = (time.perf_counter() - start) * 1000, os.times()
        cpu = (after.children_user - before.children_user + after.children_system - before.children_system) * 1000
        return wall, cpu

    one(bare_command)
    app, bare = [], []
    for _ in range(runs):
        app.append(one(command))
        bare.append(one(bare_command))
    wall = [statistics.median(w for w, _ in samples) for samples in (app, bare)]
    cpu = [statistics.median(c for _, c in samples) for samples in (app, bare)]
    return [ratio_row("start until the inbox's first page is painted: median ms / bare QMainWindow process",
                      wall[0], wall[1], 1.5),
            ratio_row("start until the inbox's first page is painted: median CPU ms (user+sys) / bare window's",
                      cpu[0], cpu[1], 1.5)]


def import_rows(count: int) -> list[Row]:
    """Import throughput (tickets/s) beside a raw executemany of the same rows."""
    from bench_import import measure

    source, _ = bench_common.demo_database(count, log=_log)
    got = measure(count, source, log=_log)
    rows = []
    for label, key in (("exchange format", "amends"), ("CSV", "csv")):
        ours, raw = count / got[key], count / got["raw"]
        ratio = ours / raw
        rows.append(Row(f"import {count:,} tickets, {label}: tickets/s / raw executemany", ours, raw, ratio,
                        ">= 0.5x", ratio >= 0.5))
    return rows


def fetch_rows(count: int) -> list[Row]:
    """IMAP fetch from a local Dovecot (messages/s) beside raw batched
    imaplib. bench_mail.measure(count) when it exists, else the same steps."""
    import bench_mail

    label = f"fetch {count:,} mails from the local IMAP server: messages/s / raw batched imaplib"
    measure = getattr(bench_mail, "measure", None)
    try:
        got = measure(count) if measure else _fetch(count)
    except BaseException as error:  # pytest.skip (no Dovecot) is a BaseException; anything else is a crash
        if type(error).__name__ != "Skipped":
            raise
        _log(f"fetch skipped: {error}")
        return [Row(label + " (skipped: needs Dovecot)", None, None, None, ">= 0.5x", None)]
    rows = [Row(label, got["amends_per_s"], got["raw_per_s"], got["ratio"], ">= 0.5x", got["ratio"] >= 0.5)]
    # each part alone on the same bytes: the ratio the fetch could reach if it did only that (issue 12.3)
    for key, what in getattr(bench_mail, "PARTS", ()):
        part = got.get("parts", {}).get(key)
        if part is not None:
            rows.append(Row(f"fetch {count:,} mails, {what}: messages/s / raw batched imaplib (the ceiling "
                            "it sets)", part["per_s"], got["raw_per_s"], part["ceiling"], "report", None))
    return rows


def _fetch(count: int) -> dict:
    import bench_mail
    from amends.core.mail import fetch

    from tests.mail.conftest import start_dovecot, stop_dovecot

    proc, server = start_dovecot()
    try:
        server.fill_inbox([bench_mail.customer_mail(n) for n in range(count)])
        raw_time = bench_mail.best(lambda: bench_mail.raw_fetch(server, fetch.BATCH), 3)
        ours_time = bench_mail.best(lambda: bench_mail.amends_fetch(server), 3)
    finally:
        stop_dovecot(proc, server)
    raw, ours = count / raw_time, count / ours_time
    return {"amends_per_s": ours, "raw_per_s": raw, "ratio": ours / raw}


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def print_table(rows: list[Row], info: dict, tickets: int) -> None:
    m = info
    print(f"\nAmends speed, {tickets:,} tickets — {m['cores']} cores, {m['memory_gb']} GB memory, "
          f"Python {m['python']}, SQLite {m['sqlite']}\n")
    print("| measure | Amends | baseline | ratio | target | pass |")
    print("|---|---:|---:|---:|---|---|")

    def number(value: float | None) -> str:
        if value is None:
            return "–"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"

    for row in rows:
        verdict = "–" if row.passed is None else "pass" if row.passed else "**FAIL**"
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}×"
        print(f"| {row.measure} | {number(row.value)} | {number(row.baseline)} | {ratio} | {row.target} | "
              f"{verdict} |")


def _report(rows: list[Row], crashed: list[str], args: argparse.Namespace, path: Path, started: float,
            where: str = "") -> int:
    """The table (and --json) of a run; 1 when a measure crashed."""
    info = bench_common.machine()
    print_table(rows, info, args.tickets)
    print(f"\n(whole run {time.perf_counter() - started:.0f} s{where}; demo file {path})")
    if args.json is not None:
        args.json.write_text(json.dumps({"tickets": args.tickets, "backend": args.backend, "machine": info,
                                         "rows": [r.to_json() for r in rows]}, indent=2) + "\n")
    if crashed:
        _log(f"crashed: {', '.join(crashed)}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="demo tickets (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TICKETS:,} tickets, fewer runs")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated measures to run (default: all): "
                        + ", ".join(MEASURES) + "; with --backend postgresql: pages, search, review, writers")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                        help="postgresql: the measures on a server filled by amends move, beside the same raw SQL "
                             "there and the SQLite figures (bench_postgres.py)")
    parser.add_argument("--pg-url", metavar="URL", help="with --backend postgresql: an empty database to use "
                        "(default: a throwaway local cluster)")
    args = parser.parse_args(argv)
    known = ("pages", "search", "review", "writers") if args.backend == "postgresql" else MEASURES
    if args.quick:
        args.tickets = QUICK_TICKETS
    if not 1_000 <= args.tickets <= 1_000_000:
        parser.error("--tickets must be between 1,000 and 1,000,000")
    chosen = set(args.only.split(",")) if args.only else set()
    if chosen - set(known):
        parser.error(f"--only: unknown measure(s) {', '.join(sorted(chosen - set(known)))}; "
                     f"choose from {', '.join(known)}")
    if args.pg_url and args.backend != "postgresql":
        parser.error("--pg-url needs --backend postgresql")
    if args.json is not None and not args.json.parent.is_dir():
        parser.error(f"--json: folder {args.json.parent} does not exist")

    import bench_speed

    bench_speed.environment_home()
    sizes = bench_speed.Sizes(page_runs=30, paint_runs=10, review_runs=3, ticket_runs=10, resolves=8) \
        if args.quick else bench_speed.Sizes()
    started = time.perf_counter()
    path, built = bench_common.demo_database(args.tickets, log=_log)
    if args.backend == "postgresql":
        import bench_postgres

        rows, crashed = bench_postgres.run(path, sizes, chosen, args.pg_url, quick=args.quick, log=_log)
        return _report(rows, crashed, args, path, started, " on PostgreSQL")
    from amends.core.workspace import open_database

    db = open_database(path, "bench")
    import_count = 20_000 if args.quick else min(100_000, args.tickets)
    fetch_count = 1_000 if args.quick else 5_000
    measures: list[tuple[str, Callable[[], list[Row]]]] = [
        ("start", lambda: start_rows(path, 3 if args.quick else 7)),
        ("pages", lambda: bench_speed.inbox_pages(db, path, sizes)),
        ("painted", lambda: bench_speed.inbox_painted(db, sizes)),
        ("search", lambda: bench_speed.search(db, path, sizes)),
        ("scroll", lambda: bench_speed.scroll(db)),
        ("ticket", lambda: bench_speed.open_ticket(db, path, sizes)),
        ("resolve", lambda: bench_speed.resolve(db, path, sizes)),
        ("review", lambda: bench_speed.review(db, path, sizes)),
        ("import", lambda: import_rows(import_count)),
        ("fetch", lambda: fetch_rows(fetch_count)),
    ]
    rows: list[Row] = []
    crashed = []
    for name, work in measures:
        if chosen and name not in chosen:
            continue
        _log(f"measuring {name} ...")
        try:
            rows.extend(work())
        except Exception:  # noqa: BLE001 (a crash in one measure: printed with its traceback, the run goes on, exits 1)
            crashed.append(name)
            _log(f"measure {name!r} crashed:\n{traceback.format_exc()}")
            rows.append(Row(f"{name} (crashed)", None, None, None, "", None))
    db.close()
    rows.append(Row(f"demo --tickets {args.tickets:,}: seconds to build ({built['size_mb']:,.0f} MB)",
                    built["seconds"], None, None, "report", None))
    if "upgrade_seconds" in built:  # the demo came from an older schema's file (bench_common.older_demo)
        rows.append(Row(f"upgrade demo v{built['upgraded_from']}→v{built['upgraded_to']} ({args.tickets:,} "
                        "tickets): seconds, the app's migrations with their backup", built["upgrade_seconds"],
                        None, None, "report", None))
    info = bench_common.machine()
    print_table(rows, info, args.tickets)
    print(f"\n(whole run {time.perf_counter() - started:.0f} s; demo file {path})")
    if args.json is not None:
        args.json.write_text(json.dumps({"tickets": args.tickets, "machine": info,
                                         "rows": [r.to_json() for r in rows]}, indent=2) + "\n")
    if crashed:
        _log(f"crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
