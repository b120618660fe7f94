"""Mail files: single messages (.eml) and mailboxes (.mbox).

Each message becomes an inbound message; messages that refer to each other
(Message-ID, In-Reply-To, References) form one ticket, also across imports.
Importing the same mail again adds nothing (Message-ID). Broken MIME is read
as far as it goes; bodies are kept as plain text (HTML parts are reduced to
their text, never rendered here).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import html
import re
from email.message import EmailMessage, Message
from pathlib import Path

from amends.core import clock, safe_html
from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, TicketRecord

#: An mbox envelope line: "From sender@example.com Mon Jan  5 10:00:00 2026".
#: Only such lines start a message, so an unescaped "From " in a body does not.
ENVELOPE = re.compile(r"^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
_IDS = re.compile(r"<[^<>\s]+>")


def html_to_text(markup: str) -> str:
    text = _TAGS.sub(" ", re.sub(r"<br\s*/?>|</p>|</div>", "\n", markup, flags=re.I))
    return re.sub(r"[ \t]+", " ", html.unescape(text)).strip()


def body_html(message: EmailMessage) -> str | None:
    """The HTML part, sanitised (nothing remote, no scripts), or None."""
    part = message.get_body(preferencelist=("html",))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        content = _payload_text(part)
    return safe_html.clean(content if isinstance(content, str) else str(content)) or None


def _payload_text(part: Message) -> str:
    """A leaf part's bytes as text, for when get_content() cannot decode them
    (a wrong or unknown charset label). Only a multipart has no bytes."""
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def attachments(message: EmailMessage) -> list[str]:
    """'name (size)' for each attachment, names made safe. The files
    themselves are not kept (yet): the message says they came."""
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True) or b""
        found.append(f"{safe_html.safe_filename(part.get_filename() or '')} ({max(1, len(payload) // 1024)} KB)")
    return found


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        content = _payload_text(part)
    if not isinstance(content, str):
        content = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
    return html_to_text(content) if part.get_content_type() == "text/html" else content.strip()


def split_mbox(raw: bytes) -> list[tuple[int, bytes]]:
    """(line number, message bytes) for each message of an mbox."""
    messages: list[tuple[int, list[bytes]]] = []
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        if ENVELOPE.match(line.decode("latin-1")):
            messages.append((number, []))
        elif messages:
            # ">From " quoting (mboxrd) is undone; a bare "From " stays text.
            messages[-1][1].append(line[1:] if re.match(rb"^>+From ", line) else line)
    return [(number, b"".join(lines)) for number, lines in messages]


def parse(path: Path, kind: str) -> Parsed:
    raw = path.read_bytes()
    chunks = [(1, raw)] if kind == "eml" else split_mbox(raw)
    if not chunks:
        parsed = Parsed("messages")
        parsed.problem("document", 0, "", "no messages found (an mbox starts each message with a 'From ' line)")
        return parsed
    return parse_messages(chunks)


def parse_messages(chunks: list[tuple[int, bytes]]) -> Parsed:
    """Raw messages (numbered: line, or IMAP UID) to threaded tickets."""
    parsed = Parsed("messages")
    threads: dict[str, TicketRecord] = {}
    by_id: dict[str, TicketRecord] = {}
    customers: dict[str, CustomerRecord] = {}
    for number, data in chunks:
        message = email.message_from_bytes(data, policy=email.policy.default)
        sender = email.utils.parseaddr(str(message.get("From", "")))
        if "@" not in sender[1]:
            parsed.problem("tickets", number, "From", "no sender address")
            continue
        try:
            when = message.get("Date")
            moment = email.utils.parsedate_to_datetime(str(when)) if when else None
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is None:
            parsed.problem("tickets", number, "Date", f"missing or unreadable date {message.get('Date')!r}")
            continue
        at = clock.to_iso(moment)
        message_id = (_IDS.findall(str(message.get("Message-ID", ""))) or [None])[0]
        references = _IDS.findall(str(message.get("In-Reply-To", ""))) + \
            _IDS.findall(str(message.get("References", "")))
        body = body_text(message)
        try:
            files = attachments(message)
        except (LookupError, UnicodeError, AssertionError):
            files = []
        if files:
            body = (body + "\n\n" if body else "") + "\n".join(f"[attachment: {f} — not kept]" for f in files)
        subject = " ".join(str(message.get("Subject", "")).split()) or "(no subject)"
        if not body and subject == "(no subject)":
            parsed.problem("tickets", number, "body", "an empty message")
            continue
        address = sender[1].lower()
        customers.setdefault(address, CustomerRecord(f"email:{address}", sender[1], sender[0]))
        key = message_id or f"<no-id-{number}-{hash((at, address, body)) & 0xffffffff}@amends>"
        entry = MessageRecord("in", sender[0] or sender[1], at, body or subject, key, body_html(message))
        thread = next((by_id[r] for r in references if r in by_id), None)
        if thread is None:
            thread = TicketRecord(f"mail:{key}", _strip_reply(subject), "other", "open", 1, None, at, at,
                                  f"email:{address}", [], None, number, references=list(references))
            threads[key] = thread
        thread.messages.append(entry)
        thread.updated_at = max(thread.updated_at, at)
        if message_id:
            by_id[message_id] = thread
    parsed.tickets = list(threads.values())
    parsed.customers = list(customers.values())
    return parsed


def _strip_reply(subject: str) -> str:
    return re.sub(r"^((re|fwd?|aw|sv|wg)\s*:\s*)+", "", subject, flags=re.I).strip() or subject
