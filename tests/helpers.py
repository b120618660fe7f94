"""Helpers shared by test modules."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only(path: Path):
    """Read-only even for root: the immutable attribute where it works."""
    immutable = os.geteuid() == 0 and shutil.which("chattr") and \
        subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    if not immutable:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        probe = path / ".probe" if path.is_dir() else None
        if probe is not None:
            try:
                probe.write_text("x")
                probe.unlink()
                pytest.skip("cannot make a folder read-only here")
            except OSError:
                pass
        elif os.access(path, os.W_OK):
            pytest.skip("cannot make a file read-only here")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o755 if path.is_dir() else 0o644)


@contextlib.contextmanager
def one_installer():
    """One apt-get (or useradd) at a time across the test processes: with
    pytest-xdist two workers may both find a package missing, and dpkg's lock
    would make the second install fail (and its tests skip) for no reason."""
    import fcntl
    import tempfile

    with open(Path(tempfile.gettempdir()) / "amends-tests-install.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def statements(db, fn, *, reads_only: bool = False) -> list[str]:
    """What ``fn`` asked SQLite through ``db`` (its real statements, traced),
    for tests that count queries (one per block, not one per row)."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        db.conn.set_trace_callback(None)
    if reads_only:
        return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    return seen


FIXTURES = Path(__file__).resolve().parent / "fixtures"


@contextlib.contextmanager
def upgraded_fixture(tmp_path: Path, version: int):
    """A copy of the released schema ``version``'s fixture file, opened as the app opens it (its migrations
    run to the current schema: what a user's old file meets), closed after; the fixture itself never changes."""
    from amends.core.store.schema import CURRENT_VERSION
    from amends.core.workspace import open_database

    path = tmp_path / f"v{version}.db"
    shutil.copy(FIXTURES / f"amends-v{version}.db", path)
    db = open_database(path, "t")
    try:
        assert db.scalar("PRAGMA user_version") == CURRENT_VERSION
        yield db
    finally:
        db.close()


def assert_kept_as_refilled(db, table: str) -> None:
    """A table kept by triggers (store/derived.py) holds exactly what its schema's fill computes from the
    rows now: read it, refill it, and compare (the refill is left in place: it equals what was kept)."""
    from amends.core.store import derived

    kept = sorted(tuple(row) for row in db.tuples(f"SELECT * FROM {table}"))
    with db.transaction() as conn:
        derived.refill(conn, table)
    assert kept == sorted(tuple(row) for row in db.tuples(f"SELECT * FROM {table}")), table
