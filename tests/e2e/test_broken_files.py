"""Broken database files, each opened by the CLI and by the app (a real
process, offscreen): a clear one-line message, no traceback, no crash, and
the file's bytes unchanged. A read-only file opens read-only."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from amends.core import tickets
from amends.core.errors import DatabaseProblem
from amends.core.workspace import open_database

from tests.conftest import ACTOR
from tests.helpers import read_only

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent / "amends"


def run(*args: str, env: dict | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("broken") / "base.db"
    db = open_database(path, ACTOR)
    for i in range(400):
        tickets.create(db, f"Ticket {i}", "a body long enough to fill some pages " * 20, category="billing")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


def _truncated(base: Path, target: Path) -> None:
    data = base.read_bytes()
    target.write_bytes(data[: len(data) * 6 // 10])


def _corrupt(base: Path, target: Path) -> None:
    data = bytearray(base.read_bytes())
    for offset in range(4096 * 3, len(data) // 2):
        data[offset] = (offset * 7919) % 251
    target.write_bytes(bytes(data))


def _newer(base: Path, target: Path) -> None:
    shutil.copy(base, target)
    raw = sqlite3.connect(target)
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.execute("PRAGMA user_version = 99")
    raw.close()


BROKEN = {
    "not a database": (lambda base, target: target.write_text("name,email\nAda,ada@example.com\n" * 200),
                       "not an Amends database"),
    "truncated": (_truncated, "damaged"),
    "corrupt pages": (_corrupt, "damaged"),
    "newer schema": (_newer, "newer Amends"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_file_cli_and_app(tmp_path, base, kind):
    make, words = BROKEN[kind]
    target = tmp_path / "broken.db"
    make(base, target)
    before = digest(target)
    for command in (["stats", "--json"], ["search", "ticket"], ["resolve", "1"]):
        result = run("--db", str(target), *command)
        assert result.returncode != 0, (command, result.stdout)
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("amends: ") and words in lines[0], result.stderr
    check = run("--db", str(target), "check")
    assert check.returncode != 0 and "Traceback" not in check.stderr
    app = run("--db", str(target), env={"AMENDS_STARTUP_PROBE": "1", "AMENDS_HOME": str(tmp_path / "home")})
    assert app.returncode != 0 and "Traceback" not in app.stderr and words in app.stderr, app.stderr
    assert digest(target) == before, "the file was not touched"


def test_missing_folder_cli_and_app(tmp_path):
    target = tmp_path / "gone" / "amends.db"
    assert "does not exist" in run("--db", str(target), "stats").stderr
    app = run("--db", str(target), env={"AMENDS_STARTUP_PROBE": "1", "AMENDS_HOME": str(tmp_path / "home")})
    assert app.returncode != 0 and "does not exist" in app.stderr and "Traceback" not in app.stderr
    assert not target.parent.exists()


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_file_or_folder_opens_read_only(tmp_path, base, what):
    folder = tmp_path / "shared"
    folder.mkdir()
    target = folder / "amends.db"
    shutil.copy(base, target)
    before = digest(target)
    with read_only(target if what == "file" else folder):
        stats = run("--db", str(target), "stats", "--json")
        assert stats.returncode == 0, stats.stderr
        refused = run("--db", str(target), "resolve", "1", "--step", "1=done", "--step", "2=done",
                      "--step", "3=done")
        assert refused.returncode != 0 and "read-only" in refused.stderr and "Traceback" not in refused.stderr
        app = run("--db", str(target), env={"AMENDS_STARTUP_PROBE": "1", "AMENDS_HOME": str(tmp_path / "home")})
        assert app.returncode == 0 and "rows=" in app.stdout, app.stderr
    assert digest(target) == before


def test_a_file_locked_by_another_process_for_long(tmp_path, base):
    target = tmp_path / "locked.db"
    shutil.copy(base, target)
    ready, release = tmp_path / "ready", tmp_path / "release"
    # held until released (60 s at most): a fixed 4 s ran out before a loaded machine started the writer
    holder = subprocess.Popen([sys.executable, "-m", "tests.e2e.lock_holder", str(target), "60", str(ready),
                               str(release)], cwd=ROOT)
    while not ready.exists():
        assert holder.poll() is None
        time.sleep(0.02)
    reading = run("--db", str(target), "stats", "--json")
    assert reading.returncode == 0, "readers are not blocked by a writer"
    started = time.monotonic()
    writing = run("--db", str(target), "resolve", "1", "--step", "1=done", "--step", "2=done", "--step", "3=done",
                  env={"AMENDS_LOCK_WAIT_SECONDS": "1"})
    assert time.monotonic() - started < 4
    assert writing.returncode == 1 and "kept the database busy" in writing.stderr and "nothing was saved" in \
        writing.stderr
    assert "Traceback" not in writing.stderr and "database is locked" not in writing.stderr
    assert holder.poll() is None, "the lock was still held while the writer waited"
    release.touch()
    holder.wait(10)
    db = open_database(target, ACTOR)
    assert db.scalar("SELECT count(*) FROM resolutions") == 0
    db.close()


def test_a_full_disk_saves_nothing_and_says_so(db):
    """SQLite's max_page_count makes the file unable to grow: the same error
    a full disk gives."""
    ticket_id = tickets.create(db, "Small", "x")
    pages = db.scalar("PRAGMA page_count")
    db.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(DatabaseProblem, match="full; nothing was saved"):
        tickets.add_message(db, ticket_id, "note", "y" * 200_000)
    assert [m.body for m in tickets.get(db, ticket_id).messages] == ["x"]
    assert db.scalar("PRAGMA integrity_check") == "ok"


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "1m"):
    """A real, tiny filesystem (tmpfs), where the test may mount one."""
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the core test uses max_page_count instead)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()} "
                    "(the core test uses max_page_count instead)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_a_really_full_disk_cli(tmp_path):
    # 2 MB: a 60-ticket demo file of schema 4 and its WAL need about 1.3 MB (1 MB was enough for schema 3)
    with small_disk(tmp_path / "tiny", "2m") as disk:
        target = disk / "amends.db"
        assert run("--db", str(target), "demo", "--tickets", "60").returncode == 0
        before = run("--db", str(target), "stats", "--json").stdout
        big = tmp_path / "big.csv"
        big.write_text("id,subject,body,created_at\n" + "".join(
            f"{i},Subject {i},{'long text ' * 400},2026-01-01\n" for i in range(800)))
        result = run("--db", str(target), "import", str(big))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        message = result.stderr.lower()
        assert "full" in message and ("nothing was saved" in message or "nothing was changed" in message), message
        assert len(result.stderr.strip().splitlines()) == 1
        assert run("--db", str(target), "stats", "--json").stdout == before, "nothing half-imported"
        assert run("--db", str(target), "check").returncode == 0
