"""What a mail's headers say, read so that no header stops a message:
the sender (from the parsed ``From`` header object, not ``parseaddr``, whose
answer to odd addresses differs between Python builds), the Subject, the
moment it was written (Date, else Received, else its arrival) and its
Message-ID (one made from the content when it has none).
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message

from amends.core.mail.parsing import READ_ERRORS, raw_header

UNKNOWN_SENDER = "unknown sender"
#: Dates before this are not mail dates (clocks at zero, forged headers).
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
#: A message id in a header (Message-ID, In-Reply-To, References).
IDS = re.compile(r"<[^<>\s]+>")


def first_id(value: str | None) -> str | None:
    """The first message id in a header's raw text, None when it holds none."""
    return (IDS.findall(value or "") or [None])[0]


def content_id(raw: bytes) -> str:
    """A Message-ID for mail that has none, from its content (line endings
    made alike, so the same mail from an mbox or from IMAP gets the same id):
    importing it again adds nothing, in any process."""
    digest = hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()
    return f"<sha256-{digest}@amends>"


_LINE_BREAKS = re.compile(r"[\r\n]")


def header(message: Message, name: str, defects: list[str]) -> str:
    raw = raw_header(message, name)
    if raw is not None and raw.isascii() and "=?" not in raw:
        # plain ASCII without encoded words: the parsed header would be this
        # text unfolded, and the callers fold whitespace anyway (parsing each
        # Subject was a tenth of a fetch's time)
        return _LINE_BREAKS.sub("", raw)
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except READ_ERRORS as error:
        defects.append(f"{name}: unreadable header ({type(error).__name__}); kept as it came")
        return raw_header(message, name) or ""


def sender(message: EmailMessage, defects: list[str]) -> tuple[str, str | None]:
    try:
        header = message.get("From")
        addresses = list(header.addresses) if header is not None else []
        header_defects = list(getattr(header, "defects", ()))
    except READ_ERRORS as error:
        defects.append(f"From: unreadable ({type(error).__name__}); {UNKNOWN_SENDER}")
        return raw_header(message, "From") or UNKNOWN_SENDER, None
    usable = next((a for a in addresses if "@" in a.addr_spec and not a.addr_spec.startswith("<")), None)
    if header_defects:
        defects.append(f"From: {header_defects[0]} in {str(raw_header(message, 'From'))[:120]!r}")
    if usable is None:
        raw = " ".join((raw_header(message, "From") or "").split())
        defects.append("no sender address" + (f" in From {raw[:120]!r}" if raw else " (no From header)") +
                       f"; kept as {UNKNOWN_SENDER}")
        return raw or UNKNOWN_SENDER, None
    return usable.display_name, usable.addr_spec


#: A four-digit year below 1000 ("01 Jan 0001"): email.utils would read it as 2001.
_TINY_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3}\s+0\d{3}\b")


def _date(value: str | None) -> datetime | None:
    """A header date in UTC, or None when it is unreadable or impossible."""
    if not value or _TINY_YEAR.search(value):
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def moment(message: Message, defects: list[str], arrived: datetime | None, now: datetime) -> datetime:
    """The Date header; else the newest Received time; else the arrival (IMAP)
    or file time; else now. Dates outside 1970 … tomorrow are not believed."""
    latest = now + timedelta(days=1)

    def plausible(moment: datetime | None) -> bool:
        return moment is not None and EARLIEST <= moment <= latest

    raw = raw_header(message, "Date")
    moment = _date(raw)
    if moment is not None and plausible(moment):
        return moment
    why = "no Date header" if raw is None else f"Date {' '.join(raw.split())[:80]!r} is unreadable or impossible"
    received = [d for d in (_date(v.rpartition(";")[2]) for k, v in message.raw_items()
                            if k.lower() == "received" and ";" in str(v)) if d is not None and plausible(d)]
    if received:
        defects.append(f"{why}; used the newest Received time")
        return max(received)
    if arrived is not None and plausible(arrived.astimezone(UTC)):
        defects.append(f"{why}; used the time it arrived")
        return arrived.astimezone(UTC)
    defects.append(f"{why}; used the time it was imported")
    return now
