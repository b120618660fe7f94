"""People and access on PostgreSQL (issue 19 point 6): who signs in (a role
per person or one shared role: the audit names the person either way),
passwords in the OS keyring and nowhere else, TLS from the URL, and a lost
connection that is a clear error and comes back by itself. On a cluster of
this module's own (tests/pg/access_cluster.py): passwords, ssl=on, and a
server that is stopped and started again."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from amends.core import audit, customers, drafts, local_drafts
from amends.core.errors import ConnectionLost, DatabaseProblem
from amends.core.store import pg_access
from amends.core.workspace import open_database

from tests.cli.test_cli import amends, one_line_error
from tests.conftest import ACTOR, make_ticket
from tests.mail.file_keyring import file_keyring
from tests.pg.access_cluster import OwnCluster, shared

PASSWORD = "Zebra-Orbit-93!"  # a test role's password, looked for where it must not be


@pytest.fixture(scope="module")
def cluster(pg_server) -> OwnCluster:
    """ssl=on, scram passwords for every role but the superuser; one Amends
    database made by the owner (the superuser), a role of Ada's own and a
    shared role "support", each given the team's rights."""
    own = shared(pg_server.bindir)
    own.admin("DROP DATABASE IF EXISTS amends WITH (FORCE)")
    own.admin("CREATE DATABASE amends")
    open_database(own.url("amends"), "Owner").close()
    for role in ("ada", "support"):
        own.admin(f"DROP ROLE IF EXISTS {role}")
        own.admin(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        grant_team(own, role)
    yield own
    own.admin("DROP DATABASE amends WITH (FORCE)")
    for role in ("ada", "support"):
        own.admin(f"DROP ROLE {role}")


def grant_team(cluster: OwnCluster, role: str) -> None:
    """The DBA's part for a person (or shared) role: what the app's role
    (amends_app, S19SHARE) is granted; here directly, as tests do it."""
    import psycopg

    with psycopg.connect(cluster.url("amends"), autocommit=True) as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        conn.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        conn.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}")


@pytest.fixture
def ring(tmp_path: Path):
    """A real keyring backend in a file (the one the mail OAuth tests use)."""
    with file_keyring(tmp_path / "keyring.json") as backend:
        yield backend
    for role in ("ada", "support"):
        pg_access.forget_password(f"postgresql://{role}@127.0.0.1:1/amends")


# -- point 4: passwords ---------------------------------------------------------
def test_a_password_in_the_url_moves_to_the_keyring_and_out_of_everything_kept(cluster, ring, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    url = f"postgresql://ada:{PASSWORD}@127.0.0.1:{cluster.port}/amends?sslmode=require"
    db = open_database(url, "Ada Okafor")
    try:
        assert PASSWORD not in db.url and PASSWORD not in str(db.path)
        assert db.url == f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=require"
        assert ring.get_password(pg_access.SERVICE, f"ada@127.0.0.1:{cluster.port}/amends") == PASSWORD
        customers.create(db, "ada@example.com", "Ada")
    finally:
        db.close()
    # the next start finds it there: no password in the address any more
    again = open_database(f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=require", "Ada Okafor")
    again.close()
    assert PASSWORD not in caplog.text
    stored = open_database(cluster.url("amends"), "Owner")
    try:  # nor in the database: not in any text column of any row
        rows = stored.query("SELECT row_to_json(t)::text AS j FROM (SELECT * FROM audit_log) t")
        assert rows and all(PASSWORD not in row["j"] for row in rows)
    finally:
        stored.close()


def test_without_a_kept_password_the_message_says_what_to_do(cluster, ring):
    with pytest.raises(DatabaseProblem) as raised:
        open_database(f"postgresql://support@127.0.0.1:{cluster.port}/amends", ACTOR)
    message = str(raised.value)
    assert "asks a password for support" in message and "Connect to server" in message
    pg_access.keep_password(f"postgresql://support@127.0.0.1:{cluster.port}/amends", "wrong")
    with pytest.raises(DatabaseProblem, match="refused the password for support"):
        open_database(f"postgresql://support@127.0.0.1:{cluster.port}/amends", ACTOR)


# -- point 2: people ------------------------------------------------------------
def test_own_role_or_shared_role_the_audit_names_the_person(cluster, ring):
    for role in ("ada", "support"):
        pg_access.keep_password(f"postgresql://{role}@127.0.0.1:{cluster.port}/amends", PASSWORD)
    ada = open_database(f"postgresql://ada@127.0.0.1:{cluster.port}/amends", "Ada Okafor")
    bo = open_database(f"postgresql://support@127.0.0.1:{cluster.port}/amends", "Bo Lindqvist")
    cy = open_database(f"postgresql://support@127.0.0.1:{cluster.port}/amends", "Cy Mensah")
    try:
        for db, email in ((ada, "a@example.com"), (bo, "b@example.com"), (cy, "c@example.com")):
            customers.create(db, email, email)
        names = {row["actor"]: row for row in ada.query(
            "SELECT actor, count(*) AS n FROM audit_log WHERE entity = 'customer' GROUP BY actor")}
        assert {"Ada Okafor", "Bo Lindqvist", "Cy Mensah"} <= set(names)
        # the server sees the role and, under the shared one, who it is
        seen = {tuple(row) for row in ada.tuples(
            "SELECT usename, application_name FROM pg_stat_activity WHERE datname = 'amends'")}
        assert ("ada", "Amends: Ada Okafor") in seen
        assert {("support", "Amends: Bo Lindqvist"), ("support", "Amends: Cy Mensah")} <= seen
    finally:
        for db in (ada, bo, cy):
            db.close()


# -- point 3: TLS ---------------------------------------------------------------
def test_sslmode_require_connects_over_tls(cluster, ring):
    pg_access.keep_password(f"postgresql://ada@127.0.0.1:{cluster.port}/amends", PASSWORD)
    db = open_database(f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=require", ACTOR)
    try:
        assert db.tls is True
        assert db.scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
    finally:
        db.close()
    plain = open_database(f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=disable", ACTOR)
    try:
        assert plain.tls is False
    finally:
        plain.close()


def test_verify_full_with_the_wrong_ca_refuses_clearly_and_the_right_one_connects(cluster, ring):
    pg_access.keep_password(f"postgresql://ada@127.0.0.1:{cluster.port}/amends", PASSWORD)
    wrong = cluster.certs["other-ca"]
    with pytest.raises(DatabaseProblem) as raised:
        open_database(f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=verify-full&sslrootcert={wrong}",
                      ACTOR)
    message = str(raised.value)
    assert "certificate could not be verified" in message and str(wrong) in message, message
    assert "sslmode=verify-full" in message and "Traceback" not in message
    right = cluster.certs["ca"]
    db = open_database(f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=verify-full&sslrootcert={right}",
                       ACTOR)
    try:
        assert db.tls is True
    finally:
        db.close()


def test_the_cli_over_tls_with_a_password_in_the_url_never_prints_it(cluster, tmp_path):
    env = {"PYTHON_KEYRING_BACKEND": "tests.mail.file_keyring.FileKeyring",
           "AMENDS_TEST_KEYRING": str(tmp_path / "keyring.json"), "PYTHONPATH": str(Path(__file__).parents[2])}
    url = f"postgresql://ada:{PASSWORD}@127.0.0.1:{cluster.port}/amends?sslmode=require"
    done = amends("--db", url, "stats", env=env)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    wrong = cluster.certs["other-ca"]
    refused = amends("--db", f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=verify-full&"
                     f"sslrootcert={wrong}", "stats", env=env)
    assert refused.returncode == 1
    assert "certificate could not be verified" in one_line_error(refused)


# -- point 5: a lost connection -------------------------------------------------
def test_a_lost_connection_is_a_clear_error_and_the_next_use_reconnects(cluster, ring, tmp_path):
    db = open_database(cluster.url("amends"), "Owner")
    seen: list[bool] = []
    db.connection_listeners.append(seen.append)
    try:
        ticket = make_ticket(db)
        cluster.stop_fast()
        try:
            with pytest.raises(ConnectionLost) as raised:
                db.query("SELECT id FROM tickets")
            assert "stopped answering" in str(raised.value) or "cannot be reached" in str(raised.value)
            with pytest.raises(ConnectionLost):  # a write: nothing saved, the same clear error
                drafts.save(db, ticket, "reply", "typed while the server was away")
            assert seen == [False]
            # what the app does with a draft then: kept on this computer
            assert local_drafts.save(db, ticket, "reply", "typed while away", base=tmp_path) == "local"
            assert local_drafts.load_any(db, ticket, "reply", base=tmp_path) == "typed while away"
            assert local_drafts.save_checklist(db, ticket, {"steps": [1]}, base=tmp_path) == "local"
        finally:
            cluster.start_again()
        assert db.ping() is True
        assert seen == [False, True]
        assert local_drafts.push(db, base=tmp_path) == 2  # moved into the database, the files gone
        assert drafts.load(db, ticket, "reply") == "typed while away"
        assert drafts.load_checklist(db, ticket) == {"steps": [1]}
        assert local_drafts.load(db, ticket, "reply", base=tmp_path) is None
        drafts.save(db, ticket, "reply", "typed after")  # the next save works
        assert drafts.load(db, ticket, "reply") == "typed after"
        assert audit.latest_id(db) > 0
    finally:
        db.close()


def test_the_cli_on_a_stopped_server_is_a_clear_error_exit_1(cluster):
    cluster.stop_fast()
    try:
        done = amends("--db", cluster.url("amends"), "stats")
    finally:
        cluster.start_again()
    assert done.returncode == 1
    message = one_line_error(done)
    assert f"Cannot connect to postgresql://{cluster.user}@127.0.0.1:{cluster.port}/amends" in message, message


def test_the_app_starts_on_a_server_address_with_its_password_kept(cluster, tmp_path):
    """``amends --db postgresql://…`` (and AMENDS_DB) opens the window on the
    server (offscreen; the startup probe quits after the first page)."""
    env = {"QT_QPA_PLATFORM": "offscreen", "AMENDS_STARTUP_PROBE": "1", "AMENDS_HOME": str(tmp_path / "home"),
           "PYTHON_KEYRING_BACKEND": "tests.mail.file_keyring.FileKeyring",
           "AMENDS_TEST_KEYRING": str(tmp_path / "keyring.json"), "PYTHONPATH": str(Path(__file__).parents[2])}
    first = amends("--db", f"postgresql://ada:{PASSWORD}@127.0.0.1:{cluster.port}/amends?sslmode=require", env=env)
    assert first.returncode == 0, first.stderr
    assert "first_paint_ms=" in first.stdout and PASSWORD not in first.stdout + first.stderr
    again = amends(env={**env, "AMENDS_DB": f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=require"})
    assert again.returncode == 0, again.stderr
    logged = "".join(p.read_text() for p in (tmp_path / "home").rglob("*.log"))
    assert "Opened postgresql://ada@127.0.0.1" in logged and PASSWORD not in logged


def test_a_cancelled_or_refused_statement_is_not_a_lost_connection(cluster):
    """Only a dropped connection is ConnectionLost (and the banner): a statement
    the server cancelled reads as SQLite's "interrupted" (Stop in a long job)."""
    import sqlite3

    db = open_database(cluster.url("amends"), "Owner")
    seen: list[bool] = []
    db.connection_listeners.append(seen.append)
    try:
        db.conn.raw.execute("SET statement_timeout = 50")
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            db.query("SELECT pg_sleep(2)")
        db.conn.raw.execute("SET statement_timeout = 0")
        assert db.scalar("SELECT 1") == 1 and seen == []
    finally:
        db.close()
