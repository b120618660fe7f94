"""Review: the share answered within the reply target, by category and person
(``amends insights --json`` key ``reply_targets``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from amends.core import business_hours, insights, targets, tickets
from amends.core.insights.period import Period
from amends.core.insights.reply_targets import reply_targets
from amends.core.store import Database
from amends.core.workspace import open_database
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- S16REVIEW: reply targets got faster (business hours cache each day, one tally per wait); the figures must
# stay those of the plain message-by-message replay, whatever the conversations look like.
def _replayed(db: Database, period: Period, now: str) -> dict:
    """The definition (the module's docstring), replayed message by message, with business time walked
    through BusinessHours: what any faster way of computing the figures must give."""
    from collections import defaultdict
    from datetime import timedelta

    from amends.core import clock

    reply = targets.load(db)
    counts: dict = defaultdict(lambda: [0, 0])
    as_of = min(now, period.end)
    rows = db.tuples("SELECT m.ticket_id, m.direction, m.created_at, m.author, m.flag, t.category, t.priority, "
                     "t.assignee, t.status FROM messages m JOIN tickets t ON t.id = m.ticket_id "
                     "WHERE m.direction IN ('in', 'out') AND t.merged_into IS NULL "
                     "ORDER BY m.ticket_id, m.created_at, m.id")
    by_ticket: dict = defaultdict(list)
    for row in rows:
        by_ticket[row[0]].append(row)
    for found in by_ticket.values():
        category, priority, assignee, status = found[0][5:9]
        waiting, replied = None, False
        for _, direction, at, author, flag, *_ in found:
            if direction == "in" and flag != "thanks":
                waiting = waiting or at
            elif direction == "out" and waiting is not None:
                minutes = reply.minutes(category, priority, not replied)
                if minutes is not None and period.start <= at < period.end:
                    met = reply.hours.business_time_between(clock.parse_iso(waiting), clock.parse_iso(at)) \
                        <= timedelta(minutes=minutes)
                    for key in ("", f"c{category}", f"p{author}"):
                        counts[key][0] += 1
                        counts[key][1] += met
                waiting, replied = None, True
            elif direction == "out":
                replied = True
        if waiting is not None and status != "resolved":
            due = reply.due_at(category, priority, waiting, "x" if replied else None)
            if due is not None and period.start <= due < period.end and due <= as_of:
                for key in ("", f"c{category}", f"p{assignee or '(unassigned)'}"):
                    counts[key][0] += 1
    return {key: tuple(n) for key, n in counts.items()}


def _figures(found) -> dict:
    result = {"": (found.total.answered, found.total.within)} if found.total.answered else {}
    result.update({f"c{s.key}": (s.answered, s.within) for s in found.by_category})
    result.update({f"p{s.key}": (s.answered, s.within) for s in found.by_person})
    return result


#: Minutes after 2026-11-29 00:00 (a Sunday): a few days before the period, into it, weekends and nights.
_MINUTES = st.sampled_from([0, 60 * 24 * 2 + 30, 60 * 24 * 3 + 9 * 60, 60 * 24 * 3 + 9 * 60]) | \
    st.integers(60 * 24 * 2, 60 * 24 * 20) | st.integers(0, 60 * 24 * 20)
_MESSAGE = st.tuples(st.integers(0, 3), st.sampled_from(["in", "in", "out", "note"]),
                     st.sampled_from([None, None, "thanks"]), _MINUTES,
                     st.sampled_from(["ann", "bob", None]))


@settings(max_examples=40, deadline=None)
@given(messages=st.lists(_MESSAGE, min_size=3, max_size=30), hours=st.sampled_from(["weekdays", "always", "overlap"]),
       statuses=st.lists(st.sampled_from(["open", "resolved"]), min_size=4, max_size=4),
       merged=st.booleans())
def test_the_figures_are_the_plain_replays(tmp_path_factory, messages, hours, statuses, merged) -> None:
    if "db" not in _ONE_FILE:  # one file for every example (opening a new one costs more than the example)
        _ONE_FILE["db"] = open_database(tmp_path_factory.mktemp("waits") / "waits.db", "t")
    db = _ONE_FILE["db"]
    db.conn.execute("DELETE FROM messages")
    db.conn.execute("DELETE FROM tickets")
    if True:
        business_hours.save(db, {"weekdays": business_hours.weekdays("09:00", "17:00", "Europe/Berlin"),
                                 "always": business_hours.always(),
                                 "overlap": business_hours.BusinessHours("UTC", {
                                     "mon": (("08:00", "12:00"), ("10:00", "14:00")), "sat": (("00:00", "24:00"),)}),
                                 }[hours])
        targets.set_target(db, None, None, 240, 120)
        targets.set_target(db, "billing", 3, 30, None)
        with db.transaction() as conn:  # raw rows, as any tool may write them (same times, odd orders)
            for n, status in enumerate(statuses):
                conn.execute("INSERT INTO tickets (id, subject, status, category, priority, assignee, created_at, "
                             "updated_at, merged_into) VALUES (?, 'S', ?, ?, ?, ?, '2026-11-29T00:00:00Z', "
                             "'2026-11-29T00:00:00Z', ?)",
                             (n + 1, status, ("billing", "other")[n % 2], 3 - n % 2, ("cy", None)[n // 2],
                              1 if merged and n == 3 else None))
            for ticket, direction, flag, minutes, author in messages:
                at = (datetime(2026, 11, 29, tzinfo=UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
                conn.execute("INSERT INTO messages (ticket_id, direction, body, author, flag, created_at) "
                             "VALUES (?, ?, 'b', ?, ?, ?)", (ticket + 1, direction, author or "", flag, at))
        now = "2026-12-20T00:00:00Z"
        replayed = _replayed(db, DECEMBER, now)
        _ONE_FILE["with waits"] = _ONE_FILE.get("with waits", 0) + bool(replayed)  # most examples have some
        assert _figures(reply_targets(db, DECEMBER, now=now)) == replayed


_ONE_FILE: dict = {}

