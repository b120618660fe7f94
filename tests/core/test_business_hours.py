"""Business hours: one definition (core/business_hours.py) for away replies
and reply targets; weekly hours in a time zone, stored in the file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from amends.core import business_hours
from amends.core.business_hours import BusinessHours
from amends.core.errors import ValidationError


def test_open_on_weekdays_nine_to_five_in_the_zone_given():
    hours = BusinessHours("Europe/Berlin")
    # Wed 2 Dec 2026: Berlin is UTC+1.
    assert hours.is_open(datetime(2026, 12, 2, 8, 0, tzinfo=UTC)), "09:00 in Berlin"
    assert not hours.is_open(datetime(2026, 12, 2, 7, 59, tzinfo=UTC)), "08:59 in Berlin"
    assert not hours.is_open(datetime(2026, 12, 2, 16, 0, tzinfo=UTC)), "17:00 in Berlin: closed"
    assert not hours.is_open(datetime(2026, 12, 5, 10, 0, tzinfo=UTC)), "a Saturday"
    assert BusinessHours().is_open(datetime(2026, 12, 2, 9, 0)), "naive means UTC"


def test_bad_hours_are_refused_naming_the_field():
    with pytest.raises(ValidationError, match="unknown time zone"):
        BusinessHours("Mars/Olympus")
    with pytest.raises(ValidationError, match=r"week\.mon"):
        BusinessHours("UTC", {"mon": (("17:00", "09:00"),)})
    with pytest.raises(ValidationError, match="unknown day"):
        BusinessHours("UTC", {"monday": (("09:00", "17:00"),)})


def test_stored_in_the_file_and_read_back(db):
    assert business_hours.load(db) == BusinessHours()
    hours = BusinessHours("America/New_York", {"sat": (("10:00", "14:00"),), "sun": ()})
    business_hours.save(db, hours)
    assert business_hours.load(db) == BusinessHours.from_json(hours.to_json())
    assert business_hours.load(db).is_open(datetime(2026, 12, 5, 16, 0, tzinfo=UTC)), "Sat 11:00 in New York"
    assert not business_hours.load(db).is_open(datetime(2026, 12, 2, 16, 0, tzinfo=UTC)), "no weekdays given"
