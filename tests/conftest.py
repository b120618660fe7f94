"""Shared fixtures. Every test gets real SQLite files on disk in its own
temporary folder; nothing touches the real user's data or settings."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC
from pathlib import Path

# Before anything imports Qt: render offscreen, keep settings and data in a
# throwaway home so tests never see (or change) a real user's files.
_HOME = Path(tempfile.mkdtemp(prefix="amends-tests-"))
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["AMENDS_HOME"] = str(_HOME)
os.environ["XDG_CONFIG_HOME"] = str(_HOME / "xdg-config")
os.environ["XDG_DATA_HOME"] = str(_HOME / "xdg-data")
os.environ.pop("AMENDS_DB", None)
os.environ.pop("AMENDS_ACTOR", None)

import pytest  # noqa: E402
from amends.core import customers, tickets  # noqa: E402
from amends.core.store import Database  # noqa: E402
from amends.core.workspace import open_database  # noqa: E402

ACTOR = "tester@host"


#: The folders whose `db` / `db_target` tests run on both backends by default (issue 19).
_BOTH_BY_DEFAULT = ("core", "cli")
_TESTS = Path(__file__).resolve().parent
_PG_STATE: dict[str, str | None] = {}
_AVAILABILITY = "test_a_throwaway_postgresql_runs_here"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--trials", type=int, default=None,
                     help="how many runs long trials make (default: a small CI size)")
    parser.addoption("--backend", choices=("auto", "sqlite", "postgresql", "both"), default="auto",
                     help="which database the `db` and `db_target` fixtures open (issue 19): auto (default: "
                          "tests/core and tests/cli on both when a throwaway PostgreSQL can be made, else "
                          "sqlite), sqlite, postgresql (a throwaway local server) or both")


def postgresql_unavailable() -> str | None:
    """Why no throwaway PostgreSQL can be made here (None: it can). Asked once;
    installs Debian's package when root and it is missing (tests/pg_cluster.py)."""
    if "why" not in _PG_STATE:
        from tests import pg_cluster

        bindir, why = pg_cluster.find_or_install()
        if bindir is None:
            _PG_STATE["why"] = why
        else:
            try:
                import psycopg  # noqa: F401
                _PG_STATE["why"] = None
            except ImportError:
                _PG_STATE["why"] = "psycopg is not installed (pip install -e '.[test]')"
    return _PG_STATE["why"]


def _backends(metafunc: pytest.Metafunc) -> list[str]:
    choice = metafunc.config.getoption("--backend")
    if choice == "auto":
        folder = Path(str(metafunc.definition.path)).resolve().relative_to(_TESTS).parts[0]
        if folder not in _BOTH_BY_DEFAULT or postgresql_unavailable() is not None:
            return []
        return ["sqlite", "postgresql"]
    return {"sqlite": [], "postgresql": ["postgresql"], "both": ["sqlite", "postgresql"]}[choice]


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("--backend") == "auto" and "why" in _PG_STATE and _PG_STATE["why"] is not None:
        return f"PostgreSQL tests skipped: {_PG_STATE['why']}; tests/core and tests/cli run on SQLite only"
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test using `db` or a database location (tests/cli/conftest.py) runs on each backend (ids [sqlite] /
    [postgresql]) of --backend; the default, auto, is both for tests/core and
    tests/cli when a throwaway PostgreSQL can be made here. Module scope: a
    module's shared demo database is made once per backend."""
    if not {"db", "targets", "module_targets"} & set(metafunc.fixturenames):
        return
    backends = _backends(metafunc)
    if backends:
        metafunc.parametrize("backend", backends, scope="module")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests known not to pass on PostgreSQL yet (tests/pg_xfail.txt) are
    strict xfails on the [postgresql] param only: one that starts passing fails
    the run until it is taken off the list."""
    from tests.pg_support import known_failures

    needs_server = [item for item in items if "pg_server" in getattr(item, "fixturenames", ())]
    if config.getoption("--backend") == "auto" and needs_server and postgresql_unavailable() is not None:
        # one skip says why (tests/pg/test_pg_available.py); the rest would only repeat it
        gone = [item for item in needs_server if not item.nodeid.endswith("::" + _AVAILABILITY)]
        config.hook.pytest_deselected(items=gone)
        items[:] = [item for item in items if item not in gone]
    known = known_failures()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("backend") != "postgresql":
            continue
        reason = known.get(item.nodeid) or known.get(item.nodeid.split("::", 1)[0])
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"PostgreSQL (issue 19): {reason}"))


@pytest.fixture(scope="session")
def backend() -> str:
    """The backend `db` opens; parametrised by --backend (see pytest_generate_tests)."""
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL for the session (tests/pg_cluster.py), or a skip saying why not."""
    from tests import pg_cluster

    why = postgresql_unavailable()
    if why is not None:
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    bindir, _ = pg_cluster.find_or_install()
    assert bindir is not None
    cluster = pg_cluster.start(bindir)
    yield cluster
    cluster.stop()


@pytest.fixture
def trials(request: pytest.FixtureRequest) -> int | None:
    return request.config.getoption("--trials")


@pytest.fixture
def db_path(tmp_path: Path, backend: str, request: pytest.FixtureRequest):
    """Where `db` lives: a file in the test's folder, or on PostgreSQL the URL of a
    fresh database (so a test's second connection, open_database(db_path, …),
    reaches the same database on both backends)."""
    if backend == "postgresql":
        from tests.pg_support import fresh_database

        with fresh_database(request.getfixturevalue("pg_server")) as url:
            yield url
        return
    yield tmp_path / "amends.db"


@pytest.fixture
def db(db_path: Path | str):
    database = open_database(db_path, ACTOR)
    yield database
    database.close()


@pytest.fixture
def demo_db(db: Database) -> Database:
    from datetime import datetime

    from amends.core import demo

    demo.generate(db, 300, seed=7, now=datetime(2026, 11, 1, tzinfo=UTC))
    return db


def make_customer(db: Database, started_at: str = "2026-01-01T00:00:00Z", cycle_days: int = 30,
                  plan: str = "Coffee Monthly", email: str = "ada@example.com") -> int:
    return customers.create(db, email, "Ada Okafor", plan=plan, started_at=started_at, cycle_days=cycle_days)


def make_ticket(db: Database, customer_id: int | None = None, category: str = "damaged_shipment",
                created_at: str = "2026-01-10T00:00:00Z", subject: str = "Box arrived crushed",
                body: str = "The box was crushed.") -> int:
    return tickets.create(db, subject, body, customer_id=customer_id, category=category, created_at=created_at)
