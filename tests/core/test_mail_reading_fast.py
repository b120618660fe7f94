"""The fetch-speed shortcuts in reading a mail (issue 12.3) read every mail
as the slow way did: a plain ASCII Subject is taken as it came, a part
remembers its headers until they change, the INTERNALDATE is read by a
pattern. (Also kept from a tried shortcut that was dropped: multipart mail
is read whole however its type is written.)"""

from __future__ import annotations

import email
import email.message
import email.policy

import pytest
from amends.core.mail import headers, parsing, reading

BOUNDARY = "b1"


def multipart(content_type_header: str) -> bytes:
    return (f"From: Ada <ada@example.com>\r\nSubject: photo\r\nMessage-ID: <m@x>\r\n"
            f"Date: Mon, 05 Jan 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{content_type_header}\r\n\r\n"
            f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nThe box, see the photo.\r\n"
            f"--{BOUNDARY}\r\nContent-Type: image/jpeg; name=box.jpg\r\nContent-Disposition: attachment; "
            f"filename=box.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--{BOUNDARY}--\r\n").encode()


@pytest.mark.parametrize("header", [
    f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"',
    f'Content-Type:\r\n multipart/mixed;\r\n\tboundary="{BOUNDARY}"',   # folded: the type on the next line
    f'content-type: MULTIPART/Mixed; boundary={BOUNDARY}',             # any letter case
])
def test_a_multipart_mail_is_read_whole_however_its_type_is_written(header: str) -> None:
    mail = reading.read(multipart(header))
    assert [a.name for a in mail.attachments] == ["box.jpg"]
    assert mail.attachments[0].data == b"\xff\xd8\xff\xe0\x00\x10"
    assert mail.body.startswith("The box, see the photo.")


def test_a_forwarded_mail_as_the_whole_message_is_read_whole() -> None:
    raw = (b"From: Ada <ada@example.com>\r\nSubject: fwd\r\nContent-Type: message/rfc822\r\n\r\n"
           b"From: Bob <bob@example.com>\r\nSubject: inner\r\nMessage-ID: <inner@x>\r\n\r\ninner text\r\n")
    slow = email.message_from_bytes(raw, policy=parsing.POLICY)
    assert slow.is_multipart()  # what the shortcut must not lose: the mail inside is a part
    from amends.core import clock

    now = clock.now()
    mail = reading.read(raw, None, now)
    assert mail == _read_whole(raw, now)
    assert mail.body == "inner text" and mail.name == "Ada" and mail.subject == "fwd"


@pytest.mark.parametrize("subject", [
    "Order 4711: the box arrived crushed",
    "Re:  two  spaces\r\n\tand a folded tab",
    "  leading and trailing  ",
    "=?utf-8?q?Gr=C3=BC=C3=9Fe?= aus Wien",          # an encoded word: parsed as before
    "=?iso-8859-1?b?S3VuZGVu?=",
    "a =?broken encoded word",
])
def test_the_subject_reads_as_the_parsed_header_says(subject: str) -> None:
    raw = f"From: a@example.com\r\nSubject: {subject}\r\n\r\nbody\r\n".encode()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    expected = " ".join(str(parsed["Subject"]).split())
    assert reading.read(raw).subject == expected


def test_a_part_forgets_its_headers_when_they_change() -> None:
    message = email.message_from_bytes(b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--\r\n",
                                       policy=parsing.POLICY)
    assert message.get_content_type() == "multipart/mixed"
    message.set_type("text/plain")          # what reading does for mail nested too deep to parse
    assert message.get_content_type() == "text/plain"
    del message["Content-Type"]
    assert message.get("Content-Type") is None
    message["Content-Type"] = "image/png"
    assert message.get_content_type() == "image/png"
    message.replace_header("Content-Type", "text/html")
    assert message.get_content_type() == "text/html"


def _slow_header(message, name: str, defects: list[str]) -> str:
    """The header as the email package parses it (before the Subject shortcut)."""
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except parsing.READ_ERRORS as error:
        defects.append(f"{name}: unreadable header ({type(error).__name__}); kept as it came")
        return parsing.raw_header(message, name) or ""


def _read_whole(raw: bytes, now) -> reading.Mail:
    """The way every mail was read before the shortcuts: plain EmailMessage
    parts (nothing remembered), every Subject parsed."""
    try:
        message = email.message_from_bytes(raw, policy=parsing.RememberingPolicy())
    except RecursionError:
        return reading.read(raw, None, now)
    assert type(message) is email.message.EmailMessage
    saved, headers.header = headers.header, _slow_header
    try:
        return reading._read(message, raw, [], None, now)
    finally:
        headers.header = saved


def test_any_mail_reads_the_same_as_when_it_was_parsed_whole(trials):
    from amends.core import clock
    from hypothesis import given, settings

    from tests.core.test_mail_import import FIXTURES
    from tests.core.test_mail_properties import messages

    now = clock.now()
    corpus = [multipart(f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"'),
              *(data for _, data in reading_mbox(FIXTURES / "inbox.mbox")), (FIXTURES / "first.eml").read_bytes()]
    for raw in corpus:
        assert reading.read(raw, None, now) == _read_whole(raw, now)

    @settings(max_examples=trials or 40, deadline=None)
    @given(messages())
    def run(raw: bytes) -> None:
        assert reading.read(raw, None, now) == _read_whole(raw, now)

    run()


def reading_mbox(path):
    from amends.core.importers import mail

    return mail.split_mbox(path.read_bytes())


@pytest.mark.parametrize("line", [
    b'1 (UID 5 INTERNALDATE "05-Jan-2026 10:00:00 +0000" BODY[] {3}',
    b'2 (INTERNALDATE " 5-Feb-2026 23:59:59 -0130" UID 6',
    b'3 (UID 7 INTERNALDATE "29-feb-2028 00:00:01 +1400"',
    b'4 (UID 8 INTERNALDATE "31-Feb-2026 10:00:00 +0000"',     # no such day
    b'5 (UID 9 INTERNALDATE "05-Foo-2026 10:00:00 +0000"',     # no such month
    b'6 (UID 10 INTERNALDATE "05-Jan-2026 10:00:00 +2400"',    # no such offset
    b'7 (UID 11 INTERNALDATE "05-Jan-2026 25:00:00 +0000"',
    b'8 (UID 12 BODY[] {3}',
    b"",
])
def test_the_arrival_time_reads_as_strptime_read_it(line: bytes) -> None:
    import re
    from datetime import datetime

    from amends.core.mail import fetch

    found = re.search(rb'INTERNALDATE "([^"]+)"', line)
    try:
        expected = datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z") if found else None
    except ValueError:
        expected = None
    assert fetch.arrival(line) == expected


def test_a_part_forgets_its_raw_headers_and_default_type_when_they_change() -> None:
    message = email.message_from_bytes(b"Subject: one\r\n\r\nbody\r\n", policy=parsing.POLICY)
    assert parsing.raw_header(message, "subject") == "one" and parsing.raw_header(message, "X-Tag") is None
    assert message.get_content_type() == "text/plain"
    message["X-Tag"] = "two"
    assert parsing.raw_header(message, "X-Tag") == "two"
    message.set_default_type("message/rfc822")   # what the parser does for the parts of a multipart/digest
    assert message.get_content_type() == "message/rfc822"
    message.add_header("Content-Type", "text/html")
    assert message.get_content_type() == "text/html" and parsing.raw_header(message, "content-type") == "text/html"
    message.make_mixed()
    assert message.get_content_type() == "multipart/mixed"


def test_a_message_id_twice_in_one_batch_keeps_both_mails_and_the_same_mail_twice_once() -> None:
    from amends.core.importers import mail

    first = b"From: a@example.com\r\nMessage-ID: <dup@x>\r\nSubject: one\r\n\r\nfirst text\r\n"
    other = b"From: a@example.com\r\nMessage-ID: <dup@x>\r\nSubject: two\r\n\r\nother text\r\n"
    parsed = mail.parse_messages([(1, first), (2, first), (3, other)])
    messages = [m for t in parsed.tickets for m in t.messages]
    assert [m.body for m in messages] == ["first text", "other text"]
    assert messages[0].external_id == "<dup@x>" and not any("already used" in d for d in messages[0].defects)
    assert messages[1].external_id == reading.content_id(other)
    assert any("already used by another message" in d for d in messages[1].defects)
