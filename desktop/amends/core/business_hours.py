"""Business hours: when the team is at the desk, one definition for
everything that needs it (away replies outside them, reply targets that
only count open hours). Weekly opening times in one time zone, shared by
everyone on the file (the settings table, key ``business_hours``, JSON).

Kept small and stable on purpose: other modules build on ``is_open``.
Reply targets (core/targets.py) also count open time: ``business_time_between``,
and ``add`` / ``subtract`` (when a target falls due; the latest moment already
late, which turns "overdue" into one indexed comparison)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from amends.core import audit
from amends.core.errors import ValidationError
from amends.core.store import Database

KEY = "business_hours"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_WORKDAY = (("09:00", "17:00"),)
#: How far add/subtract walk looking for open time (ten years).
_MAX_DAYS = 3660


def _default_week() -> dict[str, tuple[tuple[str, str], ...]]:
    return {day: (_WORKDAY if day not in ("sat", "sun") else ()) for day in DAYS}


@dataclass(frozen=True)
class BusinessHours:
    """Opening times per weekday ('mon' … 'sun': (start, end) pairs as
    'HH:MM', end after start, '24:00' for midnight) in ``timezone`` (IANA)."""

    timezone: str = "UTC"
    week: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=_default_week)
    #: Each local day's open spans (and their total), computed once: the Review replays tens of thousands
    #: of waits over the same few hundred days (the hours are immutable, so the cache never goes stale).
    _days: dict[date, tuple[list[tuple[datetime, datetime]], timedelta]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

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

    # -- open time (reply targets) ----------------------------------------------------
    @property
    def always_open(self) -> bool:
        return all(self.week.get(day) == (("00:00", "24:00"),) for day in DAYS)

    @property
    def never_open(self) -> bool:
        return not any(self.week.get(day) for day in DAYS)

    @property
    def disjoint(self) -> bool:
        """No two open spans of a day overlap (business_time_between counts an
        overlap twice, so only then is open time at most the clock's time)."""
        for spans in self.week.values():
            ordered = sorted(spans)
            if any(later[0] < earlier[1] for earlier, later in pairwise(ordered)):
                return False
        return True

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """That local day's open spans as UTC datetimes (DST-correct), computed once per day."""
        return self._day(day)[0]

    def _day(self, day: date) -> tuple[list[tuple[datetime, datetime]], timedelta]:
        """That day's spans and their open time in total (cached)."""
        known = self._days.get(day)
        if known is None:
            spans = self._compute_spans(day)
            known = self._days[day] = (spans, sum((max(timedelta(0), end - start) for start, end in spans),
                                                  timedelta(0)))
        return known

    def _compute_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        zone = ZoneInfo(self.timezone)
        result = []
        for start, end in sorted(self.week.get(DAYS[day.weekday()], ())):
            begin = datetime.combine(day, time(int(start[:2]), int(start[3:])), zone)
            finish = datetime.combine(day + timedelta(days=1), time(0), zone) if end == "24:00" else \
                datetime.combine(day, time(int(end[:2]), int(end[3:])), zone)
            result.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return result

    def _walk(self, at: datetime, step: int) -> Iterator[tuple[datetime, datetime]]:
        day = at.astimezone(ZoneInfo(self.timezone)).date() - timedelta(days=step)
        for _ in range(_MAX_DAYS):
            day += timedelta(days=step)
            spans = self.spans(day)
            yield from (spans if step > 0 else reversed(spans))
        raise ValidationError([("duration", "longer than ten years of these business hours")])

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time from ``a`` to ``b`` (zero if ``b`` is not after ``a``)."""
        a, b = _utc(a), _utc(b)
        if b <= a or self.never_open:
            return timedelta(0)
        if self.always_open:
            return b - a
        zone = ZoneInfo(self.timezone)
        first, last = a.astimezone(zone).date(), b.astimezone(zone).date()
        days = (last - first).days
        if days >= _MAX_DAYS - 1:  # as far as the walk goes: it says when it is too far
            total = timedelta(0)
            for start, end in self._walk(a, 1):
                if start >= b:
                    break
                total += max(timedelta(0), min(end, b) - max(start, a))
            return total
        # A day's spans lie inside that local day, so the days strictly between are wholly inside (a, b):
        # their cached totals; only the first and the last day are cut by a and b.
        total = self._between(first, a, b)
        if days:
            total += self._between(last, a, b)
            for n in range(1, days):
                total += self._day(first + timedelta(days=n))[1]
        return total

    def _between(self, day: date, a: datetime, b: datetime) -> timedelta:
        total = timedelta(0)
        for start, end in self._day(day)[0]:
            total += max(timedelta(0), min(end, b) - max(start, a))
        return total

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of open time after ``start`` (a target's due time)."""
        start = _utc(start)
        if self.always_open:
            return start + duration
        if self.never_open:
            raise ValidationError([(KEY, "the business hours are never open")])
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
        """The latest moment with ``duration`` of open time before ``end``: a
        ticket waiting since before it has missed a target of that length."""
        end = _utc(end)
        if self.always_open:
            return end - duration
        if self.never_open:
            raise ValidationError([(KEY, "the business hours are never open")])
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


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def weekdays(open_at: str = "09:00", close_at: str = "17:00", timezone: str = "UTC") -> BusinessHours:
    """Monday to Friday, the same hours each day (the common case)."""
    return BusinessHours(timezone, {day: ((open_at, close_at),) if day not in ("sat", "sun") else ()
                                    for day in DAYS})


def always(timezone: str = "UTC") -> BusinessHours:
    """Open round the clock: targets count plain clock time."""
    return BusinessHours(timezone, {day: (("00:00", "24:00"),) for day in DAYS})
