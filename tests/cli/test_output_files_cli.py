"""Commands never overwrite data: ``export --out``, ``report --out`` and
``backup`` refuse an existing file unless ``--force``, never write onto the
open database, its companions or any SQLite file, and write atomically (a
full disk leaves the previous file and no debris)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import BIN, one_line_error

TICKETS = 150


def amends(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("outcli") / "shop.db"
    result = amends("--db", str(path), "demo", "--tickets", str(TICKETS), "--seed", "2")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def shop(tmp_path, small_file) -> Path:
    path = tmp_path / "shop.db"
    shutil.copy(small_file, path)
    return path


def _tickets(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    finally:
        conn.close()


def _debris(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if "partial" in name or name.startswith(".")]


@pytest.mark.parametrize("fmt", ["csv", "json", "amends"])
@pytest.mark.parametrize("force", [False, True])
def test_export_never_writes_onto_the_open_database(tmp_path, shop, fmt, force):
    before = _tickets(shop)
    extra = ["--force"] if force else []
    # A relative path, from the database's folder, as in the issue.
    result = amends("--db", "shop.db", "export", "--format", fmt, "--out", "shop.db", *extra, cwd=tmp_path)
    assert "open database" in one_line_error(result) and result.returncode == 1
    assert "Exported" not in result.stdout
    assert shop.read_bytes()[:16] == b"SQLite format 3\x00" and _tickets(shop) == before


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_export_never_writes_onto_the_database_companions(tmp_path, shop, suffix):
    target = shop.with_name(shop.name + suffix)
    existed = target.exists()
    result = amends("--db", str(shop), "export", "--format", "csv", "--out", str(target), "--force")
    assert "open database" in one_line_error(result)
    assert target.exists() == existed
    assert _tickets(shop) == TICKETS


def test_export_refuses_a_hard_link_to_the_open_database(tmp_path, shop):
    other = tmp_path / "looks-harmless.csv"
    os.link(shop, other)
    result = amends("--db", str(shop), "export", "--format", "csv", "--out", str(other), "--force")
    assert "open database" in one_line_error(result)
    assert _tickets(shop) == TICKETS


def test_export_never_overwrites_another_sqlite_file(tmp_path, shop, small_file):
    other = tmp_path / "other.db"
    shutil.copy(small_file, other)
    for extra in ([], ["--force"]):
        result = amends("--db", str(shop), "export", "--format", "json", "--out", str(other), *extra)
        assert "SQLite database" in one_line_error(result)
    assert _tickets(other) == TICKETS


def test_export_refuses_an_existing_file_unless_forced(tmp_path, shop):
    out = tmp_path / "last.csv"
    out.write_text("the last good export\n")
    refused = amends("--db", str(shop), "export", "--format", "csv", "--out", str(out))
    assert "exists" in one_line_error(refused) and "--force" in refused.stderr
    assert out.read_text() == "the last good export\n"
    forced = amends("--db", str(shop), "export", "--format", "csv", "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_text(encoding="utf-8-sig").startswith("id,ref,subject")
    assert _debris(tmp_path) == []


def test_export_relative_path_and_folder(tmp_path, shop):
    result = amends("--db", "shop.db", "export", "--format", "csv", "--out", "rel.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "rel.csv").read_text(encoding="utf-8-sig").startswith("id,")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert "is a folder" in one_line_error(amends("--db", str(shop), "export", "--format", "csv",
                                                  "--out", str(folder), "--force"))
    assert "does not exist" in one_line_error(amends("--db", str(shop), "export", "--format", "csv",
                                                     "--out", str(tmp_path / "no" / "x.csv")))


def test_report_refuses_the_database_and_existing_files(tmp_path, shop):
    env = {"QT_QPA_PLATFORM": "offscreen"}
    refused = amends("--db", str(shop), "report", "--out", str(shop), "--force", env=env)
    assert "open database" in one_line_error(refused) and _tickets(shop) == TICKETS
    out = tmp_path / "q.pdf"
    out.write_bytes(b"old report")
    assert "exists" in one_line_error(amends("--db", str(shop), "report", "--out", str(out), env=env))
    assert out.read_bytes() == b"old report"
    forced = amends("--db", str(shop), "report", "--out", str(out), "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    assert _debris(tmp_path) == []


def test_backup_refuses_existing_files_unless_forced_and_never_sqlite_files(tmp_path, shop, small_file):
    junk = tmp_path / "copy.db"
    junk.write_text("not a database")
    assert "--force" in one_line_error(amends("--db", str(shop), "backup", str(junk)))
    assert junk.read_text() == "not a database"
    forced = amends("--db", str(shop), "backup", str(junk), "--force")
    assert forced.returncode == 0, forced.stderr
    assert _tickets(junk) == TICKETS
    # Now it is an SQLite file (an earlier backup): never overwritten.
    assert "SQLite database" in one_line_error(amends("--db", str(shop), "backup", str(junk), "--force"))
    assert "open database" in one_line_error(amends("--db", str(shop), "backup", str(shop), "--force"))
    assert _tickets(shop) == TICKETS


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB filesystem (tmpfs; needs root, else skipped)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("command", [["export", "--format", "json"], ["export", "--format", "csv"],
                                     ["export", "--format", "amends"], ["report"]])
def test_full_disk_keeps_the_last_file_and_leaves_nothing(tiny_disk, shop, command):
    (tiny_disk / "filler").write_bytes(b"x" * 52 * 1024)  # a few KiB stay free
    out = tiny_disk / "last-good"
    out.write_text("the last good one")
    result = amends("--db", str(shop), *command, "--out", str(out), "--force", env={"QT_QPA_PLATFORM": "offscreen"})
    line = one_line_error(result)
    assert "Not enough space" in line and "nothing was written" in line and "internal error" not in line
    assert out.read_text() == "the last good one"
    assert sorted(os.listdir(tiny_disk)) == ["filler", "last-good"]


def test_export_to_stdout_still_works(shop):
    result = amends("--db", str(shop), "export", "--format", "csv", "--out", "/dev/stdout")
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip("\ufeff").startswith("id,ref,subject")
