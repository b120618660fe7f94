"""Times as stored: ISO 8601 UTC text with a ``Z`` (``2026-01-05T10:00:00Z``).

Text, not integers, because people read this file with other SQLite tools;
one fixed width so that text order is time order and indexes sort correctly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def to_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(FORMAT)


def now_iso() -> str:
    return to_iso(now())


def parse_iso(text: str) -> datetime:
    """Parse any ISO 8601 time with a zone (``Z`` or ``+02:00``); naive times
    are taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def days_between(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(days=1)
