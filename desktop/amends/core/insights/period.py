"""The period an insight covers: whole days, both ends included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from amends.core import clock
from amends.core.errors import ValidationError

#: The days a period may cover (the years imports accept, importers.values).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # included: the period ends at the end of this day (UTC)

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValidationError([("period", f"{self.until} is before {self.since}")])
        if self.since < FIRST_DAY or self.until > LAST_DAY:  # the end is midnight after until: 9999-12-31 has none
            raise ValidationError([("period", f"dates are between {FIRST_DAY} and {LAST_DAY}")])

    # Cached: the figures compare every row's time with both ends (tens of thousands of times a Review).
    @cached_property
    def start(self) -> str:
        return clock.to_iso(datetime.combine(self.since, time(), UTC))

    @cached_property
    def end(self) -> str:
        """Exclusive end: midnight after ``until``."""
        return clock.to_iso(datetime.combine(self.until + timedelta(days=1), time(), UTC))

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def months(self) -> list[str]:
        """Every calendar month the period touches, as ``YYYY-MM``."""
        result, current = [], self.since.replace(day=1)
        while current <= self.until:
            result.append(current.strftime("%Y-%m"))
            current = (current + timedelta(days=32)).replace(day=1)
        return result

    def as_dict(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}

    def label(self) -> str:
        return f"{self.since.isoformat()} – {self.until.isoformat()}"


def last_full_quarter(today: date | None = None) -> Period:
    today = today or clock.now().date()
    first_month = 3 * ((today.month - 1) // 3) + 1
    this_quarter = date(today.year, first_month, 1)
    end = this_quarter - timedelta(days=1)
    start = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    return Period(start, end)


def parse(since: str | None, until: str | None, today: date | None = None) -> Period:
    """Period from ``YYYY-MM-DD`` texts; a missing end takes the default
    (the last full quarter) or today."""
    default = last_full_quarter(today)
    try:
        start = date.fromisoformat(since) if since else None
        end = date.fromisoformat(until) if until else None
    except ValueError as error:
        raise ValidationError([("period", f"dates are YYYY-MM-DD ({error})")]) from None
    if start is None:
        if end is None:
            return default
        # from FIRST_DAY at the earliest; an end before it is refused by Period, not an overflow here
        return Period(max(FIRST_DAY, end - timedelta(days=90)) if end >= FIRST_DAY else end, end)
    return Period(start, end if end is not None else today or clock.now().date())
