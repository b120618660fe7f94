"""Times as the person reads them: local, the zone said on hover; waits as people say them."""

from __future__ import annotations

import os
import time

from amends.ui.common import local_time


def test_local_time_with_the_zone(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert local_time.short("2026-12-01T08:05:00Z") == "2026-12-01 09:05"
        assert local_time.with_zone("2026-12-01T08:05:00Z") == "2026-12-01 09:05:00 CET (UTC+01:00)"
        assert local_time.with_zone("2026-07-01T08:05:00Z") == "2026-07-01 10:05:00 CEST (UTC+02:00)"
        assert local_time.short("not a time") == "not a time"
        # the conversation's and the ticket header's (they were ticket_view's own copies)
        assert local_time.stamp("2026-12-01T08:05:00Z") == "2026-12-01 09:05 CET"
        assert local_time.stamp("2026-07-01T08:05:00Z") == "2026-07-01 10:05 CEST"
        assert local_time.stamp("not a time") == "not a time"
        assert local_time.day_and_time("2026-12-01T08:05:00Z") == "Tue 2026-12-01 09:05"
    finally:
        monkeypatch.setenv("TZ", os.environ.get("TZ", "UTC"))
        monkeypatch.undo()
        time.tzset()


def test_durations() -> None:
    assert local_time.duration(59) == "0 min"
    assert local_time.duration(45 * 60) == "45 min"
    assert local_time.duration(3 * 3600 + 20 * 60) == "3 h 20 min"
    assert local_time.duration(26 * 3600) == "1 d 2 h"
    assert local_time.duration(527 * 86400 + 7 * 3600) == "527 d"
