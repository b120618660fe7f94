"""One bad mail never stops intake (issue 11.8): fetching from a real IMAP
server (Dovecot on loopback) keeps every message, notes what is wrong with
it, and the saved position moves on, so later mail arrives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from amends.core.mail import fetch

from tests.core.test_mail_intake import deep_mime
from tests.mail.test_fetch import FIRST, OTHER, account

YEAR_9999 = FIRST.replace(b"Mon, 05 Jan 2026 10:00:00 +0000", b"Fri, 31 Dec 9999 23:00:00 -0500") \
    .replace(b"<first@", b"<far-future@")
NO_DATE_NO_ID = b"From: Cy <cy@example.com>\nSubject: Where is my order\n\nNo date, no Message-ID.\n"
SURROGATES = (b"From: =?utf-8?b?7aCA?= <s@example.com>\nSubject: \xff\xfe odd =?x-unknown?q?bytes?=\n"
              b"Date: Mon, 01 Jan 0001 00:00:00 +0100\nMessage-ID: <sur@x>\n"
              b"Content-Type: text/plain; charset=utf-7\n\n+2D3- lone\n")


def test_hostile_mail_is_kept_and_later_mail_still_arrives(db, imap_server):
    account_id = account(db, imap_server)
    arrived = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    imap_server.append(YEAR_9999, arrived)
    imap_server.append(deep_mime(1200))
    imap_server.append(SURROGATES)
    imap_server.append(NO_DATE_NO_ID, arrived)
    imap_server.append(OTHER)
    report = fetch.fetch(db, account_id, imap_server.password)
    assert report.messages == 5 and report.defective == 4
    assert db.scalar("SELECT last_uid FROM mail_folders") == report.last_uid == 5, "the position moved on"
    far = db.one("SELECT created_at, defects FROM messages WHERE external_id = '<far-future@mail.example.com>'")
    assert far["created_at"] == "2026-02-03T04:05:06Z", "the arrival time (INTERNALDATE) stands in"
    assert any("Date" in d for d in json.loads(far["defects"]))
    assert db.scalar("SELECT created_at FROM messages WHERE body LIKE 'No date%'") == "2026-02-03T04:05:06Z"
    assert db.scalar("SELECT count(*) FROM messages WHERE body = 'I was charged twice.'") == 1
    db.conn.execute("DELETE FROM mail_folders")  # fetched again from the start: nothing doubles
    assert fetch.fetch(db, account_id, imap_server.password).messages == 0
    assert db.scalar("SELECT count(*) FROM messages") == 5
