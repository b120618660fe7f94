"""How long the customer has waited, "oldest waiting first", unread for me
(schema 4: derived by triggers from the messages, whoever writes them)."""

from __future__ import annotations

import shutil
from pathlib import Path

from amends.core import tickets
from amends.core.store import Database
from amends.core.workspace import open_database

from tests.conftest import ACTOR


def _ticket(db: Database, at: str, subject: str = "Box") -> int:
    return tickets.create(db, subject, "Where is my box?", created_at=at)


def test_waiting_since_the_oldest_unanswered_message(db: Database) -> None:
    ticket_id = _ticket(db, "2026-12-01T08:00:00Z")
    assert tickets.row(db, ticket_id).waiting_since == "2026-12-01T08:00:00Z"
    assert tickets.row(db, ticket_id).replied_at is None
    tickets.add_message(db, ticket_id, "in", "Hello?", at="2026-12-01T09:00:00Z")
    assert tickets.row(db, ticket_id).waiting_since == "2026-12-01T08:00:00Z", "the clock does not restart"
    tickets.add_message(db, ticket_id, "note", "checking", at="2026-12-01T09:30:00Z")
    assert tickets.row(db, ticket_id).waiting_since == "2026-12-01T08:00:00Z", "a note answers nobody"
    tickets.add_message(db, ticket_id, "out", "On its way", at="2026-12-01T10:00:00Z")
    row = tickets.row(db, ticket_id)
    assert row.waiting_since is None and row.replied_at == "2026-12-01T10:00:00Z"
    tickets.add_message(db, ticket_id, "in", "Still nothing", at="2026-12-02T10:00:00Z")
    assert tickets.row(db, ticket_id).waiting_since == "2026-12-02T10:00:00Z"
    assert tickets.waited(tickets.row(db, ticket_id), "2026-12-02T14:30:00Z") == 4.5 * 3600
    # Whoever writes messages (another tool, an import): the column follows.
    db.conn.execute("DELETE FROM messages WHERE ticket_id = ? AND created_at = '2026-12-02T10:00:00Z'", (ticket_id,))
    assert tickets.row(db, ticket_id).waiting_since is None


def test_thanks_waits_for_nothing(db: Database) -> None:
    ticket_id = _ticket(db, "2026-12-01T08:00:00Z")
    tickets.add_message(db, ticket_id, "out", "Done", at="2026-12-01T09:00:00Z")
    with db.transaction() as conn:
        conn.execute("INSERT INTO messages (ticket_id, direction, author, created_at, body, flag) "
                     "VALUES (?, 'in', 'c', '2026-12-01T10:00:00Z', 'Thanks!', 'thanks')", (ticket_id,))
    assert tickets.row(db, ticket_id).waiting_since is None


def test_oldest_waiting_first_pages_every_ticket_once(db: Database) -> None:
    ids = [_ticket(db, f"2026-12-01T{h:02d}:00:00Z", f"T{h}") for h in (5, 1, 9, 3, 7, 2, 8)]
    answered = ids[1]
    tickets.add_message(db, answered, "out", "Answer", at="2026-12-01T12:00:00Z")
    seen: list[tickets.TicketRow] = []
    cursor = None
    while True:
        rows, cursor = tickets.page(db, tickets.InboxQuery(status="active", sort="waiting"), cursor, 2)
        seen.extend(rows)
        if cursor is None:
            break
    assert [r.id for r in seen][-1] == answered, "nobody waits on it: last"
    waits = [r.waiting_since for r in seen[:-1]]
    assert waits == sorted(waits) and len(seen) == len(ids) == len({r.id for r in seen})
    plan = " ".join(str(r[-1]) for r in db.tuples(
        "EXPLAIN QUERY PLAN SELECT t.id FROM tickets t WHERE t.status <> 'resolved' "
        "ORDER BY coalesce(t.waiting_since, '~'), t.id LIMIT 5"))
    assert "tickets_active_waiting" in plan and "TEMP B-TREE" not in plan


def test_unread_is_per_person_and_comes_back_with_a_new_message(db: Database, db_path: Path) -> None:
    ticket_id = _ticket(db, "2026-12-01T08:00:00Z")
    assert tickets.row(db, ticket_id).unread
    tickets.mark_read(db, ticket_id, at="2026-12-01T09:00:00Z")
    assert not tickets.row(db, ticket_id).unread
    other = open_database(db_path, "colleague@host")
    try:
        assert tickets.row(other, ticket_id).unread, "my read mark is mine"
    finally:
        other.close()
    tickets.add_message(db, ticket_id, "out", "Answer", at="2026-12-01T10:00:00Z")
    assert not tickets.row(db, ticket_id).unread, "our own reply is not news"
    tickets.add_message(db, ticket_id, "in", "Thanks but", at="2026-12-01T11:00:00Z")
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all"))
    assert rows[0].unread


def test_upgrade_from_version_3_computes_waiting(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "amends-v3.db", path)
    db = open_database(path, ACTOR)
    try:
        expected = db.tuples("""SELECT t.id FROM tickets t WHERE EXISTS (SELECT 1 FROM messages m WHERE
                                m.ticket_id = t.id AND m.direction = 'in' AND m.flag IS NOT 'thanks' AND
                                m.created_at > coalesce((SELECT max(created_at) FROM messages o
                                WHERE o.ticket_id = t.id AND o.direction = 'out'), '')) ORDER BY t.id""")
        assert expected, "the fixture has customers waiting"
        assert db.tuples("SELECT id FROM tickets WHERE waiting_since IS NOT NULL ORDER BY id") == expected
        assert db.scalar("SELECT count(*) FROM reply_targets") == 1
    finally:
        db.close()


def test_due_checkins_of_resolved_tickets_for_active(db: Database) -> None:
    resolved = _ticket(db, "2026-11-01T08:00:00Z", "Resolved with a check-in")
    tickets.update(db, resolved, 1, status="resolved")
    other = _ticket(db, "2026-11-01T09:00:00Z", "Open with a check-in")
    with db.transaction() as conn:
        for ticket_id in (resolved, other):
            conn.execute("INSERT INTO followups (ticket_id, due_at, created_at) VALUES (?, '2026-11-20T00:00:00Z', "
                         "'2026-11-01T00:00:00Z')",
                         (ticket_id,))
    shown = tickets.due_checkins(db, tickets.InboxQuery(status="active"), now="2026-12-01T00:00:00Z")
    assert [r.id for r in shown] == [resolved] and shown[0].checkin_due
    rows, _ = tickets.page(db, tickets.InboxQuery(status="active"), now="2026-12-01T00:00:00Z")
    assert [r.checkin_due for r in rows if r.id == other] == [True]
    assert tickets.due_checkins(db, tickets.InboxQuery(status="active", category="billing"),
                                now="2026-12-01T00:00:00Z") == []


def test_due_checkins_are_read_from_the_open_followups(db_path: Path) -> None:
    """Active's due check-ins (on every start and every Active page) start
    from the few open follow-ups and look the tickets up by id: led by the
    status or category index, SQLite walked every resolved ticket (48 ms of
    each start at 100,000 tickets, issue 16)."""
    db = open_database(db_path, ACTOR)
    try:
        resolved = _ticket(db, "2026-11-01T08:00:00Z")
        tickets.update(db, resolved, 1, status="resolved")
        with db.transaction() as conn:
            conn.execute("INSERT INTO followups (ticket_id, due_at, created_at) VALUES (?, '2026-11-20T00:00:00Z', "
                         "'2026-11-01T00:00:00Z')", (resolved,))
        for query in (tickets.InboxQuery(status="active"), tickets.InboxQuery(category="billing"),
                      tickets.InboxQuery(category="billing", assignee="Ben Carter")):
            statements: list[str] = []
            db.conn.set_trace_callback(statements.append)
            try:
                tickets.due_checkins(db, query, now="2026-12-01T00:00:00Z")
            finally:
                db.conn.set_trace_callback(None)
            plan = [str(r[-1]) for r in db.tuples("EXPLAIN QUERY PLAN " + statements[-1])]
            assert plan[0] == "SEARCH t USING INTEGER PRIMARY KEY (rowid=?)", plan
            assert "followups_open_due" in " ".join(plan) and "TEMP B-TREE" not in " ".join(plan), plan
    finally:
        db.close()


def _due_checkin_steps(db: Database, due: int) -> int:
    """SQLite VM steps of one due_checkins call with ``due`` resolved tickets
    whose check-in is due (a count of work, not a time: the same on any load)."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM followups")
        conn.execute("DELETE FROM tickets")
        conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                     "INSERT INTO tickets (subject, status, created_at, updated_at) "
                     "SELECT 'Box ' || i, 'resolved', '2026-11-01T08:00:00Z', '2026-11-01T08:00:00Z' FROM n", (due,))
        conn.execute("INSERT INTO followups (ticket_id, due_at, created_at) SELECT id, "
                     "'2026-11-20T00:00:00Z', '2026-11-01T00:00:00Z' FROM tickets")
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.conn.set_progress_handler(step, 100)
    try:
        shown = tickets.due_checkins(db, tickets.InboxQuery(status="active"), now="2026-12-01T00:00:00Z")
    finally:
        db.conn.set_progress_handler(None, 0)
    assert len(shown) == min(due, 50)
    return steps


def test_due_checkins_read_as_many_as_they_list_not_every_due_one(db_path: Path) -> None:
    """On a million tickets 22,650 check-ins were due and Active read every
    one of them to list 50 (20 ms of CPU on each default inbox request, of a
    16 ms budget to painted, issue 16): the work is bounded by the limit."""
    db = open_database(db_path, ACTOR)
    try:
        few, many = _due_checkin_steps(db, 60), _due_checkin_steps(db, 6_000)
    finally:
        db.close()
    assert many <= 2 * few + 10, (few, many)


def test_a_snoozed_checkin_waits_for_its_snooze(db: Database) -> None:
    resolved = _ticket(db, "2026-11-01T08:00:00Z")
    tickets.update(db, resolved, 1, status="resolved")
    with db.transaction() as conn:
        conn.execute("INSERT INTO followups (ticket_id, due_at, created_at) VALUES (?, '2026-11-20T00:00:00Z', "
                     "'2026-11-01T00:00:00Z')", (resolved,))
        conn.execute("UPDATE tickets SET snoozed_until = '2026-12-05T00:00:00Z' WHERE id = ?", (resolved,))
    assert tickets.due_checkins(db, tickets.InboxQuery(status="active"), now="2026-12-01T00:00:00Z") == []
    assert len(tickets.due_checkins(db, tickets.InboxQuery(status="active"), now="2026-12-06T00:00:00Z")) == 1


def test_messages_written_out_of_order_recompute(db: Database) -> None:
    """An import may bring an older message after newer ones: the columns are
    recomputed then, not moved by the newest-message shortcut."""
    ticket_id = _ticket(db, "2026-12-01T08:00:00Z")
    tickets.add_message(db, ticket_id, "out", "Answer", at="2026-12-01T10:00:00Z")
    tickets.add_message(db, ticket_id, "in", "Thanks", at="2026-12-01T11:00:00Z")
    assert tickets.row(db, ticket_id).waiting_since == "2026-12-01T11:00:00Z"
    tickets.add_message(db, ticket_id, "out", "Late-imported reply", at="2026-12-01T12:00:00Z")
    assert tickets.row(db, ticket_id).waiting_since is None
    tickets.add_message(db, ticket_id, "in", "Imported, older", at="2026-12-01T09:00:00Z")  # before our 10:00 reply
    row = tickets.row(db, ticket_id)
    assert row.waiting_since is None and row.replied_at == "2026-12-01T10:00:00Z"
    tickets.add_message(db, ticket_id, "out", "An earlier reply, imported", at="2026-12-01T07:00:00Z")
    assert tickets.row(db, ticket_id).replied_at == "2026-12-01T07:00:00Z"
    tickets.add_message(db, ticket_id, "note", "just a note", at="2026-12-01T13:00:00Z")
    assert tickets.row(db, ticket_id).waiting_since is None
