"""The POSIX lock trap (SQLite's "How To Corrupt An SQLite Database File",
section 2.2): closing *any* descriptor of the database file drops all of a
process's locks on it. A process that keeps the file open (a window) and
opens a second connection (every background job) must keep its locks, so
that another process closing its connection does not think it is the last,
checkpoint and delete the WAL from under it. Real processes, real files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from amends.core import tickets
from amends.core.store import location
from amends.core.workspace import open_database

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["wal", "delete"])
def mode(request, monkeypatch) -> str:
    """Both journal modes: WAL (local disk) and the rollback journal (network
    shares), forced for this process and the processes it starts."""
    monkeypatch.setenv(location.JOURNAL_MODE_ENV, request.param)
    return request.param


class Holder:
    """A process holding the database open like a window: tests/e2e/holder.py
    (core only), or with ``agent="window_agent"`` a real window."""

    def __init__(self, path: Path, actor: str, agent: str = "holder") -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_HOME": str(path.parent / f"home-{actor}")}
        self.proc = subprocess.Popen([sys.executable, "-m", f"tests.e2e.{agent}", str(path), actor], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout.readline().strip() == "ready"

    def ask(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer.startswith("ok"), f"{command!r}: {answer!r}"
        return answer[3:]

    def quit(self) -> None:
        self.ask("quit")
        assert self.proc.wait(30) == 0


def cli(path: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "amends", "--db", str(path), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def subjects(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [r[0] for r in conn.execute("SELECT subject FROM tickets ORDER BY id")]
    finally:
        conn.close()


def _new_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared.db"
    db = open_database(path, ACTOR)
    tickets.create(db, "first", "made before anyone opened it")
    db.close()
    return path


def test_a_cli_command_next_to_an_open_window_loses_nothing(tmp_path, mode):
    path = _new_file(tmp_path)
    window = Holder(path, "window@trial")
    window.ask("write A")
    window.ask("job")  # a background job: a second connection opened and closed in the window's process
    cli(path, "stats")  # any command: it opens, reads and closes
    if mode == "wal":
        assert Path(f"{path}-wal").exists(), "the WAL was deleted from under the open window"
    window.ask("write B")
    other = open_database(path, "other@trial")
    tickets.create(other, "C", "from another process")
    other.close()
    window.ask("write D")
    assert window.ask("count") == "5", "the window sees the other process's ticket"
    window.quit()
    assert subjects(path) == ["first", "A", "B", "C", "D"]


def test_two_windows_close_one_open_a_third_both_write(tmp_path, mode):
    """The issue's recipe: open 1 and 2, close 2, open 3, both write."""
    path = _new_file(tmp_path)
    first = Holder(path, "one@trial")
    first.ask("job")
    second = Holder(path, "two@trial")
    second.ask("job")
    second.quit()
    third = Holder(path, "three@trial")
    for i in range(5):
        first.ask(f"write one-{i}")
        first.ask("job")
        third.ask(f"write three-{i}")
        third.ask("job")
    first.quit()
    third.quit()
    written = subjects(path)
    assert sorted(written) == sorted(["first"] + [f"{w}-{i}" for w in ("one", "three") for i in range(5)])


@pytest.mark.parametrize("action", ["open", "import", "export", "report"])
def test_the_file_dialogs_of_an_open_window_lose_nothing(tmp_path, action):
    """Qt's file dialog reads the files it lists to guess their types: in the
    database's folder that is the database, its -wal and its -shm, read and
    closed in the window's own process."""
    path = _new_file(tmp_path)
    window = Holder(path, "window@trial", agent="window_agent")
    window.ask("write A")
    window.ask(f"dialog {action}")  # File → Open…/Import…/Export…/Report…, browsing the database's folder
    cli(path, "stats")
    assert Path(f"{path}-wal").exists(), "the WAL was deleted from under the open window"
    window.ask("write B")
    other = open_database(path, "other@trial")
    tickets.create(other, "C", "from another process")
    other.close()
    window.ask("write D")
    window.quit()
    assert subjects(path) == ["first", "A", "B", "C", "D"]


def test_a_real_window_and_its_jobs_next_to_cli_commands(tmp_path, mode):
    path = _new_file(tmp_path)
    window = Holder(path, "window@trial", agent="window_agent")
    expected = ["first"]
    for i in range(3):
        window.ask("job")
        expected.append(f"window-{i}")
        window.ask(f"write window-{i}")
        cli(path, "stats")
        cli(path, "check")
        if mode == "wal":
            assert Path(f"{path}-wal").exists(), "the WAL was deleted from under the open window"
        other = open_database(path, "other@trial")
        expected.append(f"other-{i}")
        tickets.create(other, f"other-{i}", "from another process")
        other.close()
    window.quit()
    assert subjects(path) == expected
