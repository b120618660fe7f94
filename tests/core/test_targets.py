"""Reply targets per category and priority in business hours, and the search
terms built on them: waiting:>4h, due:today, is:overdue, is:due-soon."""

from __future__ import annotations

import pytest
from amends.core import business_hours, query_syntax, saved_views, targets, tickets
from amends.core.errors import ValidationError
from amends.core.store import Database

NOW = "2026-12-07T12:00:00Z"  # a Monday


def _ids(db: Database, text: str, now: str = NOW) -> set[int]:
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text=text), now=now)
    return {r.id for r in rows}


def _ticket(db: Database, at: str, category: str = "other", priority: int = 1) -> int:
    return tickets.create(db, "Box", "Where is it?", created_at=at, category=category, priority=priority)


def test_the_most_specific_target_wins(db: Database) -> None:
    targets.set_target(db, None, None, 480, 960)
    targets.set_target(db, "billing", None, 120, None)
    targets.set_target(db, None, 3, 60, 60)
    targets.set_target(db, "billing", 3, 30, 45)
    reply = targets.load(db)
    assert reply.minutes("other", 1, True) == 480 and reply.minutes("other", 1, False) == 960
    assert reply.minutes("billing", 1, True) == 120 and reply.minutes("billing", 1, False) is None
    assert reply.minutes("other", 3, True) == 60
    assert reply.minutes("billing", 3, False) == 45
    targets.set_target(db, "billing", 3, None, None)  # removed
    assert reply.minutes("billing", 3, True) == 30, "a loaded clock is a snapshot"
    assert targets.load(db).minutes("billing", 3, True) == 120


def test_bad_targets_are_named(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        targets.set_target(db, "parcels", 9, 0, None)
    fields = {field for field, _ in caught.value.problems}
    assert fields == {"category", "priority", "first_minutes"}


def test_due_in_business_hours(db: Database) -> None:
    business_hours.save(db, business_hours.weekdays("09:00", "17:00", "UTC"))
    targets.set_target(db, None, None, 240, 480)
    reply = targets.load(db)
    # Friday 15:00 + 4 business hours = Monday 11:00.
    assert reply.due_at("other", 1, "2026-12-04T15:00:00Z", None) == "2026-12-07T11:00:00Z"
    # After a first reply the next-reply target applies: 8 h = 2 on Friday + 6 on Monday.
    assert reply.due_at("other", 1, "2026-12-04T15:00:00Z", "2026-12-04T15:30:00Z") == "2026-12-07T15:00:00Z"
    assert reply.due_at("other", 1, None, None) is None


def test_overdue_due_today_and_soon_in_the_search(db: Database) -> None:
    business_hours.save(db, business_hours.weekdays("09:00", "17:00", "UTC"))
    targets.set_target(db, None, None, 240, None)
    targets.set_target(db, "billing", None, 60, None)
    late = _ticket(db, "2026-12-04T15:00:00Z")            # due Mon 11:00: overdue at 12:00
    today = _ticket(db, "2026-12-07T10:00:00Z")           # due Mon 14:00: today, soon
    later = _ticket(db, "2026-12-07T09:00:00Z", "billing")  # due Mon 10:00: overdue (billing: 1 h)
    tomorrow = _ticket(db, "2026-12-07T15:00:00Z")        # due Tue 11:00
    answered = _ticket(db, "2026-12-04T09:00:00Z")
    tickets.add_message(db, answered, "out", "Done", at="2026-12-04T10:00:00Z")
    assert _ids(db, "is:overdue") == {late, later}
    assert _ids(db, "due:overdue") == {late, later}
    assert _ids(db, "is:due-soon") == {today}
    assert _ids(db, "due:today") == {late, today, later}
    assert _ids(db, "due:tomorrow") == {tomorrow}
    assert _ids(db, "due:2026-12-08") == {tomorrow}
    assert _ids(db, "-is:overdue") == {today, tomorrow, answered}
    counted, _ = tickets.count(db, tickets.InboxQuery(status="all", text="is:overdue"), now=NOW)
    assert counted == 2


def test_waiting_longer_or_shorter_than(db: Database) -> None:
    old = _ticket(db, "2026-12-07T06:00:00Z")
    new = _ticket(db, "2026-12-07T11:00:00Z")
    assert _ids(db, "waiting:>4h") == {old}
    assert _ids(db, "waiting:<2h") == {new}
    assert _ids(db, "waiting:>1d") == set()


@pytest.mark.parametrize("text, fragment", [("waiting:soon", "waiting:"), ("due:someday", "due:"),
                                            ("is:late", "is:")])
def test_mistakes_are_explained(text: str, fragment: str) -> None:
    parsed = query_syntax.parse(text, "me")
    assert parsed.problems and parsed.problems[0].token == text and fragment in parsed.problems[0].reason


def test_completion_offers_the_new_terms() -> None:
    offered = query_syntax.suggestions()
    assert {"is:overdue", "is:due-soon", "due:today", "waiting:>4h"} <= set(offered)


def test_due_soon_and_overdue_views(db: Database) -> None:
    names = [view.name for view in saved_views.builtin()]
    assert "Due soon" in names and "Overdue" in names
    overdue = next(v for v in saved_views.builtin() if v.name == "Overdue")
    assert overdue.query.sort == "waiting" and "is:overdue" in overdue.query.base_text
    business_hours.save(db, business_hours.weekdays("09:00", "17:00", "UTC"))
    targets.set_target(db, None, None, 240, None)
    late = _ticket(db, "2026-12-04T15:00:00Z")
    _ticket(db, "2026-12-07T11:30:00Z")
    rows, _ = tickets.page(db, overdue.query, now=NOW)
    assert [r.id for r in rows] == [late]


def test_save_all_in_one_transaction_or_nothing(db: Database) -> None:
    hours = business_hours.weekdays("08:00", "16:00", "Europe/Berlin")
    rows = [targets.Target(None, None, 480, 960), targets.Target("billing", 3, 30, 60)]
    targets.save_all(db, hours, rows)
    assert targets.list_targets(db) == rows and business_hours.load(db) == hours
    with pytest.raises(ValidationError) as caught:
        targets.save_all(db, business_hours.always(), [targets.Target("billing", 3, 30, 60),
                                                        targets.Target("billing", 3, 5, 5),
                                    targets.Target(None, 1, -5, None)])
    assert {where for where, _ in caught.value.problems} == {"row 2", "row 3"}
    assert targets.list_targets(db) == rows and business_hours.load(db) == hours, "nothing changed"


def test_not_waiting_longer_keeps_the_tickets_nobody_waits_on(db: Database) -> None:
    old = _ticket(db, "2026-12-07T06:00:00Z")
    answered = _ticket(db, "2026-12-07T05:00:00Z")
    tickets.add_message(db, answered, "out", "Done", at="2026-12-07T05:30:00Z")
    assert _ids(db, "waiting:>4h") == {old}
    assert _ids(db, "-waiting:>4h") == {answered}
