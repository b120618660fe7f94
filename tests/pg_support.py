"""Helpers for running the suite on PostgreSQL (issue 19): a fresh database
per test, cheaply, and the list of tests known not to pass there yet.

Why a pool and not ``CREATE DATABASE … TEMPLATE`` per test: copying even a
10 MB template costs 0.25 s (STRATEGY FILE_COPY: two checkpoints) to 0.65 s
(PG15's default WAL_LOG) on two loaded cores, and the suite makes a few
hundred databases. Emptying a used database back to the template's state
(DELETE every table with triggers and foreign keys off, the template's few
seeded rows put back, sequences set back) costs 20-90 ms. A database whose
schema a test changed (a trigger, a column, a table …) is not reused: the
schema's fingerprint is compared with the template's after every reset, and
a database that differs, or that cannot be emptied, is dropped and a new one
copied from the template.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_counter = itertools.count(1)
XFAIL_LIST = Path(__file__).with_name("pg_xfail.txt")

TEMPLATE = "amends_template"

#: What a test's schema change would alter: relations (and their column
#: counts), triggers and whether they are enabled, and functions' bodies.
_FINGERPRINT = """
SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
    SELECT 'c:' || n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.relnatts
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_%temp%'
    UNION ALL
    SELECT 't:' || tgrelid::regclass::text || '.' || tgname || ':' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'p:' || n.nspname || '.' || p.proname || ':' || md5(coalesce(p.prosrc, ''))
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
) s(x)"""


@dataclass
class _Seed:
    """The template's state that a reset puts back."""

    tables: list[str]
    rows: dict[str, tuple[list[str], list[tuple]]]
    #: (sequence, value, is_called) for setval
    sequences: list[tuple[str, int, bool]]
    fingerprint: str
    #: the whole reset as one script (one round trip): DELETE every table with triggers and
    #: foreign keys off, the template's rows back as literals, the sequences set back
    script: str = ""


@dataclass
class Pool:
    """Databases of one test server: made from the template, emptied and reused."""

    server: Any
    free: list[str] = field(default_factory=list)
    seed: _Seed | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    made: int = 0
    reused: int = 0

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.server.url(), autocommit=True)

    def _template(self) -> _Seed:
        """One database migrated and seeded the way open_database does it (once per server)."""
        if self.seed is not None:
            return self.seed
        import psycopg
        from amends.core.workspace import open_database
        from psycopg import sql

        from tests.conftest import ACTOR

        with self._admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        open_database(self.server.url(TEMPLATE), ACTOR).close()
        with psycopg.connect(self.server.url(TEMPLATE), autocommit=True) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")]
            rows: dict[str, tuple[list[str], list[tuple]]] = {}
            for table in tables:
                columns = [r[0] for r in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                    "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", (table,))]
                query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, columns)),
                                                           sql.SQL(table))
                found = conn.execute(query).fetchall()
                if found:
                    rows[table] = (columns, found)
            sequences = [(name, int(value if value is not None else start), value is not None) for name, value, start
                         in conn.execute("SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
                                         "last_value, start_value FROM pg_sequences")]
            fingerprint = conn.execute(_FINGERPRINT).fetchone()[0]
            parts = ["BEGIN", "SET LOCAL lock_timeout = '10s'", "SET LOCAL session_replication_role = replica"]
            parts += [f"DELETE FROM {table}" for table in tables]
            for table, (columns, found) in rows.items():
                values = ", ".join("(" + ", ".join(sql.Literal(v).as_string(conn) for v in row) + ")" for row in found)
                names = ", ".join(sql.Identifier(c).as_string(conn) for c in columns)
                parts.append(f"INSERT INTO {table} ({names}) VALUES {values}")
            if sequences:
                parts.append("SELECT " + ", ".join(f"setval({sql.Literal(n).as_string(conn)}, {v}, {c})"
                                                   for n, v, c in sequences))
            parts.append("COMMIT")
        self.seed = _Seed(tables, rows, sequences, fingerprint, ";\n".join(parts))
        return self.seed

    def acquire(self) -> str:
        with self.lock:
            self._template()
            if self.free:
                self.reused += 1
                return self.free.pop()
            name = f"amends_test_{next(_counter)}"
            with self._admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name}")
                admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
            self.made += 1
            return name

    def release(self, name: str) -> None:
        """Empty the database back to the template's state and keep it, or drop it."""
        with self.lock:
            if self._reset(name):
                self.free.append(name)
                return
            with self._admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _reset(self, name: str) -> bool:
        import psycopg

        seed = self._template()
        try:
            with psycopg.connect(self.server.url(name), autocommit=True) as conn:
                # whatever the test left open (a leaked connection, a held lock) goes first
                _, fingerprint = conn.execute(
                    "SELECT (SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()), (" + _FINGERPRINT + ")"
                ).fetchone()
                if fingerprint != seed.fingerprint:
                    return False
                conn.execute(seed.script)
                return True
        except psycopg.Error:
            return False


_pools: dict[int, Pool] = {}


def pool(server: Any) -> Pool:
    """The pool of one running test server (tests/pg_cluster.Cluster)."""
    if server.port not in _pools:
        _pools[server.port] = Pool(server)
    return _pools[server.port]


@contextmanager
def fresh_database(server: Any) -> Iterator[str]:
    """The URL of a database on the test server as a new file would be (the
    schema and the seeded defaults, nothing else), for the time of the block."""
    owner = pool(server)
    name = owner.acquire()
    try:
        yield server.url(name)
    finally:
        owner.release(name)


@contextmanager
def copied_database(server: Any, url: str) -> Iterator[str]:
    """The URL of a new database holding what the database at ``url`` holds
    (CREATE DATABASE … TEMPLATE: nobody may be connected to it); dropped afterwards."""
    source = url.rsplit("/", 1)[1]
    name = f"amends_copy_{next(_counter)}"
    with pool(server)._admin() as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY")
    try:
        yield server.url(name)
    finally:
        with pool(server)._admin() as admin:
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
