"""core/output_files.py: what may be written, and writing it atomically."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from amends.core import output_files, writers
from amends.core.output_files import OutputProblem, atomic_output, refuse_target, sweep_stale


@pytest.fixture(params=["anonymous", "named"])
def temp_kind(request, monkeypatch) -> str:
    """Both ways of making the temporary file: O_TMPFILE (Linux) and the
    mkstemp fallback that other systems and filesystems use."""
    if request.param == "anonymous" and not output_files.ANONYMOUS_TEMP:
        pytest.skip("no O_TMPFILE here")
    monkeypatch.setattr(output_files, "ANONYMOUS_TEMP", request.param == "anonymous")
    return request.param


def _sqlite_file(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    return path


def test_refusals_name_the_file_and_the_reason(tmp_path):
    db = _sqlite_file(tmp_path / "shop.db")
    with pytest.raises(OutputProblem, match="is a folder"):
        refuse_target(tmp_path, force=True)
    with pytest.raises(OutputProblem, match="does not exist"):
        refuse_target(tmp_path / "missing" / "x.csv")
    with pytest.raises(OutputProblem, match="open database"):
        refuse_target(db, force=True, database=db)
    for suffix in output_files.COMPANIONS:  # by name, whether or not the companion exists now
        with pytest.raises(OutputProblem, match="open database's " + suffix):
            refuse_target(tmp_path / f"shop.db{suffix}", force=True, database=db)
    other = _sqlite_file(tmp_path / "other.sqlite")
    with pytest.raises(OutputProblem, match="SQLite database"):
        refuse_target(other, force=True)
    with pytest.raises(OutputProblem, match=r"belongs to the SQLite database other\.sqlite"):
        refuse_target(tmp_path / "other.sqlite-wal", force=True)
    plain = tmp_path / "plain.csv"
    plain.write_text("old")
    with pytest.raises(OutputProblem, match=r"exists already.*--force"):
        refuse_target(plain)
    assert refuse_target(plain, force=True) == plain
    assert refuse_target(tmp_path / "new.csv") == tmp_path / "new.csv"


def test_relative_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert refuse_target("out.csv") == tmp_path / "out.csv"
    with atomic_output("out.csv") as handle:
        handle.write("hello")
    assert (tmp_path / "out.csv").read_text() == "hello"


def test_the_open_database_is_recognised_without_opening_it(tmp_path):
    """The POSIX lock trap: had refuse_target open()ed and closed the
    database file, this process's SQLite lock on it would be gone and the
    other process could take the write lock."""
    db = tmp_path / "shop.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")  # locks on the db file itself
    conn.execute("CREATE TABLE t (x)")
    alias = tmp_path / "alias.csv"
    os.link(db, alias)
    conn.execute("BEGIN IMMEDIATE")  # a RESERVED lock, held by this process
    try:
        for target in (db, alias, tmp_path / "shop.db-journal", tmp_path / "alias.csv-wal"):
            with pytest.raises(OutputProblem, match="open database"):
                refuse_target(target, force=True, database=db)
        probe = subprocess.run([sys.executable, "-c", (
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
            "try:\n    c.execute('BEGIN IMMEDIATE')\nexcept sqlite3.OperationalError as e:\n    print(e)\n"
            "else:\n    print('got the lock')\n"), str(db)], capture_output=True, text=True, timeout=60)
        assert probe.stdout.strip() == "database is locked", probe.stdout + probe.stderr
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_atomic_output_replaces_only_when_the_block_succeeds(tmp_path, temp_kind):
    out = tmp_path / "export.csv"
    out.write_text("last good")
    os.chmod(out, 0o664)  # wider than the umask allows: kept all the same
    with pytest.raises(RuntimeError), atomic_output(out, force=True) as handle:
        handle.write("half of it")
        raise RuntimeError("the export failed half-way")
    assert out.read_text() == "last good"
    assert os.listdir(tmp_path) == ["export.csv"], "no temporary file left behind"
    with atomic_output(out, force=True) as handle:
        handle.write("new")
    assert out.read_text() == "new"
    assert os.stat(out).st_mode & 0o777 == 0o664, "a replaced file keeps its permissions"
    assert os.listdir(tmp_path) == ["export.csv"]


def test_a_new_file_gets_the_usual_permissions(tmp_path, temp_kind):
    mask = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "new.json") as handle:
            handle.write("{}")
    finally:
        os.umask(mask)
    assert os.stat(tmp_path / "new.json").st_mode & 0o777 == 0o644


def test_a_file_that_appears_meanwhile_is_not_overwritten(tmp_path, temp_kind):
    out = tmp_path / "race.csv"
    with pytest.raises(OutputProblem, match=r"exists already|appeared"), atomic_output(out) as handle:
        handle.write("mine")
        out.write_text("theirs")  # someone else saved there while we wrote
    assert out.read_text() == "theirs"
    assert os.listdir(tmp_path) == ["race.csv"]


def test_stale_temporary_files_of_dead_processes_are_swept(tmp_path):
    out = tmp_path / "export.csv"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    host = writers.host_tag()
    stale = tmp_path / f".export.csv.{host}.{dead_pid}.abc123{output_files.TEMP_SUFFIX}"
    alive = tmp_path / f".export.csv.{host}.{os.getpid()}.def456{output_files.TEMP_SUFFIX}"
    elsewhere = tmp_path / f".export.csv.otherhost.{dead_pid}.ghi789{output_files.TEMP_SUFFIX}"
    for path in (stale, alive, elsewhere):
        path.write_text("debris")
    assert sweep_stale(out) == [stale]
    assert not stale.exists() and alive.exists() and elsewhere.exists()


def test_a_link_keeps_pointing_at_the_replaced_file(tmp_path, temp_kind):
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    with atomic_output(link, force=True) as handle:
        handle.write("new")
    assert link.is_symlink() and real.read_text() == "new"
    db = _sqlite_file(tmp_path / "shop.db")
    (tmp_path / "to-db.csv").symlink_to(db)
    with pytest.raises(OutputProblem, match="open database"):
        refuse_target(tmp_path / "to-db.csv", force=True, database=db)


def test_streams_are_written_as_they_come(tmp_path):
    """/dev/stdout, pipes and /dev/null are not files to replace (scripts
    pipe exports onward); they need no --force."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen([sys.executable, "-c", "import sys; print(open(sys.argv[1]).read())", str(fifo)],
                              stdout=subprocess.PIPE, text=True)
    with atomic_output(fifo) as handle:
        handle.write("through the pipe")
    assert reader.communicate(timeout=30)[0].strip() == "through the pipe"
    with atomic_output(os.devnull) as handle:
        handle.write("gone")
