"""The search language: fields, negation, phrases; mistakes explained."""

from __future__ import annotations

import pytest
from amends.core import customers, resolution, tickets
from amends.core.errors import ValidationError

from tests.conftest import ACTOR, make_customer, make_ticket


def found(db, text: str) -> set[int]:
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text=text), limit=1000)
    return {r.id for r in rows}


@pytest.fixture
def world(db):
    ada = make_customer(db, started_at="2026-01-01T00:00:00Z", email="ada@example.com")
    bo = customers.create(db, "bo@shop.example", "Bo Lindqvist", plan="Tea", started_at="2025-01-01T00:00:00Z")
    t = {
        "crushed": make_ticket(db, ada, "damaged_shipment", "2026-01-10T00:00:00Z", "Box crushed", "beans everywhere"),
        "late": make_ticket(db, bo, "late_delivery", "2026-03-10T00:00:00Z", "Late box", "still waiting"),
        "billing": make_ticket(db, None, "billing", "2026-02-10T00:00:00Z", "Charged twice", "refund please"),
    }
    tickets.update(db, t["late"], 1, assignee=ACTOR)
    checklist = resolution.checklist_for(db, t["billing"])
    resolution.resolve(db, t["billing"], checklist.policy.id,
                       [resolution.StepOutcome(i, True) for i in range(len(checklist.steps))])
    return t


def test_fields_words_and_negation(db, world):
    assert found(db, "box") == {world["crushed"], world["late"]}
    assert found(db, "box -crushed") == {world["late"]}
    assert found(db, 'box -"still waiting"') == {world["crushed"]}
    assert found(db, "status:resolved") == {world["billing"]}
    assert found(db, "status:active category:damaged_shipment") == {world["crushed"]}
    assert found(db, "category:Late_or_lost_delivery") == {world["late"]}
    assert found(db, "assignee:me") == {world["late"]}
    assert found(db, "assignee:none -status:resolved") == {world["crushed"]}
    assert found(db, "from:shop.example") == {world["late"]}
    assert found(db, 'from:"Ada"') == {world["crushed"]}
    assert found(db, "cycle:1") == {world["crushed"]}
    assert found(db, "cycle:>10") == {world["late"]}
    assert found(db, "after:2026-02-01 before:2026-03-01") == {world["billing"]}
    assert found(db, "-category:billing box") == {world["crushed"], world["late"]}
    assert found(db, "from:%") == set(), "LIKE wildcards in the person's text are literal"


def test_policy_none_finds_resolutions_without_a_policy(db, world):
    assert found(db, "policy:none") == set()
    tickets.update(db, world["crushed"], tickets.get(db, world["crushed"]).version, status="pending")
    db.conn.execute("UPDATE resolutions SET policy_version_id = NULL")
    assert found(db, "policy:none") == {world["billing"]}
    assert found(db, "policy:Billing") == set()


@pytest.mark.parametrize("text, token, words", [
    ("status:closed", "status:closed", "status is one of"),
    ("colour:red box", "colour:red", "unknown field"),
    ("cycle:first", "cycle:first", "a cycle is a number"),
    ("before:yesterday", "before:yesterday", "YYYY-MM-DD"),
    ("tag:vip", "tag:vip", "no tag is called that"),
    ("is:sleeping", "is:sleeping", "is: is one of"),
    ("category:", "category:", "needs a value"),
])
def test_mistakes_are_explained(db, world, text, token, words):
    with pytest.raises(ValidationError) as caught:
        found(db, text)
    assert [(t, r) for t, r in caught.value.problems if t == token and words in r]


def test_the_word_being_typed_is_a_prefix_from_its_third_letter(db, world):
    from amends.core import query_syntax

    assert query_syntax.fts_expression([("re", False)], prefix_last=True) == '"re"'
    assert query_syntax.fts_expression([("ref", False)], prefix_last=True) == '"ref"*'
    assert query_syntax.fts_expression([("re", True)], prefix_last=True) == '"re"', "a phrase is never a prefix"
    assert found(db, "ref") == {world["billing"]}
    assert found(db, "re") == set(), "two letters: the word itself, not everything starting with it"
