"""Category suggestions for tickets no rule sorted: learnt from the
database's own categorised tickets, never applied by themselves."""

from __future__ import annotations

import pytest
from amends.core import audit, suggestions, tickets
from amends.core.errors import ConflictError

from tests.conftest import make_ticket


@pytest.fixture
def taught(db):
    """A few categorised tickets of two kinds."""
    for n in range(6):
        make_ticket(db, None, "damaged_shipment", f"2026-01-0{n + 1}T00:00:00Z", "Parcel arrived",
                    f"the jar inside was shattered, glass everywhere {n}")
        make_ticket(db, None, "billing", f"2026-01-0{n + 1}T00:00:00Z", "My card",
                    f"my card shows a second payment this month {n}")
    return db


def test_a_ticket_in_other_gets_the_category_its_words_point_to(taught):
    db = taught
    ticket = make_ticket(db, None, "other", "2026-02-01T00:00:00Z", "Help", "Shattered jar, glass on the floor")
    found = suggestions.suggest(db, ticket, suggestions.model_for(db, fresh=True))
    assert found is not None and found.category == "damaged_shipment" and found.confidence >= 0.6
    assert set(found.because) <= {"shattered", "jar", "glass", "floor", "help"} and "shattered" in found.because
    assert tickets.get(db, ticket).category == "other", "a suggestion is never applied by itself"


def test_no_suggestion_without_enough_to_go_on(taught, db):
    model = suggestions.model_for(db, fresh=True)
    vague = make_ticket(db, None, "other", "2026-02-01T00:00:00Z", "Hello", "Quick question about Norway")
    assert suggestions.suggest(db, vague, model) is None, "no words the model knows: no guess"
    sorted_already = make_ticket(db, None, "billing", "2026-02-01T00:00:00Z", "Card", "second payment")
    assert suggestions.suggest(db, sorted_already, model) is None, "only tickets still in other"


def test_an_empty_database_suggests_nothing(db):
    ticket = make_ticket(db, None, "other", "2026-02-01T00:00:00Z", "Box crushed", "crushed crushed")
    assert suggestions.suggest(db, ticket, suggestions.model_for(db, fresh=True)) is None


def test_accepting_sets_the_category_once_and_audits_it(taught):
    db = taught
    ticket = make_ticket(db, None, "other", "2026-02-01T00:00:00Z", "Card", "a second payment on my card")
    found = suggestions.suggest(db, ticket, suggestions.model_for(db, fresh=True))
    assert found is not None and found.category == "billing"
    suggestions.accept(db, found, tickets.get(db, ticket).version)
    assert tickets.get(db, ticket).category == "billing"
    actions = [e.action for e in audit.for_entity(db, "ticket", ticket)]
    assert "suggestion_accepted" in actions
    with pytest.raises(ConflictError):
        suggestions.accept(db, found, 1)  # a stale version: someone changed it meanwhile


def test_the_model_is_cached_and_rebuilt_when_tickets_change(taught):
    db = taught
    first = suggestions.model_for(db, fresh=True)
    assert suggestions.model_for(db) is first
    make_ticket(db, None, "billing", "2026-02-01T00:00:00Z", "Invoice", "invoice wrong")
    first.built_at -= suggestions.REFRESH_SECONDS + 1
    assert suggestions.model_for(db) is not first


def test_quoted_reply_lines_and_common_words_are_not_features():
    assert suggestions.words("The box is CRUSHED!\n> old: refund please\nthanks") == {"box", "crushed"}
