"""Business hours: when the team is at the desk, one definition for
everything that needs it (away replies outside them, reply targets that
only count open hours). Weekly opening times in one time zone, shared by
everyone on the file (the settings table, key ``business_hours``, JSON).

Kept small and stable on purpose: other modules build on ``is_open``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from amends.core import audit
from amends.core.errors import ValidationError
from amends.core.store import Database

KEY = "business_hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_WORKDAY = (("09:00", "17:00"),)


def _default_week() -> dict[str, tuple[tuple[str, str], ...]]:
    return {day: (_WORKDAY if day not in ("sat", "sun") else ()) for day in DAYS}


@dataclass(frozen=True)
class BusinessHours:
    """Opening times per weekday ('mon' … 'sun': (start, end) pairs as
    'HH:MM', end after start, '24:00' for midnight) in ``timezone`` (IANA)."""

    timezone: str = "UTC"
    week: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=_default_week)

    def __post_init__(self) -> None:
        problems = []
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(("timezone", f"unknown time zone {self.timezone!r} (e.g. Europe/Berlin)"))
        for day, spans in self.week.items():
            if day not in DAYS:
                problems.append(("week", f"unknown day {day!r} (one of {', '.join(DAYS)})"))
            for start, end in spans:
                if not _TIME.match(start) or not _TIME.match(end) or end <= start:
                    problems.append((f"week.{day}", f"{start}–{end} is not a time span like 09:00–17:00"))
        if problems:
            raise ValidationError(problems)

    def is_open(self, at: datetime) -> bool:
        """Is ``at`` (aware; naive means UTC) inside the opening hours?"""
        local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(self.timezone))
        now = local.strftime("%H:%M")
        return any(start <= now < end for start, end in self.week.get(DAYS[local.weekday()], ()))

    def to_json(self) -> str:
        return json.dumps({"timezone": self.timezone, "week": {d: [list(s) for s in self.week.get(d, ())]
                                                               for d in DAYS}}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BusinessHours:
        try:
            data = json.loads(text)
            week = {day: tuple((str(a), str(b)) for a, b in spans) for day, spans in data.get("week", {}).items()}
            return cls(str(data.get("timezone", "UTC")), week)
        except (ValueError, TypeError, AttributeError) as error:
            raise ValidationError([(KEY, f"stored business hours are unreadable ({error})")]) from error


def load(db: Database) -> BusinessHours:
    """The file's business hours (Mon–Fri 09:00–17:00 UTC until set)."""
    text = db.scalar("SELECT value FROM settings WHERE key = ?", (KEY,))
    return BusinessHours.from_json(text) if text else BusinessHours()


def save(db: Database, hours: BusinessHours) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                     "value = excluded.value, version = version + 1", (KEY, hours.to_json()))
        audit.record(conn, db.actor, "settings", None, "update", {KEY: json.loads(hours.to_json())})
