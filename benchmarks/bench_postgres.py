"""The same Amends on a PostgreSQL server (issue 19 point 7), for
``benchmarks/run.py --backend postgresql [--pg-url URL]``.

The server: a throwaway local cluster as the tests make (tests/pg_cluster.py),
or ``--pg-url`` naming an empty database (or one this benchmark filled before
with the same demo: it is reused). It is filled by ``amends move`` from the
cached demo file, so both backends hold the same rows, ids and all.

Every measure is reported twice: beside the same raw SQL on the same server
(the statements the core call ran, recorded with their values and replayed
through a plain psycopg connection: our overhead), and beside the same core
call on the SQLite demo file (the cost of the server). Inbox pages and
searches are p95 of several runs, the Review figures a median, and the
writers 8 processes resolving tickets at once for a few seconds, beside 8
processes writing the same rows in raw transactions on the server, and 8
writers on a copy of the file.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_common import ROOT, Row, median, p95, raw_connection, replay, traced

MEASURES = ("pages", "search", "review", "writers")
WRITERS = 8
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END")


# -- the server ----------------------------------------------------------------
def server(pg_url: str | None, demo: Path, log: Callable[[str], None]) -> tuple[str, list[Row], Callable[[], None]]:
    """The URL of a database holding the demo, the move's row, and how to clean up."""
    import psycopg

    rows: list[Row] = []
    if pg_url is None:
        from tests import pg_cluster

        bindir, why = pg_cluster.find_or_install()
        if bindir is None:
            raise RuntimeError(f"no PostgreSQL for the benchmark: {why}; or give --pg-url")
        cluster = pg_cluster.start(bindir)
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE amends_bench")
        url, cleanup = cluster.url("amends_bench"), cluster.stop
    else:
        url, cleanup = pg_url, (lambda: None)
    with psycopg.connect(url) as conn:
        filled = conn.execute("SELECT to_regclass('tickets')").fetchone()[0] is not None
        count = conn.execute("SELECT count(*) FROM tickets").fetchone()[0] if filled else None
    if filled:
        with sqlite3.connect(f"{demo.as_uri()}?mode=ro", uri=True) as file:
            want = file.execute("SELECT count(*) FROM tickets").fetchone()[0]
        if count < want:
            cleanup()
            raise RuntimeError(f"--pg-url holds {count:,} tickets, the demo {want:,}: give an empty database")
        log(f"reusing the {count:,} tickets already on the server")
        return url, rows, cleanup
    log("filling the server with amends move ...")
    moved = subprocess.run([sys.executable, "-m", "amends", "move", "--from", str(demo), "--to", url],
                           capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=7200)
    if moved.returncode != 0:
        cleanup()
        raise RuntimeError(f"amends move failed: {moved.stderr.strip()[-2000:]}")
    log(moved.stdout.strip())
    found = re.search(r"Moved ([\d,]+) rows .* in ([\d.]+) s \(([\d,]+) rows/s\); verified .* in ([\d.]+) s",
                      moved.stdout)
    if found:
        total, copy_s, per_s, verify_s = found.groups()
        rows.append(Row(f"amends move of the demo file to the server ({total} rows): rows/s copied",
                        float(per_s.replace(",", "")), None, None, "report", None))
        rows.append(Row("amends move: seconds copying / seconds verifying (counts, every row, exports)",
                        float(copy_s), float(verify_s), float(copy_s) / float(verify_s), "report", None))
    return url, rows, cleanup


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "desktop"), str(ROOT)])}


# -- the same raw SQL on the server ----------------------------------------------
def recorded(db: Any, fn: Callable[[], object]) -> list[tuple[str, Any]]:
    """The statements ``fn`` ran on the server, translated, with their values."""
    from amends.core.store.dialect import to_postgres

    seen: list[tuple[str, Any]] = []
    conn = db.conn
    original = conn.execute

    def record(sql: str, params: Any = (), *, tuples: bool = False) -> Any:
        if not sql.strip().upper().startswith(_CONTROL):
            seen.append((to_postgres(sql).sql, params if isinstance(params, dict) else tuple(params)))
        return original(sql, params, tuples=tuples)

    conn.execute = record  # this instance only, while fn runs
    try:
        fn()
    finally:
        del conn.execute
    return seen


def replay_pg(raw: Any, statements: list[tuple[str, Any]]) -> None:
    for sql, params in statements:
        cursor = raw.execute(sql, params)
        if cursor.description:
            cursor.fetchall()


def _turns(calls: list[Callable[[], object]], runs: int) -> list[list[float]]:
    """ms of each call, taken in turns after a warm-up of each (both meet the same load)."""
    for call in calls:
        call()
    out: list[list[float]] = [[] for _ in calls]
    for _ in range(runs):
        for call, times in zip(calls, out, strict=True):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
    return out


def _three(label: str, pg: Any, lite: Any, path: Path, raw_pg: Any, fn: Callable[[Any], object], runs: int,
           pick: Callable[[list[float]], float], what: str, limit: float,
           trace: Callable[[Any], object] | None = None) -> list[Row]:
    """core on the server / raw on the server, and core on the server / core on the file. ``trace``: the
    same work on the one connection the statements are recorded from (the Review one part after another:
    side by side, its parts run on connections of their own); the raw baselines replay them in turn."""
    trace = trace or fn
    statements = recorded(pg, lambda: trace(pg))
    raw_lite = raw_connection(path)
    file_statements = traced(lite.conn, lambda: trace(lite))
    core, raw, file, file_raw = _turns([lambda: fn(pg), lambda: replay_pg(raw_pg, statements), lambda: fn(lite),
                                        lambda: replay(raw_lite, file_statements)], runs)
    raw_lite.close()
    ours, base, sqlite_core, sqlite_raw = pick(core), pick(raw), pick(file), pick(file_raw)
    return [Row(f"PostgreSQL {label}: {what} ms via core / same raw SQL on the server", ours, base, ours / base,
                f"<= {limit:g}x", ours / base <= limit),
            Row(f"PostgreSQL {label}: {what} ms on the server / on the SQLite file (core; raw SQLite "
                f"{sqlite_raw:.3g} ms)", ours, sqlite_core, ours / sqlite_core, "report", None)]


def reads(pg: Any, lite: Any, path: Path, url: str, sizes: Any, chosen: set[str]) -> list[Row]:
    import psycopg
    from amends.core import insights, tickets
    from bench_speed import SEARCHES, VIEWS

    raw_pg = psycopg.connect(url, autocommit=True)
    rows: list[Row] = []
    try:
        if not chosen or "pages" in chosen:
            for label, query in VIEWS:
                rows += _three(f"inbox first page, {label}", pg, lite, path, raw_pg,
                               lambda db, q=query: tickets.page(db, q), sizes.page_runs, p95, "p95", 2.0)
        if not chosen or "search" in chosen:
            for label, text in SEARCHES:
                query = tickets.InboxQuery(status="all", text=text)
                rows += _three(f"search {label}", pg, lite, path, raw_pg,
                               lambda db, q=query: tickets.page(db, q), sizes.page_runs, p95, "p95", 2.0)
        if not chosen or "review" in chosen:
            period = insights.last_full_quarter()
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            rows += _three(f"Review figures for {period.label()}", pg, lite, path, raw_pg,
                           lambda db: insights.compute(db, period, now=now), sizes.review_runs, median, "median",
                           1.5, trace=lambda db: insights.compute(db, period, now=now, workers=1))
            workers = insights.running.default_workers()
            if workers > 1:  # does running the parts side by side pay on a server? the same Review both ways
                side, one = _turns([lambda: insights.compute(pg, period, now=now),
                                    lambda: insights.compute(pg, period, now=now, workers=1)], sizes.review_runs)
                rows.append(Row(f"PostgreSQL Review figures: median ms with {workers} parts side by side / one part "
                                "after another (core)", median(side), median(one), median(side) / median(one),
                                "report", None))
    finally:
        raw_pg.close()
    return rows


# -- 8 writers at once -------------------------------------------------------------
def _writer(target: str, ids: list[int], start_at: float, seconds: float, raw: bool, out: str) -> None:
    """One writer process: resolve its tickets (core) or write the same rows raw, from start_at for seconds."""
    sys.path[:0] = [str(ROOT / "desktop"), str(ROOT)]
    done = 0
    if raw:
        import psycopg

        conn = psycopg.connect(target, autocommit=True)
        version = conn.execute("SELECT id FROM policy_versions WHERE published_at IS NOT NULL ORDER BY id LIMIT 1"
                               ).fetchone()[0]
        time.sleep(max(0.0, start_at - time.time()))
        began = time.monotonic()
        deadline = began + seconds
        at = "2026-12-01T00:00:00Z"
        for ticket_id in ids:
            if time.monotonic() >= deadline:
                break
            with conn.transaction():
                rid = conn.execute("INSERT INTO resolutions (ticket_id, policy_version_id, actor, resolved_at, "
                                   "offer_value, category, steps_total) VALUES (%s, %s, 'raw', %s, 5, "
                                   "'damaged_shipment', 5) RETURNING id", (ticket_id, version, at)).fetchone()[0]
                with conn.cursor() as cursor:
                    cursor.executemany("INSERT INTO resolution_steps (resolution_id, position, type, outcome) "
                                       "VALUES (%s, %s, 'custom', 'done')", [(rid, p) for p in range(5)])
                conn.execute("UPDATE tickets SET status = 'resolved', resolved_at = %s, updated_at = %s, "
                             "version = version + 1 WHERE id = %s", (at, at, ticket_id))
            done += 1
        conn.close()
    else:
        from amends.core import resolution
        from amends.core.workspace import open_database

        db = open_database(target, f"writer-{ids[0]}", create=False)
        time.sleep(max(0.0, start_at - time.time()))
        began = time.monotonic()
        deadline = began + seconds
        for ticket_id in ids:
            if time.monotonic() >= deadline:
                break
            checklist = resolution.checklist_for(db, ticket_id)
            if checklist.policy is None:
                continue
            outcomes = [resolution.StepOutcome(i, True) for i in range(len(checklist.steps))]
            resolution.resolve(db, ticket_id, checklist.policy.id, outcomes, resolution.Offer(5),
                               expected_version=checklist.ticket_version)
            done += 1
        db.close()
    # the time used: a writer that ran out of tickets before the end counts its own time
    Path(out).write_text(json.dumps({"done": done, "seconds": time.monotonic() - began}))


def _writers(target: str, ids: list[int], seconds: float, raw: bool, folder: Path) -> float:
    """Resolutions per second of WRITERS processes together."""
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 4.0  # every process imported and connected before the clock starts
    outs = [folder / f"writer-{raw}-{n}-{time.time_ns()}.json" for n in range(WRITERS)]
    procs = [ctx.Process(target=_writer, args=(target, ids[n::WRITERS], start_at, seconds, raw, str(outs[n])))
             for n in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    failed = [p.exitcode for p in procs if p.exitcode]
    if failed:
        raise RuntimeError(f"{len(failed)} writer processes failed (exit {failed[0]})")
    results = [json.loads(out.read_text()) for out in outs]
    return sum(r["done"] for r in results) / max(max(r["seconds"] for r in results), 1e-9)


def writers(pg: Any, path: Path, url: str, seconds: float) -> list[Row]:
    """8 processes resolving at once: on the server via the core, raw on the server, on a copy of the file."""
    folder = Path(tempfile.mkdtemp(prefix="amends-bench-pg-writers-"))
    ids = [r[0] for r in pg.query("SELECT id FROM tickets WHERE status <> 'resolved' AND category = "
                                  "'damaged_shipment' ORDER BY id")]  # one checklist (5 steps) for all
    core_ids, raw_ids = ids[0::2], ids[1::2]
    copy = folder / "writers.db"
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as source, sqlite3.connect(copy) as dest:
        source.backup(dest)  # DESIGN.md: copies through the backup API
    ours = _writers(url, core_ids, seconds, False, folder)
    raw = _writers(url, raw_ids, seconds, True, folder)
    lite = _writers(str(copy), core_ids, seconds, False, folder)
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
    return [Row(f"PostgreSQL {WRITERS} writer processes resolving at once: resolutions/s via core / same rows raw "
                "on the server", ours, raw, ours / raw, "report", None),
            Row(f"PostgreSQL {WRITERS} writer processes: resolutions/s on the server / on the SQLite file",
                ours, lite, ours / lite, "report", None)]


def run(path: Path, sizes: Any, chosen: set[str], pg_url: str | None, *, quick: bool,
        log: Callable[[str], None]) -> tuple[list[Row], list[str]]:
    """Every PostgreSQL measure; (rows, names of the measures that crashed)."""
    import traceback

    from amends.core.workspace import open_database

    url, rows, cleanup = server(pg_url, path, log)
    crashed: list[str] = []
    try:
        pg = open_database(url, "bench")
        lite = open_database(path, "bench")
        try:
            for name in ("pages", "search", "review"):
                if chosen and name not in chosen:
                    continue
                log(f"measuring {name} on PostgreSQL ...")
                try:
                    rows += reads(pg, lite, path, url, sizes, {name})
                except Exception:  # noqa: BLE001 (a crash in one measure: printed, the run goes on, exits 1)
                    crashed.append(name)
                    log(f"measure {name!r} crashed:\n{traceback.format_exc()}")
            if not chosen or "writers" in chosen:
                log("measuring writers on PostgreSQL ...")
                try:
                    rows += writers(pg, path, url, 3.0 if quick else 5.0)
                except Exception:  # noqa: BLE001 (as above)
                    crashed.append("writers")
                    log(f"measure 'writers' crashed:\n{traceback.format_exc()}")
        finally:
            pg.close()
            lite.close()
    finally:
        cleanup()
    return rows, crashed
