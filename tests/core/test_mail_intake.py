"""Mail intake keeps every message (issues 11.8, 11.9 and 12.4): what is
wrong with a mail is noted on it, never a reason to drop it or to stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from amends.core import importers, tickets
from amends.core.importers import mail
from amends.core.mail import defects as mail_defects
from amends.core.mail import html_text, outbox

from tests.core.test_mail_import import FIXTURES

GOOD = b"""From: Ada Okafor <ada@example.com>
Subject: Box arrived crushed
Date: Mon, 05 Jan 2026 10:00:00 +0000
Message-ID: <good@mail.example.com>

The box arrived crushed.
"""


def eml(tmp_path: Path, name: str, raw: bytes, mtime: datetime | None = None) -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def only_message(db) -> dict:
    row = db.one("SELECT * FROM messages ORDER BY id DESC LIMIT 1")
    return {**dict(row), "defects": json.loads(row["defects"] or "[]")}


@pytest.mark.parametrize("date", [b"Fri, 31 Dec 9999 23:00:00 -0500", b"Mon, 01 Jan 0100 00:30:00 +0100",
                                  b"Mon, 01 Jan 0001 00:00:00 +0100", b"Mon, 01 Jan 0001 00:00:00 -0500",
                                  b"Sat, 01 Jan 10000 00:00:00 +0000", b"Mon, 05 Jan 2026 10:00:00 +9959"])
def test_a_date_out_of_range_is_a_defect_not_a_crash(db, tmp_path, date):
    arrived = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    raw = GOOD.replace(b"Mon, 05 Jan 2026 10:00:00 +0000", date)
    report = importers.import_file(db, eml(tmp_path, "far.eml", raw, arrived))
    assert report.written and report.imported == 1
    message = only_message(db)
    assert message["created_at"] == "2026-02-03T04:05:06Z", "the file's time stands in"
    assert any("Date" in d for d in message["defects"])


def test_missing_date_takes_the_newest_received_time_else_the_file_time(db, tmp_path):
    received = (b"Received: from mx.example.com by mail.shop.example; Tue, 06 Jan 2026 09:30:00 +0100\n"
                b"Received: from laptop by mx.example.com; Tue, 06 Jan 2026 08:00:00 +0000\n")
    no_date = received + GOOD.replace(b"Date: Mon, 05 Jan 2026 10:00:00 +0000\n", b"")
    importers.import_file(db, eml(tmp_path, "received.eml", no_date))
    message = only_message(db)
    assert message["created_at"] == "2026-01-06T08:30:00Z"
    assert any("Received" in d for d in message["defects"])
    bare = GOOD.replace(b"Date: Mon, 05 Jan 2026 10:00:00 +0000\n", b"").replace(b"<good@", b"<bare@")
    importers.import_file(db, eml(tmp_path, "bare.eml", bare, datetime(2026, 3, 1, 12, tzinfo=UTC)))
    assert only_message(db)["created_at"] == "2026-03-01T12:00:00Z"


def test_missing_sender_is_kept_as_unknown_sender(db, tmp_path):
    raw = GOOD.replace(b"From: Ada Okafor <ada@example.com>\n", b"")
    report = importers.import_file(db, eml(tmp_path, "nobody.eml", raw))
    assert report.written and report.imported == 1 and not report.errors
    message = only_message(db)
    assert message["author"] == "unknown sender" and any("sender" in d for d in message["defects"])
    assert db.scalar("SELECT customer_id FROM tickets") is None


def test_the_sender_comes_from_the_parsed_header_the_same_on_every_python(db, tmp_path):
    raw = GOOD.replace(b"Ada Okafor <ada@example.com>", b"alice@example.org)<bob@evil.example>")
    importers.import_file(db, eml(tmp_path, "odd.eml", raw))
    assert db.scalar("SELECT email FROM customers") == "alice@example.org"
    assert any("From" in d for d in only_message(db)["defects"]), "the odd header is noted"


def _import_in_a_new_process(db_path: Path, path: Path) -> None:
    code = ("import sys; from amends.core import importers; from amends.core.workspace import open_database; "
            "db = open_database(sys.argv[1], 'other@host'); importers.import_file(db, sys.argv[2]); db.close()")
    subprocess.run([sys.executable, "-c", code, str(db_path), str(path)], check=True, timeout=60)


def test_mail_without_message_id_gets_a_stable_id_from_its_content(db, db_path, tmp_path):
    mbox = tmp_path / "no-ids.mbox"
    mbox.write_bytes(b"From a@example.com Mon Jan  5 10:00:00 2026\n" +
                     GOOD.replace(b"Message-ID: <good@mail.example.com>\n", b"") +
                     b"\nFrom b@example.com Mon Jan  5 11:00:00 2026\nFrom: b@example.com\nSubject: Other\n"
                     b"Date: Mon, 05 Jan 2026 11:00:00 +0000\n\nSomething else.\n")
    db.close()
    _import_in_a_new_process(db_path, mbox)
    _import_in_a_new_process(db_path, mbox)  # another process: another hash() seed
    from amends.core.workspace import open_database

    again = open_database(db_path, "tester@host")
    try:
        assert again.scalar("SELECT count(*) FROM messages") == 2, "re-importing adds nothing"
        ids = [r[0] for r in again.query("SELECT external_id FROM messages ORDER BY id")]
        assert all(i.startswith("<sha256-") and i.endswith("@amends>") for i in ids)
    finally:
        again.close()


def test_broken_mime_unknown_charset_and_undeclared_8bit_are_imported_with_defects(db, tmp_path):
    unknown = (b"From: a@example.com\nSubject: Charset\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n"
               b"Message-ID: <cs@x>\nContent-Type: text/plain; charset=x-no-such-charset\n\nCaf\xc3\xa9 ok\n")
    eightbit = (b"From: b@example.com\nSubject: Eight\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n"
                b"Message-ID: <8@x>\n\nCaf\xe9 au lait\n")
    broken = (b"From: c@example.com\nSubject: Broken\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <mime@x>\n"
              b"MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--nowhere\nContent-Type: text/plain\n\nhello\n")
    for name, raw in (("unknown.eml", unknown), ("eightbit.eml", eightbit), ("broken.eml", broken)):
        report = importers.import_file(db, eml(tmp_path, name, raw))
        assert report.written and report.imported == 1, name
        assert only_message(db)["defects"], name
    bodies = {r[0]: r[1] for r in db.query("SELECT external_id, body FROM messages")}
    assert bodies["<cs@x>"] == "Café ok" and bodies["<8@x>"] == "Café au lait" and "hello" in bodies["<mime@x>"]


def test_the_broken_message_of_the_mbox_is_kept_with_its_defects(db):
    report = importers.import_file(db, FIXTURES / "inbox.mbox")
    assert report.written and report.imported == 3 and not report.errors
    kept = db.one("SELECT m.author, m.defects FROM messages m JOIN tickets t ON t.id = m.ticket_id "
                  "WHERE t.subject = 'broken'")
    found = json.loads(kept["defects"])
    assert kept["author"] == "nobody" and any("sender" in d for d in found) and any("Date" in d for d in found)
    ticket_id = db.scalar("SELECT ticket_id FROM messages WHERE author = 'nobody'")
    assert mail_defects.of_ticket(db, ticket_id) == {db.scalar("SELECT id FROM messages WHERE author = 'nobody'"):
                                                     found}


def deep_mime(depth: int) -> bytes:
    head = b"From: deep@example.com\nSubject: Deep\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <deep@x>\n"
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth))
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\n\nthe innermost words\n" + closing


def test_hostile_structure_and_text_are_kept_not_internal_errors(db, tmp_path):
    surrogate = (b"From: =?utf-8?b?7aCA?= <s@example.com>\nSubject: =?utf-8?b?7aCA?= \xff\xfe odd\n"
                 b"Date: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <sur@x>\n"
                 b"Content-Type: text/html; charset=utf-8\n\n<p>\xed\xa0\x80 and \x00 nul</p>\n")
    for name, raw in (("deep.eml", deep_mime(1200)), ("surrogate.eml", surrogate)):
        report = importers.import_file(db, eml(tmp_path, name, raw))
        assert report.written and report.imported == 1, name
        message = only_message(db)
        assert message["body"].encode("utf-8") and message["defects"], name
    assert "the innermost words" in db.scalar("SELECT body FROM messages WHERE external_id = '<deep@x>'")


def test_a_bounce_joins_the_ticket_of_the_mail_that_bounced_and_marks_it_failed(db, tmp_path):
    importers.import_file(db, FIXTURES / "first.eml")
    ticket_id = db.scalar("SELECT id FROM tickets")
    account_id = outbox.add_account(db, "Shop", "support@shop.example", smtp_host="127.0.0.1", smtp_port=2525,
                                    smtp_security="none")
    reply = tickets.add_message(db, ticket_id, "out", "A new box is on its way.")
    outbox_id = outbox.queue_reply(db, reply, account_id)
    sent_id = db.scalar("SELECT header_message_id FROM outbox WHERE id = ?", (outbox_id,))
    db.conn.execute("UPDATE tickets SET status = 'resolved'")
    bounce = f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: support@shop.example
Subject: Undelivered Mail Returned to Sender
Date: Tue, 06 Jan 2026 10:00:00 +0000
Message-ID: <bounce-1@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R"

--R
Content-Type: text/plain

Your message could not be delivered.
--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; ada@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <ada@example.com>: mailbox unknown
--R
Content-Type: text/rfc822-headers

From: Shop <support@shop.example>
To: ada@example.com
Subject: Re: Box arrived crushed
Message-ID: {sent_id}
--R--
""".encode()
    report = importers.import_file(db, eml(tmp_path, "bounce.eml", bounce))
    assert report.written and report.imported == 1
    assert db.scalar("SELECT count(*) FROM tickets") == 1, "attached to the ticket, not a new one"
    row = db.one("SELECT ticket_id, flag, defects FROM messages WHERE external_id = '<bounce-1@mx.example.com>'")
    assert row["ticket_id"] == ticket_id and row["flag"] == "bounce"
    entry = db.one("SELECT status, last_error FROM outbox WHERE id = ?", (outbox_id,))
    assert entry["status"] == "failed" and "5.1.1" in entry["last_error"]
    assert db.scalar("SELECT status FROM tickets") == "resolved", "a bounce is not the customer writing again"
    assert db.scalar("SELECT count(*) FROM customers WHERE email LIKE 'mailer-daemon%'") == 0


@pytest.mark.parametrize("large", [html_text.LARGE_HTML, 10], ids=["inscriptis", "large-body walk"])
def test_html_to_text_keeps_structure_and_drops_the_title(large):
    text = mail.html_to_text("<html><head><title>SECRET TITLE</title><style>p{}</style></head><body>"
                             "<p>Hello &amp; welcome</p><ul><li>first</li><li>second</li></ul>"
                             "<table><tr><td>Order</td><td>4711</td></tr><tr><td>Total</td><td>12 EUR</td></tr>"
                             "</table><script>alert(1)</script></body></html>", large)
    assert "SECRET TITLE" not in text and "alert" not in text and "p{}" not in text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert "Hello & welcome" in lines
    assert any(line.endswith("first") and line[0] in "*-•" for line in lines), lines
    assert any("Order" in line and "4711" in line for line in lines) and \
        not any("Order" in line and "Total" in line for line in lines), "one table row per line"


@pytest.mark.parametrize("large", [html_text.LARGE_HTML, 10], ids=["inscriptis", "large-body walk"])
def test_html_to_text_of_hostile_markup_does_not_fail(large):
    for markup in ("", "   ", "<" * 10_000, "<p>" * 5_000, "\x00\ud800<b>x", "<!DOCTYPE x [<!ENTITY a 'b'>]>&a;",
                   "<div>" * 5_000 + "deep"):
        assert isinstance(mail.html_to_text(markup, large), str)


OUTLOOK = """Thanks so much!

From: Shop Support <support@shop.example>
Sent: Monday, January 5, 2026 10:00 AM
To: Ada Okafor <ada@example.com>
Subject: RE: Box arrived crushed

Is there anything else we can do for you? Could you send a photo?
"""


def test_an_outlook_style_thank_you_is_thanks_only():
    from amends.core.thanks import is_thanks_only, new_text

    assert new_text(OUTLOOK) == "Thanks so much!"
    assert is_thanks_only(OUTLOOK)
    assert is_thanks_only("Thanks so much!\n\n-----Original Message-----\nFrom: Shop\nSent: today\n\nAnything else?")
    assert is_thanks_only("Danke!\n\nAm Mo., 5. Jan. 2026 um 10:00 schrieb Shop <s@shop.example>:\n> Noch Fragen?")
    assert not is_thanks_only(OUTLOOK.replace("Thanks so much!", "Thanks, but where is my refund?"))
    assert not is_thanks_only("Thanks so much!\n\nSent: x\nThe new box is broken too, can you help?")


def test_an_outlook_style_thank_you_does_not_reopen_a_resolved_ticket(db, tmp_path):
    from amends.core import resolution

    importers.import_file(db, FIXTURES / "first.eml")
    ticket_id = db.scalar("SELECT id FROM tickets")
    checklist = resolution.checklist_for(db, ticket_id)
    resolution.resolve(db, ticket_id, checklist.policy.id,
                       [resolution.StepOutcome(i, True) for i in range(len(checklist.steps))],
                       # a rule sorts the crushed box into damaged_shipment, whose checklist has a save offer
                       next((resolution.Offer(s.offer_min or 0) for s in checklist.steps if s.type == "save_offer"),
                            None))
    raw = ("From: Ada Okafor <ada@example.com>\nSubject: RE: Box arrived crushed\n"
           "Date: Tue, 06 Jan 2026 10:00:00 +0000\nMessage-ID: <outlook@x>\n"
           f"In-Reply-To: <first@mail.example.com>\n\n{OUTLOOK}").encode()
    importers.import_file(db, eml(tmp_path, "outlook.eml", raw))
    ticket = tickets.get(db, ticket_id)
    assert ticket.status == "resolved" and ticket.messages[-1].flag == "thanks"


def test_a_plain_text_bounce_from_mailer_daemon_is_a_bounce_too(db, tmp_path):
    raw = (b"From: MAILER-DAEMON@mx.example.com\nSubject: failure notice\nDate: Tue, 06 Jan 2026 10:00:00 +0000\n"
           b"Message-ID: <plain-bounce@mx>\n\nSorry, we were unable to deliver your message.\n")
    report = importers.import_file(db, eml(tmp_path, "plain-bounce.eml", raw))
    assert report.written and report.imported == 1
    assert db.scalar("SELECT flag FROM messages") == "bounce"
    assert db.scalar("SELECT count(*) FROM customers") == 0, "a mail server is not a customer"


def test_8bit_text_declared_as_ascii_and_invalid_bytes_are_noted(db, tmp_path):
    ascii_lie = (b"From: a@example.com\nSubject: Lie\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <lie@x>\n"
                 b"Content-Type: text/plain; charset=us-ascii\n\nCaf\xc3\xa9\n")
    invalid = (b"From: a@example.com\nSubject: Bad\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <bad@x>\n"
               b"Content-Type: text/plain; charset=utf-8\n\nCaf\xe9\n")
    importers.import_file(db, eml(tmp_path, "lie.eml", ascii_lie))
    assert only_message(db)["body"] == "Café" and only_message(db)["defects"]
    importers.import_file(db, eml(tmp_path, "bad.eml", invalid))
    assert "replaced" in " ".join(only_message(db)["defects"])


def test_an_empty_eml_file_is_a_clear_problem_not_an_empty_ticket(db, tmp_path):
    report = importers.import_file(db, eml(tmp_path, "empty.eml", b" \n\n"), "eml")
    assert not report.written and [(e.field, e.reason) for e in report.errors] == [("", "the file is empty")]
    assert db.scalar("SELECT count(*) FROM messages") == 0


@pytest.mark.parametrize("large", [html_text.LARGE_HTML, 10], ids=["inscriptis", "large-body walk"])
def test_no_words_are_lost_in_html_nested_deeper_than_the_parser_goes(large):
    """Unclosed tags by the thousand (sloppy or hostile mail): libxml2 stops
    at a depth limit and drops the rest; the words must all still be there."""
    markup = "<title>T</title><script>x()</script>" + "".join(f"<b>word{i} " for i in range(5000)) + "the end"
    defects: list[str] = []
    text = mail.html_to_text(markup, large, defects)
    assert "word4999" in text and "the end" in text and "word0" in text
    assert "x()" not in text and "T" not in text.split()
    assert defects
