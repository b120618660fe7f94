"""Review: the share answered within the reply target, by category and person
(``amends insights --json`` key ``reply_targets``)."""

from __future__ import annotations

from datetime import date

from amends.core import business_hours, insights, targets, tickets
from amends.core.insights.period import Period
from amends.core.insights.reply_targets import reply_targets
from amends.core.store import Database
from amends.core.workspace import open_database

DECEMBER = Period(date(2026, 12, 1), date(2026, 12, 31))


def _reply(db: Database, ticket_id: int, at: str, author: str) -> None:
    tickets.add_message(db, ticket_id, "out", "Answer", author=author, at=at)


def test_share_within_target_by_category_and_person(db: Database) -> None:
    business_hours.save(db, business_hours.weekdays("09:00", "17:00", "UTC"))
    targets.set_target(db, None, None, 240, 120)
    targets.set_target(db, "billing", None, 60, None)
    fast = tickets.create(db, "A", "hi", category="other", created_at="2026-12-04T16:00:00Z")
    _reply(db, fast, "2026-12-07T11:00:00Z", "ann")        # 3 business hours over the weekend: within 4
    slow = tickets.create(db, "B", "hi", category="billing", created_at="2026-12-07T09:00:00Z")
    _reply(db, slow, "2026-12-07T10:30:00Z", "bob")        # 1.5 h > billing's 1 h
    tickets.add_message(db, fast, "in", "and?", at="2026-12-07T12:00:00Z")
    _reply(db, fast, "2026-12-07T13:00:00Z", "bob")        # next reply within 2 h
    missed = tickets.create(db, "C", "hi", category="other", created_at="2026-12-08T09:00:00Z",
                            assignee="cy")                 # never answered, due 13:00
    before = tickets.create(db, "D", "hi", created_at="2026-11-02T09:00:00Z")
    _reply(db, before, "2026-11-03T09:00:00Z", "ann")       # another period
    found = reply_targets(db, DECEMBER, now="2026-12-09T00:00:00Z")
    assert (found.total.answered, found.total.within) == (4, 2)
    by_person = {p.key: (p.answered, p.within) for p in found.by_person}
    assert by_person == {"ann": (1, 1), "bob": (2, 1), "cy": (1, 0)}
    by_category = {c.key: (c.answered, c.within) for c in found.by_category}
    assert by_category == {"other": (3, 2), "billing": (1, 0)}
    assert missed and found.to_json()["by_person"][0] == {"person": "bob", "waits": 2, "within_target": 1,
                                                          "share": 0.5}


def test_in_the_review_json(db: Database) -> None:
    review = insights.compute(db, DECEMBER, now="2026-12-09T00:00:00Z")
    printed = review.to_json()
    assert list(printed)[-1] == "reply_targets"
    assert printed["reply_targets"] == {"waits": 0, "within_target": 0, "share": None, "by_category": [],
                                        "by_person": []}


def test_no_targets_no_waits_counted(db_path) -> None:
    db = open_database(db_path, "x")
    try:
        targets.set_target(db, None, None, None, None)
        ticket_id = tickets.create(db, "A", "hi", created_at="2026-12-02T09:00:00Z")
        _reply(db, ticket_id, "2026-12-03T09:00:00Z", "ann")
        assert reply_targets(db, DECEMBER).total.answered == 0
    finally:
        db.close()


def test_a_resolved_ticket_is_not_a_missed_wait(db: Database) -> None:
    business_hours.save(db, business_hours.always())
    targets.set_target(db, None, None, 60, 60)
    ticket_id = tickets.create(db, "A", "hi", created_at="2026-12-02T09:00:00Z")
    tickets.add_message(db, ticket_id, "out", "Done", author="ann", at="2026-12-02T09:30:00Z")
    tickets.add_message(db, ticket_id, "in", "ok", at="2026-12-02T10:00:00Z")  # the customer's last word
    assert reply_targets(db, DECEMBER, now="2026-12-09T00:00:00Z").total.answered == 2, "open: missed"
    tickets.update(db, ticket_id, tickets.get(db, ticket_id).version, status="resolved")
    found = reply_targets(db, DECEMBER, now="2026-12-09T00:00:00Z")
    assert (found.total.answered, found.total.within) == (1, 1)


def test_overlapping_open_spans_are_counted_as_business_hours_count_them(db: Database) -> None:
    """The Review skips walking the hours when the clock alone says a reply
    was within target (open time never exceeds the clock's) — only when no
    two spans of a day overlap: business_time_between counts an overlap
    twice, and the figure follows it."""
    overlapping = {day: (("09:00", "17:00"), ("10:00", "18:00")) for day in business_hours.DAYS}
    business_hours.save(db, business_hours.BusinessHours("UTC", overlapping))
    targets.set_target(db, None, None, 240, 240)
    ticket_id = tickets.create(db, "A", "hi", created_at="2026-12-07T11:00:00Z")
    _reply(db, ticket_id, "2026-12-07T14:00:00Z", "ann")  # 3 h on the clock, 6 h of (overlapping) open time
    found = reply_targets(db, DECEMBER, now="2026-12-09T00:00:00Z")
    assert (found.total.answered, found.total.within) == (1, 0)
