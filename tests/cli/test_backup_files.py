"""``amends backup`` / ``restore`` with relative paths, and the modes of every
kind of file the ``amends`` processes make (issue 11, points 6 and 10):
customer data is readable by its user only, whatever the umask."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import BIN, one_line_error

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command as a user with the common umask 022 runs it."""
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, **(env or {})}, preexec_fn=lambda: os.umask(0o022))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_and_restore_take_relative_paths(tmp_path):
    assert run("--db", "live.db", "demo", "--tickets", "20", cwd=tmp_path).returncode == 0
    (tmp_path / "bk").mkdir()
    made = run("--db", "live.db", "backup", "bk/x.db", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "internal error" not in made.stderr and str(tmp_path / "bk" / "x.db") in made.stdout
    again = run("--db", "live.db", "backup", "bk/x.db", cwd=tmp_path)
    assert "exists" in one_line_error(again)
    restored = run("--db", "live.db", "restore", "bk/x.db", "--force", cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "kept as" in restored.stdout
    fresh = run("--db", "new.db", "restore", "bk/x.db", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert run("--db", "new.db", "check", cwd=tmp_path).returncode == 0
    into_folder = [run("--db", "live.db", "backup", "bk", cwd=tmp_path) for _ in range(2)]
    assert all(r.returncode == 0 for r in into_folder), [r.stderr for r in into_folder]
    leftovers = [p.name for p in (tmp_path / "bk").iterdir() if not p.name.endswith(".db")]
    assert leftovers == [], "no -wal/-shm/-journal/.partial beside the backups"


def test_every_file_the_processes_make_is_private(tmp_path):
    home = tmp_path / "home"
    env = {"AMENDS_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    work = tmp_path / "work"
    work.mkdir()
    db = work / "live.db"
    assert run("--db", str(db), "demo", "--tickets", "30", cwd=tmp_path, env=env).returncode == 0
    files: dict[str, Path] = {"database": db}
    files.update({f"database{side}": Path(f"{db}{side}") for side in ("-wal", "-shm") if Path(f"{db}{side}").exists()})
    assert run("--db", str(db), "backup", str(work / "manual.db"), cwd=tmp_path, env=env).returncode == 0
    files["backup"] = work / "manual.db"
    restored = run("--db", str(db), "restore", str(work / "manual.db"), "--force", cwd=tmp_path, env=env)
    assert restored.returncode == 0, restored.stderr
    (files["safety copy"],) = (db.parent / "live.db.backups").glob("*before-restore*.db")
    old = work / "old.db"
    shutil.copy(ROOT / "tests" / "fixtures" / "amends-v1.db", old)
    old.chmod(0o600)
    assert run("--db", str(old), "stats", cwd=tmp_path, env=env).returncode == 0
    (files["upgrade copy"],) = work.glob("old.db.pre-v*.bak")
    for fmt in ("amends", "csv", "json"):
        out = work / f"export.{fmt}"
        result = run("--db", str(db), "export", "--format", fmt, "--out", str(out), cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        files[f"{fmt} export"] = out
    report = run("--db", str(db), "report", "--out", str(work / "q.pdf"), cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr
    files["report"] = work / "q.pdf"
    app = run(cwd=tmp_path, env={**env, "AMENDS_STARTUP_PROBE": "1", "AMENDS_DB": ""})  # the default database
    assert app.returncode == 0, app.stderr
    files["app log"] = home / "log" / "amends.log"
    files["default database"] = home / "data" / "amends.db"
    folders = {"backups folder": db.parent / "live.db.backups", "log folder": home / "log",
               "data folder": home / "data"}
    modes = {name: oct(mode(path)) for name, path in files.items()}
    assert modes == {name: "0o600" for name in files}, modes
    assert {name: oct(mode(path)) for name, path in folders.items()} == {name: "0o700" for name in folders}


def test_the_crash_log_is_private(tmp_path, monkeypatch):
    from amends import cli

    monkeypatch.setenv("AMENDS_HOME", str(tmp_path / "home"))
    old = os.umask(0o022)
    try:
        try:
            raise RuntimeError("a bug, with a customer's address in it")
        except RuntimeError:
            where = Path(cli._log_crash())
    finally:
        os.umask(old)
    assert "customer's address" in where.read_text(encoding="utf-8")
    assert mode(where) == 0o600 and mode(where.parent) == 0o700
