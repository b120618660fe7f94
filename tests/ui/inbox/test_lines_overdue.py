"""The Waiting cell's "overdue" is decided by comparing the wait's start
with the latest start already late for its target (BusinessHours.subtract,
once per showing and target), where it walked the hours to each row's due
time (ReplyClock.due_at). Both must say the same for any hours, zone,
targets and wait: the old rule is the oracle here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from amends.core import business_hours, clock
from amends.core.business_hours import BusinessHours
from amends.core.inbox_rows import TicketRow
from amends.core.targets import ReplyClock, Target
from amends.ui.inbox.inbox_lines import Lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")
_SPAN = st.sampled_from([("00:00", "24:00"), ("09:00", "17:00"), ("08:00", "12:00"), ("13:00", "17:30"),
                         ("01:30", "03:15"), ("22:00", "24:00"), ("10:00", "14:00")])
_MINUTES = st.one_of(st.none(), st.integers(min_value=1, max_value=60 * 24 * 10))
_TARGET = st.builds(Target, st.sampled_from([None, "billing", "damaged_shipment"]), st.sampled_from([None, 1, 2, 3]),
                    _MINUTES, _MINUTES)


def _oracle(reply: ReplyClock, item: TicketRow, now: str) -> bool:
    """The rule before: the due time walked from the wait's start, compared with now."""
    due = reply.due_at(item.category, item.priority, item.waiting_since, item.replied_at)
    return due is not None and due <= now


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone=st.sampled_from(_ZONES),
       week=st.dictionaries(st.sampled_from(business_hours.DAYS), st.lists(_SPAN, max_size=3).map(tuple)),
       targets=st.lists(_TARGET, max_size=4, unique_by=lambda t: (t.category, t.priority)),
       now=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
       waits=st.lists(st.tuples(st.integers(min_value=0, max_value=60 * 24 * 30), st.booleans(),
                                st.sampled_from(["billing", "damaged_shipment", "other"]), st.sampled_from([1, 2, 3])),
                      min_size=1, max_size=8))
def test_overdue_in_the_list_is_the_walked_due_time_passed(qapp, zone, week, targets, now, waits) -> None:
    reply = ReplyClock(tuple(targets), BusinessHours(zone, week))
    moment = now.replace(tzinfo=UTC, microsecond=0)
    now_iso = clock.to_iso(moment)
    lines = Lines(now_iso, reply, {}, due_view=False)
    for number, (minutes_ago, replied, category, priority) in enumerate(waits):
        since = clock.to_iso(moment - timedelta(minutes=minutes_ago, seconds=number))
        item = TicketRow(number + 1, "s", "open", category, priority, None, "c", since, since, None,
                         waiting_since=since, replied_at=since if replied else None)
        waiting = lines.line(item, None, "").texts[-1]
        assert waiting.endswith(", overdue") == _oracle(reply, item, now_iso), (since, now_iso, waiting)
