"""Reading one fetched batch: the UID FETCH response into threaded tickets,
touching no database (so that :func:`amends.core.mail.fetch._write_batch`
alone writes). Kept apart from the IMAP session: this is the part that could
run elsewhere. It was tried in a reader process beside the fetch (spawned:
forking a process with Qt and other threads is unsafe) and lost on the
project's shared 2-core machine: 7.4-8.2 s against 4.9-5.2 s in this process
for 5,000 messages in one run, the start of a process and the competition
for the cores costing more than the parallel reading won."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from amends.core.importers import mail
from amends.core.importers.records import Parsed

_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\s*"')
_MONTHS = {m: n for n, m in enumerate(
    (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec"), start=1)}


def arrival(response: bytes) -> datetime | None:
    """The time the server received the message (IMAP INTERNALDATE,
    ``05-Jan-2026 10:00:00 +0100``): the date a message without a usable
    Date header is given. Read by one pattern (strptime took a tenth of a
    fetch's own time)."""
    found = _INTERNALDATE.search(response or b"")
    month = _MONTHS.get(found.group(2).lower()) if found is not None else None
    if found is None or month is None:
        return None
    day, _, year, hour, minute, second, sign, zone_h, zone_m = found.groups()
    offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
    try:
        return datetime(int(year), month, int(day), int(hour), int(minute), int(second),
                        tzinfo=timezone(-offset if sign == b"-" else offset))
    except ValueError:  # 31-Feb, 25:00, an offset of a day or more
        return None


_UID = re.compile(rb"\bUID (\d+)")


def fetched_messages(data: list) -> list[tuple[int, bytes, bytes]]:
    """(UID, raw message, the FETCH line) from one UID FETCH response. The
    UID can come before the message or after it (the part after the literal)."""
    found = []
    for index, part in enumerate(data or []):
        if not isinstance(part, tuple) or len(part) < 2:
            continue
        header = part[0] or b""
        match = _UID.search(header)
        if match is None and index + 1 < len(data) and isinstance(data[index + 1], bytes):
            match = _UID.search(data[index + 1])
        if match is not None and part[1]:
            found.append((int(match.group(1)), part[1], header))
    return found


@dataclass
class ReadBatch:
    """One batch as read: its UIDs, the threaded tickets, and what the
    server listed but did not hand over (UID, reason)."""

    wanted: list[int]
    parsed: Parsed
    unreadable: list[tuple[int, str]] = field(default_factory=list)


def read_batch(wanted: list[int], status: str, parts: list, now: datetime) -> ReadBatch:
    """One UID FETCH response read into tickets. Reading never refuses a message (odd
    ones are kept with their defects noted), so one bad message cannot hold
    the saved position back."""
    got = {uid: (raw, line) for uid, raw, line in (fetched_messages(parts) if status == "OK" else [])}
    chunks, arrived, unreadable = [], {}, []
    for uid in wanted:
        if uid not in got:
            unreadable.append((uid, f"the server did not hand it over ({status})"))
            continue
        raw, line = got[uid]
        chunks.append((uid, raw))
        if (when := arrival(line)) is not None:
            arrived[uid] = when
    return ReadBatch(wanted, mail.parse_messages(chunks, arrived=arrived, now=now), unreadable)
