"""Mail files: single messages (.eml) and mailboxes (.mbox).

Each message becomes an inbound message; messages that refer to each other
(Message-ID, In-Reply-To, References) form one ticket, also across imports.
Importing the same mail again adds nothing (Message-ID, or for mail without
one an id from its content). Every message is kept: what is wrong with it is
noted on it (:mod:`amends.core.mail.reading`), never a reason to refuse it.
Bodies are kept as plain text (HTML parts are reduced to their text, never
rendered here).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, TicketRecord
from amends.core.importers.values import BadValue, email_value
from amends.core.mail import html_text, reading

#: An mbox envelope line: "From sender@example.com Mon Jan  5 10:00:00 2026".
#: Only such lines start a message, so an unescaped "From " in a body does not.
ENVELOPE = re.compile(r"^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ")

html_to_text = html_text.html_to_text


def split_mbox(raw: bytes) -> list[tuple[int, bytes]]:
    """(line number, message bytes) for each message of an mbox."""
    return [(number, data) for number, data, _ in _split(raw)]


def _split(raw: bytes) -> list[tuple[int, bytes, datetime | None]]:
    """(line number, message bytes, envelope time) for each message."""
    messages: list[tuple[int, list[bytes], datetime | None]] = []
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        if ENVELOPE.match(line.decode("latin-1")):
            messages.append((number, [], _envelope_time(line)))
        elif messages:
            # ">From " quoting (mboxrd) is undone; a bare "From " stays text.
            messages[-1][1].append(line[1:] if re.match(rb"^>+From ", line) else line)
    return [(number, b"".join(lines), at) for number, lines, at in messages]


def _envelope_time(line: bytes) -> datetime | None:
    """When the mail was delivered into the mbox (asctime, taken as UTC)."""
    words = line.decode("latin-1").split()
    try:
        return datetime.strptime(" ".join(words[-5:]), "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse(path: Path, kind: str) -> Parsed:
    raw = path.read_bytes()
    # mail without a usable date gets the time it arrived: the mbox envelope's, else the file's
    file_time = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    split = ([(1, raw, None)] if raw.strip() else []) if kind == "eml" else _split(raw)
    if not split:
        parsed = Parsed("messages")
        parsed.problem("document", 0, "", "the file is empty" if kind == "eml" else
                       "no messages found (an mbox starts each message with a 'From ' line)")
        return parsed
    return parse_messages([(n, data) for n, data, _ in split],
                          arrived={n: at or file_time for n, _, at in split})


def parse_messages(chunks: list[tuple[int, bytes]], arrived: datetime | dict[int, datetime] | None = None,
                   now: datetime | None = None) -> Parsed:
    """Raw messages (numbered: line, or IMAP UID) to threaded tickets.
    ``arrived``: when they arrived (one time, or per number), used when a
    message has no usable date. Every message is kept; none is a problem."""
    parsed = Parsed("messages")
    threads: dict[str, TicketRecord] = {}
    by_id: dict[str, TicketRecord] = {}
    seen: dict[str, bytes] = {}  # Message-ID -> the first message with it (hashed only when another has it too)
    customers: dict[str, CustomerRecord] = {}
    for number, data in chunks:
        when = arrived.get(number) if isinstance(arrived, dict) else arrived
        mail = read_one(data, when, now)
        if mail.message_id in seen:
            digest = reading.content_id(data)
            if reading.content_id(seen[mail.message_id]) == digest:
                continue  # the same message twice in one file: once is enough
            mail.defects.append(f"Message-ID {mail.message_id[:100]} was already used by another message")
            mail.message_id = digest
        seen[mail.message_id] = data
        customer_ref = None
        address = None
        if mail.address:
            try:
                address = email_value(mail.address)[0]
            except BadValue as error:  # kept, but no customer is made of it
                mail.defects.append(f"sender {error}")
        if address:
            customer_ref = f"email:{address}"
            if not mail.bounce_reason:
                customers.setdefault(address, CustomerRecord(customer_ref, address, mail.name))
            else:
                customer_ref = None  # a mail server is not a customer
        entry = MessageRecord("in", mail.name or mail.address or reading.UNKNOWN_SENDER, mail.at,
                              mail.body or mail.subject, mail.message_id, mail.html, list(mail.defects),
                              "bounce" if mail.bounce_reason else None, mail.attachments, mail.automatic)
        if mail.bounced_id:
            parsed.bounced.append((mail.bounced_id, mail.bounce_reason))
        thread = next((by_id[r] for r in mail.references if r in by_id), None)
        if thread is None:
            thread = TicketRecord(f"mail:{mail.message_id}", _strip_reply(mail.subject), "other", "open", 1, None,
                                  mail.at, mail.at, customer_ref, [], None, number, references=list(mail.references))
            threads[mail.message_id] = thread
        thread.messages.append(entry)
        thread.updated_at = max(thread.updated_at, mail.at)
        by_id[mail.message_id] = thread
    parsed.tickets = list(threads.values())
    parsed.customers = list(customers.values())
    return parsed


def read_one(data: bytes, arrived: datetime | None = None, now: datetime | None = None) -> reading.Mail:
    """One message, read as far as it goes. Should reading fail in a way
    nobody foresaw, the message is still kept: its raw text, with the reason,
    so that one message never stops an import or a fetch."""
    try:
        return reading.read(data, arrived, now)
    except Exception as error:  # noqa: BLE001 - noted on the kept message, never swallowed
        at = (arrived or now or datetime.now(UTC)).astimezone(UTC)
        return reading.Mail(reading.content_id(data), [], reading.UNKNOWN_SENDER, None,
                            at.strftime("%Y-%m-%dT%H:%M:%SZ"), "(could not be read)",
                            reading.text(data.decode("utf-8", errors="replace")), None,
                            [f"could not be read ({type(error).__name__}: {str(error)[:200]}); kept as raw text"])


def _strip_reply(subject: str) -> str:
    return re.sub(r"^((re|fwd?|aw|sv|wg)\s*:\s*)+", "", subject, flags=re.I).strip() or subject
