"""Reading one raw mail into what a ticket needs, whatever the mail is like.

A user's mail must never be dropped, and one odd message must never stop
intake (issues 11 and 12). So nothing here refuses a message: a missing or
impossible Date, a missing sender, an unknown charset, undeclared 8-bit
text, broken or absurdly deep MIME, text that is not Unicode — each becomes
a short sentence in ``defects`` and the message is read as far as it goes.
The stdlib ``email`` package with the default policy parses; the sender comes
from the parsed ``From`` header object (not ``parseaddr``, whose answer to
odd addresses differs between Python builds).
"""

from __future__ import annotations

import email
import email.parser
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from typing import cast

from amends.core import clock, safe_html
from amends.core.attachments import Incoming, human_size
from amends.core.mail import automatic, bodies, file_parts, headers
from amends.core.mail.headers import IDS, UNKNOWN_SENDER, content_id, first_id
from amends.core.mail.parsing import POLICY, raw_header, text

#: What readers of a mail take from here with it (importers/mail.py keeps an unreadable one).
__all__ = ["UNKNOWN_SENDER", "Mail", "content_id", "read", "text"]

_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.I)


@dataclass
class Mail:
    """One message as read; ``defects`` says what could not be trusted."""

    message_id: str
    references: list[str]
    name: str
    address: str | None          # None: no usable sender (kept as "unknown sender")
    at: str
    subject: str
    body: str
    html: str | None = None
    defects: list[str] = field(default_factory=list)
    bounced_id: str | None = None  # a bounce: the Message-ID of the mail that did not arrive
    bounce_reason: str = ""
    attachments: list[Incoming] = field(default_factory=list)  # every file part, inline images too
    automatic: str | None = None  # which header says a machine sent it (core/mail/automatic.py)


def read(raw: bytes, arrived: datetime | None = None, now: datetime | None = None) -> Mail:
    """Read one raw message. Never raises for what is in the mail."""
    defects: list[str] = []
    message: EmailMessage
    try:  # an EmailPolicy makes EmailMessage objects (typeshed only knows that of email.policy.default)
        # (Parsing the headers alone first, and the whole mail only when it has
        # parts, was tried for speed: no gain measured, even for a 200 KB body.)
        message = cast(EmailMessage, email.message_from_bytes(raw, policy=POLICY))
    except RecursionError:
        # nested too deep for the parser: the headers, and the rest as raw text
        defects.append("MIME nested too deeply to read; the message is kept as raw text")
        message = cast(EmailMessage, email.parser.BytesHeaderParser(policy=POLICY).parsebytes(raw))
        message.set_payload(raw.split(b"\n\n", 1)[-1].decode("utf-8", errors="replace"))
        message.set_type("text/plain")
    return _read(message, raw, defects, arrived, now or clock.now())


def _read(message: EmailMessage, raw: bytes, defects: list[str], arrived: datetime | None,
          now: datetime) -> Mail:
    name, address = headers.sender(message, defects)
    message_id = first_id(raw_header(message, "Message-ID"))
    if message_id is None:
        message_id = content_id(raw)
    references = IDS.findall(raw_header(message, "In-Reply-To") or "") + \
        IDS.findall(raw_header(message, "References") or "")
    subject = " ".join(headers.header(message, "Subject", defects).split()) or "(no subject)"
    parts = bodies.parts(message, defects)
    bodies.note_parser_defects(parts, defects)
    body, html, used = bodies.bodies(message, parts, defects)
    extra = bodies.other_texts(message, used, defects)
    if extra:  # a text part after the files ("Sent from my phone"): part of the message, not a file
        body = "\n\n".join(t for t in (body, *extra) if t)
    files = file_parts.attachments(parts, used, defects)
    shown_inline = safe_html.referenced_cids(html)
    for item in files:
        item.inline = item.inline or (item.content_id or "").lower() in shown_inline
    if files:
        body = (body + "\n\n" if body else "") + "\n".join(
            f"[attachment: {f.name} ({human_size(f.size or 0)})]" for f in files)
    if not body and subject == "(no subject)":
        defects.append("an empty message")
    mail = Mail(text(message_id, defects), [text(r) for r in references], safe_html.display_name(text(name, defects)),
                text(address) if address else None, clock.to_iso(headers.moment(message, defects, arrived, now)),
                text(subject, defects), text(body, defects), text(html) if html else None, defects,
                attachments=files)
    _bounce(message, parts, address, mail)
    mail.automatic = automatic.reason(message, address) or ("a delivery failure report" if mail.bounce_reason else None)
    return mail


def _bounce(message: Message, parts: list[Message], address: str | None, mail: Mail) -> None:
    """A delivery failure report (multipart/report, or from MAILER-DAEMON):
    which mail of ours did not arrive, and why."""
    is_report = message.get_content_type() == "multipart/report"
    if not is_report and not (address and _BOUNCE_SENDERS.match(address)):
        return
    original, reason = None, ""
    for part in parts:
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status = " ".join(bodies.part_text(part, []).split()) if not part.is_multipart() else \
                " ".join(str(p) for p in part.get_payload())
            found = re.search(r"Diagnostic-Code:\s*(.+?)(?=\s+[A-Z][\w-]*:|$)", status) or \
                re.search(r"Status:\s*(\S+)", status)
            reason = found.group(1) if found else reason
        elif kind == "message/rfc822" and part.is_multipart():
            contained = part.get_payload()  # a multipart's payload is the list of its parts
            inner = contained[0] if isinstance(contained, list) and contained else None
            if not isinstance(inner, Message):
                continue
            original = original or first_id(raw_header(inner, "Message-ID"))
        elif kind == "text/rfc822-headers":
            quoted_headers = email.parser.Parser(policy=POLICY).parsestr(bodies.part_text(part, []), headersonly=True)
            original = original or first_id(raw_header(quoted_headers, "Message-ID"))
    if original is None:  # a plain-text bounce quotes the headers of the mail in its body
        quoted = re.search(r"^\s*Message-ID:\s*(<[^<>\s]+>)", mail.body, re.I | re.M)
        original = quoted.group(1) if quoted else None
    mail.bounced_id = text(original) if original else None
    mail.bounce_reason = text(reason or "the receiving server returned it")[:300]
    mail.defects.append(f"a delivery failure report (bounce): {mail.bounce_reason}")
    if mail.bounced_id and mail.bounced_id not in mail.references:
        mail.references.insert(0, mail.bounced_id)
