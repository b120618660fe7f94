"""Property tests (Hypothesis): hostile mail of every shape is kept, with
text SQLite can hold and a believable date, never an "internal error"
(issues 11.9 and 12.4). More examples: ``pytest --trials 500``."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from amends.core import clock, importers
from amends.core.importers import mail
from amends.core.mail import html_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ANY_TEXT = st.text(st.characters(blacklist_categories=()), max_size=40)  # lone surrogates included
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "utf-7", "utf-16", "x-no-such", "rot13", "zip", "base64",
            "undefined", "", "\"utf-8\"", "utf-8\x00", "é"]


def raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


dates = st.one_of(
    st.none(),
    ANY_TEXT.map(raw),
    st.builds(lambda d, day, month, year, h, m, sign, offset: raw(
        f"{d}, {day:02d} {month} {year:04d} {h:02d}:{m:02d}:00 {sign}{offset:04d}"),
        st.sampled_from(WEEKDAYS), st.integers(0, 40), st.sampled_from(MONTHS), st.integers(0, 12000),
        st.integers(0, 30), st.integers(0, 70), st.sampled_from("+-"), st.integers(0, 9999)),
)
senders = st.one_of(st.none(), ANY_TEXT.map(raw), st.just(b"alice@example.org)<bob@evil.example>"),
                    st.just(b"MAILER-DAEMON@mx.example.com"), st.just(b"=?utf-8?b?7aCA?= <s@example.com>"),
                    st.emails().map(lambda e: e.encode()))
bodies = st.one_of(st.binary(max_size=400), ANY_TEXT.map(raw))


@st.composite
def messages(draw, number: int = 0) -> bytes:
    head = []
    if (sender := draw(senders)) is not None:
        head.append(b"From: " + sender)
    if (date := draw(dates)) is not None:
        head.append(b"Date: " + date)
    if draw(st.booleans()):
        head.append(b"Message-ID: <%d-%s@x>" % (number, draw(ANY_TEXT).encode("utf-8", "surrogatepass")[:20]))
    head.append(b"Subject: " + draw(ANY_TEXT.map(raw)).replace(b"\n", b" "))
    charset = draw(st.sampled_from(CHARSETS)).encode("utf-8")
    kind = draw(st.sampled_from([b"text/plain", b"text/html", b"multipart/report", b"multipart/mixed"]))
    depth = draw(st.integers(0, 80))
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth))
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)) if draw(st.booleans()))
    part = b"Content-Type: " + kind + b"; charset=" + charset + b"\n"
    if draw(st.booleans()):
        part += b"Content-Transfer-Encoding: " + draw(st.sampled_from([b"base64", b"quoted-printable", b"8bit",
                                                                       b"x-uuencode", b"bogus"])) + b"\n"
    body = draw(bodies)
    head_bytes = b"\n".join(h.replace(b"\n", b" ").replace(b"\r", b" ") for h in head) + b"\n"
    return head_bytes + opening + part + b"\n" + body + closing


def strict_text(value: str) -> bool:
    value.encode("utf-8")  # raises on a lone surrogate
    return "\x00" not in value


def test_any_hostile_message_is_kept_with_safe_text_and_a_believable_date(trials):
    now = clock.now()

    @settings(max_examples=trials or 30, deadline=None)
    @given(messages())
    def run(data: bytes) -> None:
        parsed = mail.parse_messages([(1, data)], arrived=datetime(2026, 2, 3, tzinfo=UTC), now=now)
        assert not parsed.problems
        [ticket] = parsed.tickets
        [message] = ticket.messages
        for value in (message.author, message.body, message.external_id, ticket.subject, message.html or "",
                      *message.defects, *(c.email + c.name for c in parsed.customers)):
            assert strict_text(value)
        at = clock.parse_iso(message.at)
        assert datetime(1970, 1, 1, tzinfo=UTC) <= at <= now + timedelta(days=1)
        again = mail.parse_messages([(1, data)], arrived=datetime(2026, 2, 3, tzinfo=UTC), now=now)
        assert again.tickets[0].messages[0].external_id == message.external_id, "the same id every time"

    run()


def test_a_hostile_mailbox_imports_every_message(db, tmp_path, trials):
    counter = iter(range(10**9))

    @settings(max_examples=trials or 8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.integers(0, 10**6), min_size=1, max_size=4).flatmap(
        lambda seeds: st.tuples(*[messages(next(counter)) for _ in seeds])))
    def run(batch: tuple[bytes, ...]) -> None:
        path = tmp_path / "hostile.mbox"
        envelope = b"From someone@example.com Mon Jan  5 10:00:00 2026\n"
        path.write_bytes(b"".join(envelope + m.replace(b"\nFrom ", b"\n>From ") + b"\n" for m in batch))
        before = db.scalar("SELECT count(*) FROM messages")
        ids = {m.external_id for t in mail.parse(path, "mbox").tickets for m in t.messages}
        report = importers.import_file(db, path, "mbox")
        assert report.written and not report.errors
        added = db.scalar("SELECT count(*) FROM messages") - before
        assert added <= len(ids) and report.imported == added
        known = {r[0] for r in db.query("SELECT external_id FROM messages")}
        assert ids <= known, "every message of the file is in the database (new, or there from before)"

    run()
    shutil.rmtree(tmp_path / "amends.db.backups", ignore_errors=True)


TAG_SOUP = st.lists(st.one_of(st.sampled_from(["<p>", "</p>", "<b>", "<li>", "<td>", "<tr>", "<table>", "<script>",
                                               "</script>", "<style>", "<title>", "</title>", "<!--", "-->", "<a href='",
                                               "'>", "&amp;", "&#x0;", "&#xD800;", "<br/>", "<![CDATA[", "<?xml ?>",
                                               "<html>", "</html>", "<"]), ANY_TEXT), max_size=60).map("".join)


def test_html_to_text_takes_any_tag_soup(trials):
    @settings(max_examples=trials or 60, deadline=None)
    @given(TAG_SOUP, st.sampled_from([html_text.LARGE_HTML, 0]))
    def run(markup: str, large: int) -> None:
        result = mail.html_to_text(markup, large, [])
        assert strict_text(result)

    run()
