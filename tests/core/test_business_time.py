"""Open time for reply targets (T17B), on main's BusinessHours: time between
moments, due times (add) and the latest late moment (subtract), DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from amends.core import business_hours
from amends.core.business_hours import BusinessHours
from amends.core.errors import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

H = timedelta(hours=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_always_open_counts_clock_time() -> None:
    hours = business_hours.always()
    assert hours.always_open
    assert hours.business_time_between(at("2026-12-04T20:00"), at("2026-12-05T08:00")) == 12 * H
    assert hours.add(at("2026-12-04T20:00"), 3 * H) == at("2026-12-04T23:00")


def test_weekdays_skip_the_night_and_the_weekend() -> None:
    hours = business_hours.weekdays("09:00", "17:00", "UTC")
    # Friday 16:00 → Monday 10:00: one hour on Friday, one on Monday.
    assert hours.business_time_between(at("2026-12-04T16:00"), at("2026-12-07T10:00")) == 2 * H
    assert hours.add(at("2026-12-04T16:00"), 4 * H) == at("2026-12-07T12:00")
    assert hours.subtract(at("2026-12-07T12:00"), 4 * H) == at("2026-12-04T16:00")
    # Arriving while closed: the clock starts at opening time.
    assert hours.add(at("2026-12-05T03:00"), 1 * H) == at("2026-12-07T10:00")


def test_two_spans_a_day() -> None:
    hours = BusinessHours("UTC", {"mon": (("13:00", "17:00"), ("08:00", "12:00"))})
    assert hours.business_time_between(at("2026-12-07T00:00"), at("2026-12-08T00:00")) == 8 * H
    assert hours.add(at("2026-12-07T11:00"), 2 * H) == at("2026-12-07T14:00")
    assert hours.subtract(at("2026-12-07T14:00"), 2 * H) == at("2026-12-07T11:00")


def test_local_zone_and_daylight_saving() -> None:
    hours = business_hours.weekdays("09:00", "17:00", "Europe/Berlin")
    # Across the spring change (Sunday 29 March 2026) a working day is still 8 hours.
    assert hours.business_time_between(at("2026-03-27T00:00"), at("2026-03-31T00:00")) == 16 * H
    assert hours.add(at("2026-03-27T15:00"), 2 * H) == at("2026-03-30T08:00"), "10:00 CEST on Monday"


def test_never_open_is_said_not_looped() -> None:
    closed = BusinessHours("UTC", {})
    assert closed.never_open
    assert closed.business_time_between(at("2026-12-01T00:00"), at("2026-12-09T00:00")) == timedelta(0)
    with pytest.raises(ValidationError, match="never open"):
        closed.add(at("2026-12-01T00:00"), H)


# -- S16REVIEW: each local day's spans computed once (the Review replays tens of thousands of waits) -----
def test_a_days_spans_are_computed_once() -> None:
    hours = business_hours.weekdays("09:00", "17:00", "Europe/Berlin")
    day = datetime(2026, 3, 30).date()
    assert hours.spans(day) is hours.spans(day), "the second call reuses the first's spans"


def _walked(hours: BusinessHours, a: datetime, b: datetime) -> timedelta:
    """The definition, walked span by span (what business_time_between did before it cached days)."""
    total = timedelta(0)
    if b <= a or hours.never_open:
        return total
    for start, end in hours._walk(a, 1):
        if start >= b:
            break
        total += max(timedelta(0), min(end, b) - max(start, a))
    return total


_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")
_SPAN = st.sampled_from([("00:00", "24:00"), ("09:00", "17:00"), ("08:00", "12:00"), ("13:00", "17:30"),
                         ("01:30", "03:15"), ("22:00", "24:00"), ("10:00", "14:00")])


@settings(max_examples=100, deadline=None)
@given(zone=st.sampled_from(_ZONES),
       week=st.dictionaries(st.sampled_from(business_hours.DAYS), st.lists(_SPAN, max_size=3).map(tuple)),
       start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
       minutes=st.integers(min_value=-60, max_value=60 * 24 * 40))
def test_time_between_equals_the_walked_definition(zone: str, week: dict, start: datetime, minutes: int) -> None:
    hours = BusinessHours(zone, week)
    a = start.replace(tzinfo=UTC)
    b = a + timedelta(minutes=minutes)
    assert hours.business_time_between(a, b) == _walked(hours, a, b)
