"""Business hours: when the desk is open, and time counted only while it is.

Reply targets ("first reply within 4 business hours") and away replies both
need to know whether the desk is open and how much *open* time lies between
two moments. The hours are weekly (one open span per weekday, or closed) in
one time zone, shared by everyone on the file (settings key
``business_hours``). Nothing set means always open, so a new file's targets
are plain clock time until someone says otherwise.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from amends.core import audit
from amends.core.errors import ValidationError
from amends.core.store import Database

SETTINGS_KEY = "business_hours"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How far add/subtract walk before giving up (a schedule always has an open
#: day, so this only bounds absurd durations).
_MAX_DAYS = 3660

Span = tuple[int, int]  # minutes after local midnight: [start, end), end <= 1440


def _always() -> tuple[Span | None, ...]:
    return tuple((0, 1440) for _ in WEEKDAYS)


@dataclass(frozen=True)
class BusinessHours:
    """Weekly open hours (index 0 = Monday; None = closed) in ``timezone``."""

    days: tuple[Span | None, ...] = field(default_factory=_always)
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        problems = []
        if len(self.days) != 7:
            problems.append(("days", "needs seven weekdays, Monday first"))
        for name, span in zip(WEEKDAYS, self.days, strict=False):
            if span is not None and not (0 <= span[0] < span[1] <= 1440):
                problems.append((name, "opening must be before closing, within the day"))
        if not any(self.days):
            problems.append(("days", "at least one day must be open"))
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(("timezone", f"unknown time zone {self.timezone!r}"))
        if problems:
            raise ValidationError(problems)

    @property
    def always_open(self) -> bool:
        return all(span == (0, 1440) for span in self.days)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _spans(self, day: date) -> tuple[datetime, datetime] | None:
        """That local day's open span as UTC datetimes (DST-correct)."""
        span = self.days[day.weekday()]
        if span is None:
            return None
        midnight = datetime.combine(day, time(0), self.zone)
        start = (midnight + timedelta(minutes=span[0])).astimezone(UTC) if span[0] else midnight.astimezone(UTC)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0), self.zone)
        end = next_midnight.astimezone(UTC) if span[1] == 1440 else \
            datetime.combine(day, time(span[1] // 60, span[1] % 60), self.zone).astimezone(UTC)
        return start, end

    def _walk(self, at: datetime, step: int) -> Iterator[tuple[datetime, datetime]]:
        day = at.astimezone(self.zone).date() - timedelta(days=step)
        for _ in range(_MAX_DAYS):
            day += timedelta(days=step)
            span = self._spans(day)
            if span is not None:
                yield span
        raise ValidationError([("duration", "too long for these business hours")])

    def is_open(self, at: datetime) -> bool:
        span = self._spans(_utc(at).astimezone(self.zone).date())
        return span is not None and span[0] <= _utc(at) < span[1]

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time from ``a`` to ``b`` (zero if ``b`` is not after ``a``)."""
        a, b = _utc(a), _utc(b)
        if b <= a:
            return timedelta(0)
        if self.always_open:
            return b - a
        total = timedelta(0)
        for start, end in self._walk(a, 1):
            if start >= b:
                break
            total += max(timedelta(0), min(end, b) - max(start, a))
        return total

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of open time after ``start`` (a target's due time)."""
        start = _utc(start)
        if self.always_open:
            return start + duration
        left = duration
        for open_at, close_at in self._walk(start, 1):
            begin = max(open_at, start)
            if close_at <= begin:
                continue
            if begin + left <= close_at:
                return begin + left
            left -= close_at - begin
        raise AssertionError("unreachable: _walk raises at its end")  # pragma: no cover

    def subtract(self, end: datetime, duration: timedelta) -> datetime:
        """The latest moment with ``duration`` of open time before ``end``:
        a ticket waiting since before it has missed a target of that length
        at ``end`` (turns "overdue" into one indexed comparison)."""
        end = _utc(end)
        if self.always_open:
            return end - duration
        left = duration
        for open_at, close_at in self._walk(end, -1):
            finish = min(close_at, end)
            if finish <= open_at:
                continue
            if finish - left >= open_at:
                return finish - left
            left -= finish - open_at
        raise AssertionError("unreachable: _walk raises at its end")  # pragma: no cover

    def to_json(self) -> str:
        return json.dumps({"timezone": self.timezone, "days": {
            name: None if span is None else [_hhmm(span[0]), _hhmm(span[1])]
            for name, span in zip(WEEKDAYS, self.days, strict=True)}})

    @classmethod
    def from_json(cls, text: str) -> BusinessHours:
        try:
            data = json.loads(text)
            days = data.get("days") or {}
            spans = tuple(None if days.get(name) is None else
                          (_minutes(days[name][0]), _minutes(days[name][1])) for name in WEEKDAYS)
        except (ValueError, TypeError, AttributeError, IndexError) as error:
            raise ValidationError([(SETTINGS_KEY, f"not readable business hours ({error})")]) from error
        return cls(spans, str(data.get("timezone") or "UTC"))


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    hours, _, minutes = str(text).partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 1440:
        raise ValueError(f"{text!r} is not a time of day")
    return value


def weekdays(open_at: str = "09:00", close_at: str = "17:00", timezone: str = "UTC") -> BusinessHours:
    """Monday to Friday, the same hours each day (the common case)."""
    span = (_minutes(open_at), _minutes(close_at))
    return BusinessHours((span,) * 5 + (None, None), timezone)


def load(db: Database | sqlite3.Connection) -> BusinessHours:
    """The file's business hours (always open when none were set)."""
    sql = "SELECT value FROM settings WHERE key = ?"
    found = db.execute(sql, (SETTINGS_KEY,)).fetchone() if isinstance(db, sqlite3.Connection) \
        else db.one(sql, (SETTINGS_KEY,))
    return BusinessHours() if found is None or not found[0] else BusinessHours.from_json(found[0])


def save(db: Database, hours: BusinessHours | None) -> None:
    """Set (or with None, clear) the business hours, audited."""
    with db.transaction() as conn:
        if hours is None:
            conn.execute("DELETE FROM settings WHERE key = ?", (SETTINGS_KEY,))
        else:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                         "value = excluded.value, version = version + 1", (SETTINGS_KEY, hours.to_json()))
        audit.record(conn, db.actor, "settings", None, "update",
                     {"key": SETTINGS_KEY, "after": None if hours is None else json.loads(hours.to_json())})
