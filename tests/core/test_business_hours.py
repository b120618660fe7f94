"""Business hours: open time between moments, due times, DST, stored settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from amends.core import business_hours
from amends.core.business_hours import BusinessHours
from amends.core.errors import ValidationError

H = timedelta(hours=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


def test_always_open_by_default_counts_clock_time() -> None:
    hours = BusinessHours()
    assert hours.always_open
    assert hours.business_time_between(at("2026-12-04T20:00"), at("2026-12-05T08:00")) == 12 * H


def test_weekdays_skip_the_night_and_the_weekend() -> None:
    hours = business_hours.weekdays("09:00", "17:00", "UTC")
    # Friday 16:00 → Monday 10:00: one hour on Friday, one on Monday.
    assert hours.business_time_between(at("2026-12-04T16:00"), at("2026-12-07T10:00")) == 2 * H
    assert hours.add(at("2026-12-04T16:00"), 4 * H) == at("2026-12-07T12:00")
    assert hours.subtract(at("2026-12-07T12:00"), 4 * H) == at("2026-12-04T16:00")
    assert hours.is_open(at("2026-12-04T16:59")) and not hours.is_open(at("2026-12-05T12:00"))
    # Arriving while closed: the clock starts at opening time.
    assert hours.add(at("2026-12-05T03:00"), 1 * H) == at("2026-12-07T10:00")


def test_local_zone_and_daylight_saving() -> None:
    hours = business_hours.weekdays("09:00", "17:00", "Europe/Berlin")
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert hours.is_open(at("2026-12-07T08:00")) and not hours.is_open(at("2026-12-07T07:30"))
    assert hours.is_open(at("2026-06-08T07:00"))
    # Across the spring change (Sunday 29 March 2026) a working day is still 8 hours.
    assert hours.business_time_between(at("2026-03-27T00:00"), at("2026-03-31T00:00")) == 16 * H


def test_bad_hours_are_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        BusinessHours(((600, 500),) + (None,) * 6, "UTC")
    assert "mon" in str(caught.value)
    with pytest.raises(ValidationError, match="time zone"):
        BusinessHours(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="one day"):
        BusinessHours((None,) * 7)


def test_saved_in_the_file_and_audited(db) -> None:
    assert business_hours.load(db).always_open
    hours = business_hours.weekdays("08:30", "18:00", "America/New_York")
    business_hours.save(db, hours)
    assert business_hours.load(db) == hours
    assert db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'settings' AND change LIKE '%business_hours%'") == 1
    business_hours.save(db, None)
    assert business_hours.load(db).always_open
