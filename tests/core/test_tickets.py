"""Tickets: billing cycles, keyset paging, filters, search, conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from amends.core import clock, customers, query_syntax, tickets
from amends.core.errors import ConflictError, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ACTOR, make_customer, make_ticket

UTC = UTC


@pytest.mark.parametrize("days, cycle", [(-3, 1), (0, 1), (29.9, 1), (30, 2), (45, 2), (61, 3)])
def test_billing_cycle_counts_whole_cycles(days, cycle):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    from datetime import timedelta

    assert customers.billing_cycle(start, 30, start + timedelta(days=days)) == cycle


def test_ticket_records_the_cycle_it_was_opened_in(db):
    customer = make_customer(db, started_at="2026-01-01T00:00:00Z", cycle_days=30)
    first = make_ticket(db, customer, created_at="2026-01-20T00:00:00Z")
    third = make_ticket(db, customer, created_at="2026-03-05T00:00:00Z")
    nobody = make_ticket(db, None)
    assert tickets.get(db, first).billing_cycle == 1
    assert tickets.get(db, third).billing_cycle == 3
    assert tickets.get(db, nobody).billing_cycle is None


def _many(db, count: int) -> list[int]:
    ids = []
    categories = ["damaged_shipment", "billing", "late_delivery"]
    for i in range(count):
        at = clock.to_iso(datetime(2026, 1, 1, tzinfo=UTC).replace(hour=i % 24, minute=i % 60))
        ticket_id = tickets.create(db, f"Ticket {i}", f"body {i}", category=categories[i % 3],
                                   priority=i % 4, created_at=at,
                                   assignee=[None, ACTOR, "someone else"][i % 3])
        ids.append(ticket_id)
    return ids


def _all_pages(db, query, limit=17):
    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = tickets.page(db, query, cursor, limit)
        seen.extend(rows)
        pages += 1
        if cursor is None:
            return seen, pages


@pytest.mark.parametrize("sort", list(tickets.SORTS))
def test_keyset_pages_cover_every_ticket_once_in_order(db, sort):
    ids = _many(db, 120)
    rows, pages = _all_pages(db, tickets.InboxQuery(status="all", sort=sort))
    assert sorted(r.id for r in rows) == sorted(ids)
    assert len({r.id for r in rows}) == len(rows)
    assert pages >= 120 // 17
    key = {"updated": lambda r: (r.updated_at, r.id), "created": lambda r: (r.created_at, r.id),
           "priority": lambda r: (r.priority, r.updated_at, r.id),
           "waiting": lambda r: (r.waiting_since or "~", r.id)}[sort]
    assert [key(r) for r in rows] == sorted((key(r) for r in rows), reverse=sort not in tickets.ASCENDING)


def test_filters(db):
    _many(db, 60)
    rows, _ = _all_pages(db, tickets.InboxQuery(status="all", category="billing"))
    assert len(rows) == 20 and {r.category for r in rows} == {"billing"}
    mine, _ = _all_pages(db, tickets.InboxQuery(status="all", assignee="me"))
    assert len(mine) == 20 and {r.assignee for r in mine} == {ACTOR}
    nobody, _ = _all_pages(db, tickets.InboxQuery(status="all", assignee=tickets.UNASSIGNED))
    assert len(nobody) == 20 and {r.assignee for r in nobody} == {None}
    one = nobody[0]
    tickets.update(db, one.id, 1, status="resolved")
    active, _ = _all_pages(db, tickets.InboxQuery(status="active"))
    assert one.id not in {r.id for r in active} and len(active) == 59
    resolved, _ = _all_pages(db, tickets.InboxQuery(status="resolved"))
    assert [r.id for r in resolved] == [one.id]


def test_bad_query_is_explained():
    with pytest.raises(ValidationError, match="category"):
        tickets.InboxQuery(category="nonsense").validated()


def test_search_finds_subjects_and_later_messages_newest_first(db):
    old = make_ticket(db, subject="Beans spilled", body="bag split open")
    new = make_ticket(db, subject="Late box", body="still waiting")
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text="spilled"))
    assert [r.id for r in rows] == [old]
    tickets.add_message(db, new, "note", "carrier says the beans spilled too")
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text="spilled"))
    assert [r.id for r in rows] == [new, old]
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text='"split open"'))
    assert [r.id for r in rows] == [old]
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text="wait"))  # prefix while typing
    assert [r.id for r in rows] == [new]
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text="spilled waiting"))  # every word
    assert [r.id for r in rows] == [new]


@pytest.mark.parametrize("text", ['"', 'AND', 'OR NOT', 'NEAR(a b)', '*', 'subject:beans', '-beans', '^x',
                                  '"unclosed phrase', "a'b", "(", "beans AND", "\x00", "🙂 ☕"])
def test_search_syntax_in_user_text_is_never_interpreted(db, text):
    make_ticket(db, subject="beans AND NOT tea", body="x")
    try:
        tickets.page(db, tickets.InboxQuery(status="all", text=text))
    except ValidationError as error:  # a mistake in the search language, explained
        assert error.problems and all(reason for _, reason in error.problems)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(text=st.text())
def test_any_search_text_is_safe(db, text):
    try:
        tickets.page(db, tickets.InboxQuery(status="all", text=text), limit=5)
    except ValidationError as error:  # explained, never an SQL or FTS error
        assert error.problems
    query = query_syntax.fts_expression(query_syntax.parse(text, "").words, prefix_last=True)
    assert query is None or query.count('"') % 2 == 0


def test_stale_edit_raises_conflict_and_writes_nothing(db):
    ticket_id = make_ticket(db)
    other = db.reopen()
    other.actor = "bob@laptop"
    tickets.update(other, ticket_id, 1, priority=3, assignee="bob@laptop")
    with pytest.raises(ConflictError) as caught:
        tickets.update(db, ticket_id, 1, priority=0)
    assert caught.value.by == "bob@laptop"
    assert {c.field: c.theirs for c in caught.value.changes} == {"priority": 3, "assignee": "bob@laptop"}
    fresh = tickets.get(db, ticket_id)
    assert (fresh.priority, fresh.version) == (3, 2)
    other.close()


def test_edits_are_validated_and_audited(db):
    ticket_id = make_ticket(db)
    with pytest.raises(ValidationError, match="status"):
        tickets.update(db, ticket_id, 1, status="closed")
    with pytest.raises(ValidationError, match="cannot be edited"):
        tickets.update(db, ticket_id, 1, version=9)
    assert tickets.update(db, ticket_id, 1, category="billing") == 2
    entry = db.one("SELECT * FROM audit_log WHERE entity = 'ticket' AND action = 'update'")
    assert entry["actor"] == ACTOR and '"billing"' in entry["change"] and '"damaged_shipment"' in entry["change"]


def test_messages_are_stored_in_order(db):
    ticket_id = make_ticket(db, body="first")
    tickets.add_message(db, ticket_id, "out", "second")
    tickets.add_message(db, ticket_id, "note", "third")
    assert [(m.direction, m.body) for m in tickets.get(db, ticket_id).messages] == [
        ("in", "first"), ("out", "second"), ("note", "third")]
    with pytest.raises(ValidationError):
        tickets.add_message(db, ticket_id, "out", "   ")


def test_assignees_lists_each_name_once(db):
    _many(db, 9)
    assert tickets.assignees(db) == sorted([ACTOR, "someone else"])


def test_rows_reads_many_inbox_lines_by_id_as_row_does(demo_db):
    """The inbox model reads a block of lines back by id in one query."""
    ids = [r.id for r in tickets.page(demo_db, tickets.InboxQuery(status="all"), None, 30)[0]]
    found = tickets.rows(demo_db, [*ids, 999_999])
    assert sorted(found) == sorted(ids)  # a missing id is simply absent
    assert all(found[i] == tickets.row(demo_db, i) for i in ids)


def test_read_messages_are_the_same_frozen_messages(db):
    """Messages are made without their __init__ for speed (issue 16): still
    equal to ones made the usual way, frozen, and replaceable."""
    import dataclasses

    ticket_id = tickets.create(db, "Box", "It arrived crushed", created_at="2026-01-05T10:00:00Z")
    read = tickets.messages(db, ticket_id)[0]
    made = tickets.Message(read.id, ticket_id, "in", read.author, "2026-01-05T10:00:00Z", "It arrived crushed")
    assert read == made and hash(read) == hash(made) and repr(read) == repr(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.body = "changed"  # type: ignore[misc]
    assert dataclasses.replace(read, body="shown").body == "shown"
