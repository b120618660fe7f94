"""Helpers for running the suite on PostgreSQL (issue 19): one new database
per test, and the list of tests known not to pass there yet."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_counter = itertools.count(1)
XFAIL_LIST = Path(__file__).with_name("pg_xfail.txt")


TEMPLATE = "amends_template"
_templates: set[int] = set()


def _template(server, admin) -> None:
    """One database migrated and seeded the way open_database does it, copied
    for each test (CREATE DATABASE … TEMPLATE: far faster than migrating)."""
    if server.port in _templates:
        return
    from amends.core.workspace import open_database

    from tests.conftest import ACTOR

    admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
    admin.execute(f"CREATE DATABASE {TEMPLATE}")
    open_database(server.url(TEMPLATE), ACTOR).close()
    _templates.add(server.port)


@contextmanager
def fresh_database(server) -> Iterator[str]:
    """A new database on the test server, as a new file would be (schema and
    seeded defaults); dropped afterwards."""
    import psycopg

    name = f"amends_test_{next(_counter)}"
    with psycopg.connect(server.url(), autocommit=True) as admin:
        _template(server, admin)
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(server.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def known_failures() -> dict[str, str]:
    """node id (or file) → why it does not pass on PostgreSQL yet."""
    known: dict[str, str] = {}
    if not XFAIL_LIST.exists():
        return known
    for line in XFAIL_LIST.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        node, _, reason = line.partition("  # ")
        known[node.strip()] = reason.strip() or "not yet supported"
    return known
