"""What every measure of ``benchmarks/run.py`` shares: the row it reports,
timing (median and p95 of several runs), the demo database kept in a cache
folder, and "the same raw SQL" as a baseline.

The baseline for a core call is the SQL that call itself ran, recorded with
sqlite3's trace callback (statements with their values filled in) and
replayed on a plain ``sqlite3`` connection to the same file. So a ratio
near 1 means the core adds next to nothing to what SQLite has to do, and a
query made faster speeds up both sides: the ratio measures our overhead,
the absolute figure the query.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "desktop", ROOT):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

#: Where the demo databases are kept between runs (outside the repository).
CACHE_ENV = "AMENDS_BENCH_CACHE"
#: The ticket that "open a ticket" opens: 50 messages, 10 attachments.
BIG_TICKET_REF = "bench-big-ticket"


@dataclass
class Row:
    """One line of the table and of ``--json``. ``target`` is text
    (``<= 2x``); ``pass`` is None for figures that are only reported."""

    measure: str
    value: float | None
    baseline: float | None
    ratio: float | None
    target: str
    passed: bool | None

    def to_json(self) -> dict:
        data = asdict(self)
        data["pass"] = data.pop("passed")
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in data.items()}


def ratio_row(measure: str, value: float, baseline: float, limit: float, *, unit: str = "x") -> Row:
    """value / baseline against ``<= limit``."""
    ratio = value / baseline if baseline else math.inf
    return Row(measure, value, baseline, ratio, f"<= {limit:g}{unit}", ratio <= limit)


def samples_ms(fn: Callable[[], object], runs: int, *, warm: bool = True) -> list[float]:
    """``runs`` timings of ``fn`` in ms, after one warm-up call (page and
    statement caches filled, as they are in a running app)."""
    if warm:
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


# -- the same raw SQL ------------------------------------------------------------------
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END")


def traced(conn: sqlite3.Connection, fn: Callable[[], object]) -> list[str]:
    """The statements ``fn`` ran on ``conn``, values filled in; transaction
    control left out (a read needs none on a plain connection)."""
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        conn.set_trace_callback(None)
    return [s for s in seen if not s.lstrip().upper().startswith(_CONTROL)]


def replay(raw: sqlite3.Connection, statements: list[str]) -> None:
    for statement in statements:
        raw.execute(statement).fetchall()


def raw_connection(path: Path) -> sqlite3.Connection:
    """A plain connection, autocommit, SQLite's defaults (as Amends's own)."""
    return sqlite3.connect(path, isolation_level=None)


# -- machine ---------------------------------------------------------------------------
def machine() -> dict:
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import platform

    return {"cores": os.cpu_count(), "memory_gb": memory, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "system": platform.platform()}


def rss_mb() -> float:
    """This process's resident memory (Linux /proc; elsewhere the peak)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the demo database, built once per size and schema version -------------------------
def cache_dir() -> Path:
    """``$AMENDS_BENCH_CACHE``, else the user cache folder (platformdirs)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        folder = Path(chosen)
    else:
        import platformdirs

        folder = Path(platformdirs.user_cache_dir("amends-bench", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def demo_key(tickets: int, scripts: dict[int, str] | None = None) -> str:
    """The cache name of a demo file: its size, the schema version and a short
    hash of the schema scripts. The hash is there because an unreleased
    version's script changes while its number stays: a file built by another
    script under the same number is stale and must never be reused."""
    import hashlib

    from amends.core.store.schema import SCRIPTS

    chosen = SCRIPTS if scripts is None else scripts
    digest = hashlib.sha256()
    for version in sorted(chosen):
        digest.update(f"{version}\0{chosen[version]}\0".encode())
    return f"demo-{tickets}-v{max(chosen)}-{digest.hexdigest()[:10]}"


def demo_database(tickets: int, *, log: Callable[[str], None] = print) -> tuple[Path, dict]:
    """The cached demo file for ``tickets`` at the current schema (version and
    scripts, see demo_key), built when absent (into a temporary name, renamed
    when complete, so an interrupted build is never reused). Returns the path
    and what the build took ({"seconds", "size_mb", "tickets"})."""
    folder = cache_dir()
    key = demo_key(tickets)
    path = folder / f"{key}.db"
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists():
        return path, json.loads(info_path.read_text())
    building = folder / f"building-{key}-{os.getpid()}.db"
    older = older_demo(folder, tickets)
    if older is not None:
        return _upgraded(older, building, path, log=log)
    log(f"building the demo database ({tickets:,} tickets) in {folder} ...")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "amends", "--db", str(building), "demo", "--tickets", str(tickets)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    add_big_ticket(building)
    info = {"seconds": round(seconds, 2), "size_mb": round(building.stat().st_size / 1e6, 1), "tickets": tickets}
    building.rename(path)
    info_path.write_text(json.dumps(info))
    log(f"built in {seconds:.1f} s ({info['size_mb']:,.0f} MB)")
    return path, info


def older_demo(folder: Path, tickets: int) -> tuple[Path, int] | None:
    """The cached demo file of this size built by the newest older schema
    version, when there is one: keyed by today's scripts up to that version,
    so it was built by exactly the scripts the app upgrades from (a file of
    an older *draft* is never taken)."""
    from amends.core.store.schema import SCRIPTS

    for version in sorted(SCRIPTS, reverse=True)[1:]:
        old = folder / f"{demo_key(tickets, {v: s for v, s in SCRIPTS.items() if v <= version})}.db"
        if old.exists() and old.with_suffix(".json").exists():
            return old, version
    return None


def _upgraded(older: tuple[Path, int], building: Path, path: Path, *,
              log: Callable[[str], None]) -> tuple[Path, dict]:
    """A copy of the older demo file (SQLite's backup API: the file may be
    open elsewhere), upgraded by opening it as the app does (its migrations,
    with the backup they take first; that backup is deleted after). The
    build figures are the older file's, with the upgrade's time added."""
    from amends.core.store.schema import CURRENT_VERSION
    from amends.core.workspace import open_database

    old, version = older
    log(f"upgrading a copy of {old.name} (schema {version}) to schema {CURRENT_VERSION} ...")
    source = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    copy = sqlite3.connect(building)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    start = time.perf_counter()
    open_database(building, "bench").close()
    seconds = time.perf_counter() - start
    for debris in building.parent.glob(f"{building.name}.pre-v*.bak"):
        debris.unlink()
    info = {**json.loads(old.with_suffix(".json").read_text()), "size_mb": round(building.stat().st_size / 1e6, 1),
            "upgraded_from": version, "upgraded_to": CURRENT_VERSION, "upgrade_seconds": round(seconds, 2)}
    building.rename(path)
    path.with_suffix(".json").write_text(json.dumps(info))
    log(f"upgraded in {seconds:.1f} s")
    return path, info


def add_big_ticket(path: Path) -> None:
    """A long conversation with files: 50 messages, 10 attachments, a
    customer with a subscription (the sidebar has something to show)."""
    from amends.core import attachments, tickets
    from amends.core.workspace import open_database

    db = open_database(path, "bench")
    try:
        customer = db.scalar("SELECT customer_id FROM subscriptions ORDER BY id LIMIT 1")
        ticket_id = tickets.create(db, "Big conversation: the box arrived crushed, again",
                                   "The box arrived crushed.", customer_id=customer, category="damaged_shipment",
                                   ref=BIG_TICKET_REF)
        message_ids = [db.scalar("SELECT id FROM messages WHERE ticket_id = ?", (ticket_id,))]
        for n in range(49):
            direction = ("in", "out", "note")[n % 3]
            message_ids.append(tickets.add_message(db, ticket_id, direction,
                                                   f"Message {n + 2}: about the crushed box, the beans and "
                                                   "the replacement. " * 4))
        with db.transaction() as conn:
            for n in range(10):
                attachments.store(conn, message_ids[n * 5], [attachments.Incoming(
                    f"photo-{n}.jpg", "image/jpeg", n.to_bytes(4, "big") + os.urandom(60_000))],
                    attachments.DEFAULT_LIMIT)
    finally:
        db.close()
