"""Splitting a message (and what follows it) into a new ticket; undo, redo, links, audit."""

from __future__ import annotations

import pytest
from amends.core import split, tickets
from amends.core.errors import ValidationError
from amends.core.store import Database

from tests.conftest import make_customer


def _thread(db: Database) -> tuple[int, list[int]]:
    customer = make_customer(db)
    ticket_id = tickets.create(db, "Box crushed", "The box came crushed", customer_id=customer,
                               category="damaged_shipment", created_at="2026-12-01T08:00:00Z")
    ids = [tickets.messages(db, ticket_id)[0].id]
    ids.append(tickets.add_message(db, ticket_id, "out", "Sorry, a new one is coming", at="2026-12-01T09:00:00Z"))
    ids.append(tickets.add_message(db, ticket_id, "in", "Also: please change my address", at="2026-12-01T10:00:00Z"))
    ids.append(tickets.add_message(db, ticket_id, "in", "to 5 Elm Street", at="2026-12-01T10:05:00Z"))
    return ticket_id, ids


def _bodies(db: Database, ticket_id: int) -> list[str]:
    return [m.body for m in tickets.messages(db, ticket_id)]


def test_split_moves_the_message_and_what_follows(db: Database) -> None:
    source, ids = _thread(db)
    edit = split.split(db, ids[2], subject="Address change")
    new = tickets.get(db, edit.new_id)
    assert _bodies(db, edit.new_id) == ["Also: please change my address", "to 5 Elm Street"]
    assert _bodies(db, source) == ["The box came crushed", "Sorry, a new one is coming"]
    assert new.subject == "Address change" and new.customer_id == tickets.get(db, source).customer_id
    assert new.category == "damaged_shipment"
    assert split.links(db, source) == (None, [edit.new_id])
    assert split.links(db, edit.new_id) == (source, [])
    # Waiting follows the messages: the old ticket was answered, the new one waits since 10:00.
    assert tickets.row(db, source).waiting_since is None
    assert tickets.row(db, edit.new_id).waiting_since == "2026-12-01T10:00:00Z"
    # Search finds each message on its own ticket now.
    found, _ = tickets.page(db, tickets.InboxQuery(status="all", text="Elm"))
    assert [r.id for r in found] == [edit.new_id]
    actions = db.tuples("SELECT entity_id, action FROM audit_log WHERE action IN ('split', 'create') "
                        "AND entity_id = ? OR (action = 'split' AND entity_id = ?)", (edit.new_id, source))
    assert (source, "split") in actions and (edit.new_id, "create") in actions


def test_undo_joins_back_and_redo_splits_into_the_same_ticket(db: Database) -> None:
    source, ids = _thread(db)
    edit = split.split(db, ids[2])
    undone = edit.undo(db)
    assert _bodies(db, source)[-1] == "to 5 Elm Street" and len(_bodies(db, source)) == 4
    assert tickets.get(db, edit.new_id).merged_into == source
    assert split.links(db, source) == (None, [])
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all"))
    assert edit.new_id not in {r.id for r in rows}
    redone = undone.undo(db)
    assert redone.new_id == edit.new_id and not redone.undone
    assert _bodies(db, edit.new_id) == ["Also: please change my address", "to 5 Elm Street"]
    assert tickets.get(db, edit.new_id).merged_into is None
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'unsplit'") == 2


def test_the_first_message_cannot_be_split_off(db: Database) -> None:
    source, ids = _thread(db)
    before = db.scalar("SELECT count(*) FROM tickets")
    with pytest.raises(ValidationError, match="first message"):
        split.split(db, ids[0])
    assert db.scalar("SELECT count(*) FROM tickets") == before and len(_bodies(db, source)) == 4
