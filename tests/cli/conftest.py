"""Database locations for the `amends` command (issue 19 point 2): the same
CLI tests run with ``--db FILE.db`` and with ``--db postgresql://…`` (a fresh
database per test from tests/pg_support.py's pool), through one fixture
parametrised by --backend (tests/conftest.py)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Target:
    """A database the command is pointed at: ``str(target)`` is what ``--db`` takes.

    ``rows`` reads it with the plain driver (sqlite3 or psycopg), not with
    Amends, so a test checks what the command really wrote."""

    backend: str
    location: str

    def __str__(self) -> str:
        return self.location

    def __fspath__(self) -> str:
        if self.backend != "sqlite":
            raise TypeError(f"{self.location} is a server database, not a file")
        return self.location

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """The rows of one query (``?`` placeholders), as tuples."""
        if self.backend == "sqlite":
            raw = sqlite3.connect(self.location)
            try:
                return [tuple(row) for row in raw.execute(sql, params).fetchall()]
            finally:
                raw.close()
        import psycopg

        with psycopg.connect(self.location, autocommit=True) as raw:
            return [tuple(row) for row in raw.execute(re.sub(r"\?", "%s", sql), params).fetchall()]

    def write(self, sql: str, params: tuple = ()) -> None:
        """One change made behind the command's back (``?`` placeholders)."""
        if self.backend == "sqlite":
            raw = sqlite3.connect(self.location)
            try:
                raw.execute(sql, params)
                raw.commit()
            finally:
                raw.close()
            return
        import psycopg

        with psycopg.connect(self.location, autocommit=True) as raw:
            raw.execute(re.sub(r"\?", "%s", sql), params)


class Targets:
    """Makes new (empty) and copied database locations on one backend and
    gives the server's back to the pool when its scope ends."""

    def __init__(self, backend: str, folder: Path, request: pytest.FixtureRequest, stack: ExitStack) -> None:
        self.backend = backend
        self.folder = folder
        self.request = request
        self.stack = stack
        self.count = 0

    def new(self, name: str = "amends.db") -> Target:
        """A location where no database exists yet (the command makes it), or, on a
        server, an empty Amends database (a server database has no 'not there yet')."""
        self.count += 1
        if self.backend == "sqlite":
            path = self.folder / name
            if path.exists():
                path = self.folder / f"{self.count}-{name}"
            return Target("sqlite", str(path))
        from tests.pg_support import fresh_database

        server = self.request.getfixturevalue("pg_server")
        return Target("postgresql", self.stack.enter_context(fresh_database(server)))

    def copy(self, of: Target, name: str = "copy.db") -> Target:
        """A separate database holding what ``of`` holds (nobody may be connected to it)."""
        if self.backend == "sqlite":
            target = self.new(name)
            shutil.copy(of.location, target.location)
            for suffix in ("-wal", "-shm"):
                if Path(of.location + suffix).exists():
                    shutil.copy(of.location + suffix, target.location + suffix)
            return target
        from tests.pg_support import copied_database

        server = self.request.getfixturevalue("pg_server")
        return Target("postgresql", self.stack.enter_context(copied_database(server, of.location)))


def _targets(backend: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[Targets]:
    with ExitStack() as stack:
        yield Targets(backend, folder, request, stack)


@pytest.fixture
def targets(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Targets]:
    """New and copied database locations for one test."""
    yield from _targets(backend, tmp_path, request)


@pytest.fixture(scope="module")
def module_targets(backend: str, tmp_path_factory: pytest.TempPathFactory,
                   request: pytest.FixtureRequest) -> Iterator[Targets]:
    """The same for a module's shared demo database (made once per backend)."""
    yield from _targets(backend, tmp_path_factory.mktemp("targets"), request)


@pytest.fixture
def db_target(targets: Targets) -> Target:
    """Where a test's own new database goes: a file path, or a fresh server database."""
    return targets.new()
