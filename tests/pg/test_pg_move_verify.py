"""``amends move`` at a million tickets (issue 19 point 7): the verify compares the
two exports *streamed*, a record at a time, so it never holds a whole export (at
1,000,000 tickets the document was ~5 GB); it still catches a difference and
names where; and the foreign keys lifted for the copy still refuse a row that
points at nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from amends.core.store import Database
from amends.core.store.move_verify import compare_exports, export_records

from tests.cli.test_cli import amends
from tests.helpers import statements
from tests.pg.test_pg_move import _copy, _refused_move


def _demo(tmp_path: Path, tickets: int) -> Path:
    source = tmp_path / "shop.db"
    made = amends("--db", str(source), "demo", "--tickets", str(tickets), "--seed", "7")
    assert made.returncode == 0, made.stderr
    return source


def test_the_export_is_streamed_a_chunk_of_tickets_at_a_time(tmp_path: Path) -> None:
    """The first ticket's record comes before the second chunk of tickets is read:
    what the move's verify holds is a record (and a chunk of rows), not the export."""
    source = _demo(tmp_path, 1200)  # three chunks of 500 tickets
    db = Database.open(source, "test")
    try:
        seen: list[str] = []

        def first_ticket() -> None:
            for record in export_records(db):
                if record.key == "tickets" and record.index == 0:
                    seen.append(record.where)
                    return

        ran = statements(db, first_ticket, reads_only=True)
        assert seen and seen[0].startswith("tickets[0]")
        ticket_reads = [s for s in ran if s.lstrip().startswith("SELECT * FROM tickets WHERE id >")]
        assert len(ticket_reads) == 1, ticket_reads  # one chunk read, not the three
    finally:
        db.close()


def test_compare_exports_names_the_first_record_that_differs(tmp_path: Path) -> None:
    """Two real files, one ticket's subject changed in the copy: the streams differ at that
    ticket (named by index and ref); an extra record in one of them is named too."""
    source = _demo(tmp_path, 40)
    other = _copy(source, tmp_path / "other.db")
    a, b = Database.open(source, "test"), Database.open(other, "test")
    try:
        assert compare_exports(export_records(a), export_records(b)) is None
        ticket = b.scalar("SELECT id FROM tickets ORDER BY id LIMIT 1 OFFSET 9")
        ref = b.scalar("SELECT coalesce(ref, 't' || id) FROM tickets WHERE id = ?", (ticket,))
        with b.transaction():
            b.conn.execute("UPDATE tickets SET subject = subject || '!' WHERE id = ?", (ticket,))
        assert compare_exports(export_records(a), export_records(b)) == f"tickets[9] ({ref})"
        with b.transaction():
            b.conn.execute("UPDATE tickets SET subject = substr(subject, 1, length(subject) - 1) WHERE id = ?",
                           (ticket,))
            b.conn.execute("INSERT INTO saved_replies (name, body, updated_at, updated_by) "
                           "VALUES ('zzz extra', 'Hello', '2026-12-01T00:00:00Z', 'Ana')")
        found = compare_exports(export_records(a), export_records(b))
        assert found is not None and "(zzz extra), a record only in the target's export" in found, found
    finally:
        a.close()
        b.close()


def test_a_row_pointing_at_nothing_is_refused_after_the_copy(pg_server, tmp_path: Path) -> None:
    """Foreign keys are added back after the copy (checking every row at once): a message
    whose ticket is gone still fails the move, naming the table, and the server keeps nothing."""
    source = _demo(tmp_path, 5)
    conn = sqlite3.connect(source)  # foreign keys off (sqlite3's default): the orphan gets in
    with conn:
        conn.execute("UPDATE messages SET ticket_id = 999999 WHERE id = (SELECT max(id) FROM messages)")
    conn.close()
    message = _refused_move(source, pg_server)
    assert "messages" in message and "point at missing rows" in message, message
