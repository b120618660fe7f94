"""The sharing trial (issue 11): real app windows with their background jobs
write through their own operations while other processes run every CLI
command against the same file in a loop, and short-lived windows open and
close; afterwards every acknowledged write must be in the file, and the
``.db`` file *alone* (copied without ``-wal``) must pass ``PRAGMA
integrity_check``. Run in either journal mode (``AMENDS_JOURNAL_MODE``).

Used by tests/e2e/test_sharing.py; ``run_trial`` returns the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from amends.core import tickets
from amends.core.store import location
from amends.core.workspace import open_database

ROOT = Path(__file__).resolve().parents[2]
#: Seeded tickets the windows reply to and tag (the CLI resolves the others, one a round).
SHARED_TICKETS = 20


@dataclass
class Figures:
    mode: str
    rounds: int = 0
    acknowledged: int = 0
    refused: int = 0
    lost: list[str] = field(default_factory=list)
    #: Commands or windows that failed (a refusal a person would see).
    failures: list[str] = field(default_factory=list)
    integrity: str = ""
    commands: int = 0
    windows: int = 0
    seconds: float = 0.0


def _env(folder: Path, mode: str, name: str) -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", location.JOURNAL_MODE_ENV: mode,
            "AMENDS_HOME": str(folder / f"home-{name}"), "AMENDS_ACTOR": f"{name}@trial"}


def _window(folder: Path, path: Path, mode: str, name: str, seconds: float, seed: int) -> subprocess.Popen:
    with open(folder / f"{name}.err", "w", encoding="utf-8") as errors:  # a file: a pipe nobody reads can fill up
        return subprocess.Popen([sys.executable, "-m", "tests.e2e.app_writer", str(path),
                                 str(folder / f"{name}.jsonl"), str(folder / "STOP"), str(seconds), str(seed),
                                 f"{name}@trial"], cwd=ROOT, env=_env(folder, mode, name),
                                stdout=subprocess.DEVNULL, stderr=errors)


def _failed(folder: Path, proc: subprocess.Popen) -> str:
    name = Path(proc.args[4]).stem  # the ledger is <name>.jsonl
    return f"window {name} exited with {proc.returncode}: {(folder / f'{name}.err').read_text()[-500:]}"


def _cli(folder: Path, path: Path, mode: str, *args: str, db: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "amends", "--db", str(db or path), *args], cwd=ROOT,
                          env=_env(folder, mode, "cli"), capture_output=True, text=True, timeout=180)


def run_trial(folder: Path, mode: str, rounds: int, windows: int = 2) -> Figures:
    """``windows`` long-lived windows write the whole time; each round runs
    every CLI command once and opens and closes one more window."""
    started = time.monotonic()
    figures = Figures(mode)
    before = os.environ.get(location.JOURNAL_MODE_ENV)
    os.environ[location.JOURNAL_MODE_ENV] = mode  # this process's own connections too
    try:
        path = folder / "shared.db"
        db = open_database(path, "setup@trial")
        seeded = [tickets.create(db, f"Seeded {i}", "a customer wrote", category="other")
                  for i in range(SHARED_TICKETS + rounds)]
        cli_tickets = seeded[SHARED_TICKETS:]
        db.close()
        acks: list[dict] = []
        failures: list[str] = []
        long_lived = [_window(folder, path, mode, f"window{w}", 3600, w) for w in range(windows)]
        short: list[subprocess.Popen] = []
        for r in range(rounds):
            short.append(_window(folder, path, mode, f"brief{r}", 1.5, 100 + r))
            backup = folder / f"backup-{r}.db"
            imported = folder / f"import-{r}.csv"
            imported.write_text("ref,subject,body,category,created_at\n"
                                f"imp-{r},Imported in round {r},from a file,other,2026-11-01T10:00:00Z\n",
                                encoding="utf-8")
            ticket = cli_tickets[r]
            steps = ["resolve", str(ticket), "--step", "1=done", "--step", "2=done"]
            for args in (["stats"], ["check"], ["search", "customer"], ["insights", "--json"],
                         ["report", "--out", str(folder / f"report-{r}.pdf")],
                         ["export", "--format", "csv", "--out", str(folder / f"export-{r}.csv")],
                         ["backup", str(backup)], ["import", str(imported)], steps):
                done = _cli(folder, path, mode, *args)
                figures.commands += 1
                if done.returncode != 0:
                    failures.append(f"round {r}: amends {' '.join(args)}: {done.stderr.strip()[-300:]}")
                elif args[0] == "import":
                    acks.append({"op": "imported", "subject": f"Imported in round {r}"})
                elif args[0] == "resolve":
                    acks.append({"op": "resolved", "ticket": ticket})
            restored = folder / f"restored-{r}.db"
            done = _cli(folder, path, mode, "restore", str(backup), db=restored)  # into another file
            figures.commands += 1
            if done.returncode != 0:
                failures.append(f"round {r}: restore: {done.stderr.strip()[-300:]}")
            else:
                check = sqlite3.connect(restored)
                if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    failures.append(f"round {r}: the restored copy is damaged")
                check.close()
            figures.rounds += 1
        for proc in short:
            if proc.wait(120) != 0:
                failures.append(_failed(folder, proc))
        (folder / "STOP").write_text("stop")
        for proc in long_lived:
            if proc.wait(120) != 0:
                failures.append(_failed(folder, proc))
        figures.windows = len(short) + len(long_lived)
        for ledger in folder.glob("*.jsonl"):
            for line in ledger.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                if entry["op"] == "refused":
                    figures.refused += 1
                else:
                    acks.append(entry)
        figures.acknowledged = len(acks)
        # Every process has quit: the .db file alone must hold everything.
        alone = folder / "alone" / "shared.db"
        alone.parent.mkdir()
        shutil.copyfile(path, alone)
        figures.integrity, figures.lost = _verify(alone, acks)
        figures.failures = failures
    finally:
        if before is None:
            os.environ.pop(location.JOURNAL_MODE_ENV, None)
        else:
            os.environ[location.JOURNAL_MODE_ENV] = before
    figures.seconds = time.monotonic() - started
    return figures


def _verify(path: Path, acks: list[dict]) -> tuple[str, list[str]]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
        lost = [json.dumps(a) for a in acks if not _present(conn, a)]
        return integrity, lost
    finally:
        conn.close()


def _present(conn: sqlite3.Connection, ack: dict) -> bool:
    op = ack["op"]
    if op == "ticket":
        return conn.execute("SELECT 1 FROM tickets WHERE id = ? AND subject = ?", (ack["id"], ack["subject"])).fetchone() \
            is not None
    if op == "message":
        return conn.execute("SELECT 1 FROM messages WHERE id = ? AND ticket_id = ? AND body = ?",
                            (ack["id"], ack["ticket"], ack["body"])).fetchone() is not None
    if op == "tag":
        return conn.execute("SELECT 1 FROM ticket_tags JOIN tags ON tags.id = tag_id WHERE ticket_id = ? "
                            "AND tags.name = ?", (ack["ticket"], ack["tag"])).fetchone() is not None
    if op == "draft":  # later saves may overwrite the draft; the audit entry of this one must be there
        return conn.execute("SELECT 1 FROM audit_log WHERE entity = 'policy' AND entity_id = ? AND action = "
                            "'edit_draft' AND json_extract(change, '$.name') = ?",
                            (ack["policy"], ack["name"])).fetchone() is not None
    if op == "resolution":
        return conn.execute("SELECT 1 FROM resolutions r JOIN tickets t ON t.id = r.ticket_id WHERE r.id = ? "
                            "AND r.ticket_id = ? AND t.status = 'resolved'", (ack["id"], ack["ticket"])).fetchone() \
            is not None
    if op == "imported":
        return conn.execute("SELECT 1 FROM tickets WHERE subject = ?", (ack["subject"],)).fetchone() is not None
    if op == "resolved":
        return conn.execute("SELECT 1 FROM tickets t JOIN resolutions r ON r.ticket_id = t.id WHERE t.id = ? "
                            "AND t.status = 'resolved'", (ack["ticket"],)).fetchone() is not None
    raise ValueError(f"unknown acknowledgement {ack}")
