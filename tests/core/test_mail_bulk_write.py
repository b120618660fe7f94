"""Mail written in bulk (issue 12.3's speed): a batch's new tickets get
their messages and search rows by one executemany per table, and what is
stored is the same, row for row and id for id, as written ticket by ticket:
replies joining a ticket of the same batch or of the batch before, a reply
that came before the mail it answers, a subject reference, files in the
middle of a batch, a thanks-only reply to a resolved ticket, bounces and
hostile mail. Real database files on disk, one per way of writing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from amends.core import clock
from amends.core.importers import mail, writer
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ACTOR
from tests.core.test_mail_intake import GOOD, deep_mime
from tests.core.test_mail_properties import messages


def message(n: int, sender: str = "", *, replying: int | None = None, subject: str = "", body: str = "",
            extra: str = "") -> bytes:
    thread = f"In-Reply-To: <m{replying}@x>\n" if replying is not None else ""
    return (f"From: {sender or f'Customer {n} <c{n}@example.com>'}\nSubject: {subject or f'Order {n}'}\n"
            f"Date: Mon, 05 Jan 2026 10:{n % 60:02d}:00 +0000\nMessage-ID: <m{n}@x>\n{thread}{extra}\n"
            f"{body or f'Text of mail {n}.'}\n").encode()


PHOTO = (b"From: Bob <bob@example.com>\nSubject: photo of the box\nDate: Mon, 05 Jan 2026 11:00:00 +0000\n"
         b"Message-ID: <photo@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
         b"Content-Type: text/plain\n\nThe box, see the photo.\n--b\nContent-Type: image/jpeg; name=box.jpg\n"
         b"Content-Disposition: attachment; filename=box.jpg\nContent-Transfer-Encoding: base64\n\n/9j/4AAQ\n--b--\n")
BOUNCE = (b"From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered Mail\nDate: Mon, 05 Jan 2026 12:00:00 +0000\n"
          b"Message-ID: <bounce@x>\n\nMessage-ID: <m1@x>\nmailbox unknown\n")
NO_DATE_NO_ID = b"From: Cy <cy@example.com>\nSubject: Where is my order\n\nNo date, no Message-ID.\n"

# (ticket 1 is the first thread of the first batch: mail 1's, from customer 1)
FIRST = [message(1), message(3, replying=2), message(2), GOOD, PHOTO, message(4, replying=1), message(5),
         message(13, "Customer 1 <c1@example.com>", subject="About my order [#1]"),
         deep_mime(120), NO_DATE_NO_ID, BOUNCE, message(6), message(2)]
SECOND = [message(7, replying=5), message(8, "Customer 4 <c4@example.com>", subject="Still waiting [#4]"),
          message(9), message(10, "Customer 6 <c6@example.com>", replying=6, body="Thanks so much!"),
          PHOTO.replace(b"<photo@x>", b"<photo2@x>"), message(11, replying=9), message(12, replying=3),
          message(15), message(1), message(14, replying=1)]  # mail 1 again, with a new reply: an update

ARRIVED = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
NOW = datetime(2026, 3, 1, tzinfo=UTC)
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def stored(path: Path, batches: list[list[bytes]], bulk: bool, since: str) -> dict[str, list]:
    """Every row of every table (the search index's text too) after writing
    the batches one transaction each; times of the run itself (now) masked."""
    db = open_database(path, ACTOR)
    try:
        for number, batch in enumerate(batches):
            # the arrival time a fetch (INTERNALDATE) or a file gives, and one "now" for both ways
            parsed = mail.parse_messages(list(enumerate(batch, start=number * 1000)), arrived=ARRIVED, now=NOW)
            with db.transaction() as conn:
                writer.write(conn, db.actor, parsed, bulk=bulk)
                if number == 0:  # a resolved ticket, for the thanks-only reply of the next batch
                    conn.execute("UPDATE tickets SET status = 'resolved' WHERE ref = 'mail:<m6@x>'")
        names = [r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                               "name NOT LIKE '%search%' ORDER BY name")]

        def masked(value: object) -> object:
            return _TIME.sub(lambda m: "<now>" if m.group(0) >= since else m.group(0), value) \
                if isinstance(value, str) else value

        dump = {name: [tuple(masked(v) for v in row) for row in db.conn.execute(f'SELECT * FROM "{name}"')]
                for name in names}
        dump["ticket_search"] = db.conn.execute(
            "SELECT rowid, subject, body FROM ticket_search ORDER BY rowid").fetchall()
        return dump
    finally:
        db.close()


def test_bulk_mail_writes_store_what_ticket_by_ticket_writes_store(tmp_path):
    since = clock.now_iso()
    one_by_one = stored(tmp_path / "one.db", [FIRST, SECOND], False, since)
    bulk = stored(tmp_path / "bulk.db", [FIRST, SECOND], True, since)
    assert one_by_one["messages"] and one_by_one["attachments"], "the corpus has messages and files"
    assert len(one_by_one["tickets"]) < len(one_by_one["messages"]), "and replies joining tickets"
    assert {name: rows for name, rows in bulk.items() if rows != one_by_one[name]} == {}


def test_bulk_writes_of_hostile_mail_store_the_same(tmp_path, trials):
    since = clock.now_iso()
    counter = iter(range(10**9))

    @settings(max_examples=trials or 3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.integers(0, 10**6), min_size=2, max_size=6).flatmap(
        lambda seeds: st.tuples(*[messages(next(counter)) for _ in seeds])))
    def run(hostile: tuple[bytes, ...]) -> None:
        folder = tmp_path / str(next(counter))
        folder.mkdir()
        batches = [[*hostile[::2], message(1)], [*hostile[1::2], message(2, replying=1)]]
        assert stored(folder / "bulk.db", batches, True, since) == stored(folder / "one.db", batches, False, since)

    run()
