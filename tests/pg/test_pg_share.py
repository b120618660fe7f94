"""Sharing one database on a PostgreSQL server (issue 19 point 4), with real
processes on a throwaway cluster: one NOTIFY per commit naming what changed,
a listener that hears other processes and says when its connection is lost,
optimistic versions across processes, the app role that may not rewrite
history, and every change audited with its person."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from amends.core import audit, policies, tickets
from amends.core.errors import ConflictError, DatabaseProblem
from amends.core.store import pg_listen, pg_schema
from amends.core.store.postgres import PostgresDatabase
from amends.core.workspace import open_database

from tests.cli.test_cli import amends
from tests.conftest import ACTOR, make_customer, make_ticket
from tests.pg_support import fresh_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def url(pg_server):
    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture
def pg(url):
    db = open_database(url, ACTOR)
    yield db
    db.close()


def _listen(url: str):
    import psycopg

    raw = psycopg.connect(url, autocommit=True)
    raw.execute(f"LISTEN {pg_listen.CHANNEL}")
    return raw


def _drain(raw, seconds: float = 0.3) -> list:
    return list(raw.notifies(timeout=seconds))


def _in_process(url: str, code: str, actor: str = "other@process") -> subprocess.CompletedProcess:
    """Run core code in a separate Python process on the same database."""
    script = ("import sys\nfrom amends.core import tickets, policies\nfrom amends.core.workspace import open_database\n"
              f"db = open_database(sys.argv[1], {actor!r}, create=False)\n{code}\ndb.close()\n")
    result = subprocess.run([sys.executable, "-c", script, url], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={**os.environ})
    assert result.returncode == 0, result.stderr
    return result


# -- 1. one NOTIFY per commit, naming what changed ---------------------------------------------
def test_a_commit_sends_one_notification_naming_what_changed(pg: PostgresDatabase, url: str) -> None:
    listener = _listen(url)
    try:
        customer = make_customer(pg)
        ticket_id = make_ticket(pg, customer)
        _drain(listener)
        tickets.add_message(pg, ticket_id, "note", "one write, one notification")
        got = _drain(listener)
        assert len(got) == 1, got
        notice = pg_listen.parse(got[0].payload)
        assert {"messages", "audit_log"} <= set(notice.tables)
        assert notice.change == pg.scalar("SELECT n FROM amends_changes")
        assert notice.pid == pg.backend_pid and notice.actor == ACTOR
        with pytest.raises(RuntimeError), pg.transaction() as conn:  # rolled back: nothing to hear
            conn.execute("UPDATE tickets SET priority = 3 WHERE id = ?", (ticket_id,))
            raise RuntimeError("changed my mind")
        assert _drain(listener) == []
    finally:
        listener.close()


def test_a_presence_heartbeat_says_it_only_touched_presence(pg: PostgresDatabase, url: str) -> None:
    from amends.core import presence

    listener = _listen(url)
    try:
        presence.beat(pg, "instance-1", None)
        (note,) = _drain(listener)
        assert pg_listen.parse(note.payload).tables == ("presence",)
        assert pg_listen.parse(note.payload).only_presence
    finally:
        listener.close()


def test_the_listener_hears_another_process_and_not_its_own_connection(pg: PostgresDatabase, url: str) -> None:
    heard: list[pg_listen.Notice] = []
    states: list[bool] = []
    got = threading.Event()

    def on_change(notice: pg_listen.Notice) -> None:
        heard.append(notice)
        got.set()

    listener = pg.listen(on_change, lambda listening, why: states.append(listening))
    assert listener is not None
    try:
        assert _wait(lambda: listener.listening, 10)
        make_ticket(pg, make_customer(pg))  # my own writes: not news to me
        _in_process(url, "tickets.create(db, 'From another process', 'hello')")
        assert got.wait(10), "the other process's commit was heard"
        assert [n.actor for n in heard] == ["other@process"], heard
        assert "tickets" in heard[0].tables and heard[0].pid != pg.backend_pid
        assert states[0] is True
    finally:
        listener.stop()
    assert not listener.listening


def test_a_lost_listen_connection_is_reported_and_listening_starts_again(pg: PostgresDatabase, url: str) -> None:
    states: list[tuple[bool, str]] = []
    heard: list[pg_listen.Notice] = []
    listener = pg.listen(heard.append, lambda listening, why: states.append((listening, why)), retry_seconds=0.2)
    assert listener is not None
    try:
        assert _wait(lambda: listener.listening, 10)
        first_pid = listener.backend_pid
        pg.scalar("SELECT pg_terminate_backend(?)", (first_pid,))  # the server drops the listener
        assert _wait(lambda: any(not listening for listening, _ in states), 10), states
        lost = next(why for listening, why in states if not listening)
        assert "connection" in lost.lower() or "terminat" in lost.lower(), lost
        assert _wait(lambda: listener.listening and listener.backend_pid != first_pid, 10), states
        assert states[-1][0] is True
        _in_process(url, "tickets.create(db, 'After the reconnect', 'hello')")
        assert _wait(lambda: bool(heard), 10), "heard again after listening anew"
    finally:
        listener.stop()


def test_sqlite_has_no_listener_and_keeps_polling(db_path) -> None:
    db = open_database(db_path, ACTOR)
    try:
        assert db.listen(lambda notice: None, lambda listening, why: None) is None
    finally:
        db.close()


# -- 2. optimistic versions across processes ---------------------------------------------------
def test_two_processes_editing_one_ticket_the_second_gets_the_conflict(pg: PostgresDatabase, url: str) -> None:
    ticket_id = make_ticket(pg, make_customer(pg))
    mine = tickets.get(pg, ticket_id)
    _in_process(url, f"t = tickets.get(db, {ticket_id}); tickets.update(db, {ticket_id}, t.version, priority=3)",
                actor="bea@other-site")
    with pytest.raises(ConflictError) as caught:
        tickets.update(pg, ticket_id, mine.version, category="billing")
    assert caught.value.by == "bea@other-site"
    assert [(c.field, c.theirs) for c in caught.value.changes] == [("priority", 3)]
    after = tickets.get(pg, ticket_id)
    assert after.category == "damaged_shipment" and after.priority == 3, "nothing was silently overwritten"


def test_two_processes_saving_one_policy_draft_the_second_gets_the_conflict(pg: PostgresDatabase, url: str) -> None:
    policy = policies.list_policies(pg)[0]
    seen = policies.get(pg, policy.id)
    _in_process(url, f"p = policies.get(db, {policy.id}); policies.save_draft(db, p.id, p.version, name='Theirs', "
                     "category=p.category, segment=p.segment, plan=p.plan, steps=list(p.draft))",
                actor="bea@other-site")
    with pytest.raises(ConflictError) as caught:
        policies.save_draft(pg, seen.id, seen.version, name="Mine", category=seen.category, segment=seen.segment,
                            plan=seen.plan, steps=list(seen.draft))
    assert caught.value.by == "bea@other-site"
    assert policies.get(pg, policy.id).name == "Theirs"


# -- 3. published versions: triggers and no UPDATE/DELETE grant -------------------------------
def _member(pg_server, url: str, name: str) -> str:
    """A login role that is a member of the app role (as a person's or a shared sign-in is)."""
    import psycopg

    with psycopg.connect(pg_server.url(), autocommit=True) as admin:
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        admin.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE {pg_schema.APP_ROLE}')
    return url.replace(f"{pg_server.user}@", f"{name}@")


def test_the_app_role_may_not_update_or_delete_published_versions(pg: PostgresDatabase, pg_server, url) -> None:
    import psycopg

    member_url = _member(pg_server, url, "ada_share")
    ticket_id = make_ticket(pg, make_customer(pg))
    before = pg.tuples("SELECT * FROM policy_versions ORDER BY id")
    with psycopg.connect(member_url, autocommit=True) as raw:
        assert raw.execute("SELECT current_user").fetchone()[0] == "ada_share"
        for sql in ("UPDATE policy_versions SET note = 'rewritten'", "DELETE FROM policy_versions",
                    "UPDATE policy_steps SET label = 'x'", "DELETE FROM policy_steps",
                    "UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log",
                    "TRUNCATE audit_log", "ALTER TABLE audit_log DISABLE TRIGGER USER",
                    "DROP TRIGGER policy_versions_immutable_update ON policy_versions"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(sql)
        # the day's work is allowed: reading, adding, changing tickets
        assert raw.execute("SELECT count(*) FROM policy_versions").fetchone()[0] == len(before)
        raw.execute("UPDATE tickets SET priority = 2 WHERE id = %s", (ticket_id,))
    assert pg.tuples("SELECT * FROM policy_versions ORDER BY id") == before
    member = open_database(member_url, "ada@site-b", create=False)
    try:  # the whole app works as a member: a write, a publish (an INSERT of a new version), the audit
        tickets.add_message(member, ticket_id, "note", "written by a member of the app role")
        policy = policies.list_policies(member)[0]
        seen = policies.get(member, policy.id)
        version = policies.save_draft(member, seen.id, seen.version, name=seen.name, category=seen.category,
                                      segment=seen.segment, plan=seen.plan, steps=list(seen.draft))
        policies.publish(member, seen.id, "published by a member of the app role", expected_version=version)
        with pytest.raises(DatabaseProblem, match=r"permission denied for table policy_versions"), \
                member.transaction() as conn:
            conn.execute("UPDATE policy_versions SET note = 'rewritten'")
    finally:
        member.close()


def test_even_the_owner_cannot_truncate_the_history(pg: PostgresDatabase) -> None:
    import sqlite3

    for table in ("audit_log", "policy_steps"):
        with pytest.raises(sqlite3.IntegrityError, match=r"immutable|append-only"), pg.transaction() as conn:
            conn.execute(f"TRUNCATE {table} CASCADE")
    assert pg.scalar("SELECT count(*) FROM policy_steps") > 0


# -- 4. every change audited with its person ------------------------------------------------------
def test_changes_from_several_processes_are_audited_with_each_person(pg: PostgresDatabase, url: str) -> None:
    ticket_id = make_ticket(pg, make_customer(pg))
    _in_process(url, f"tickets.add_message(db, {ticket_id}, 'note', 'from site B')", actor="bea@site-b")
    steps = ["--step", "1=done", "--step", "2=skip:customer kept it", "--step", "3=done", "--step", "4=done"]
    result = amends("--db", url, "resolve", str(ticket_id), *steps, "--offer", "10",
                    env={"AMENDS_ACTOR": "carl@site-c"})
    assert result.returncode == 0, result.stderr
    entries = audit.for_entity(pg, "ticket", ticket_id)
    actors = {entry.action: entry.actor for entry in entries}
    assert actors.get("create") == ACTOR
    assert "bea@site-b" in {entry.actor for entry in entries}
    assert actors.get("resolve") == "carl@site-c", actors
    assert pg.scalar("SELECT actor FROM resolutions WHERE ticket_id = ?", (ticket_id,)) == "carl@site-c"


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def test_a_window_notices_a_schema_change_on_a_server_too(pg: PostgresDatabase) -> None:
    """LiveUpdates reads SQLite's schema cookie; on a server it moves with tables, columns and triggers."""
    before = pg.scalar("PRAGMA schema_version")
    assert pg.scalar("PRAGMA schema_version") == before
    with pg.transaction() as conn:
        conn.execute("ALTER TABLE tags ADD COLUMN note TEXT")
    assert pg.scalar("PRAGMA schema_version") != before


def test_a_member_opening_a_database_whose_grants_are_not_set_is_not_refused_at_the_door(pg_server, url) -> None:
    """The owner could not create amends_app (no CREATEROLE): the grants wait for the owner's next
    opening; a member who opens it before that is not stopped by the attempt to set them."""
    import psycopg

    member_url = _member(pg_server, url, "cy_share")
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute("DELETE FROM amends_access")  # as if the grants had never been set
    member = open_database(member_url, "cy@site-c", create=False)
    try:
        assert member.scalar("SELECT count(*) FROM tickets") == 0
    finally:
        member.close()
    open_database(url, ACTOR).close()  # the owner's next opening sets them
    with psycopg.connect(url, autocommit=True) as owner:
        assert owner.execute("SELECT max(revision) FROM amends_access").fetchone()[0] == pg_schema.ACCESS_REVISION
