"""OR in the search language: ``a OR b`` matches either; OR binds tighter
than the space between terms (``box crushed OR late`` = box AND (crushed OR
late)), as in the big mail searches. Lower-case ``or`` stays a word."""

from __future__ import annotations

import pytest
from amends.core import query_syntax, tickets

from tests.conftest import make_customer, make_ticket


def found(db, text: str) -> set[int]:
    rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text=text), limit=1000)
    return {r.id for r in rows}


@pytest.fixture
def world(db):
    ada = make_customer(db, started_at="2026-01-01T00:00:00Z", email="ada@example.com")
    return {
        "crushed": make_ticket(db, ada, "damaged_shipment", "2026-01-10T00:00:00Z", "Box crushed", "beans everywhere"),
        "broken": make_ticket(db, None, "other", "2026-01-11T00:00:00Z", "Jar broken", "glass in the box"),
        "late": make_ticket(db, None, "late_delivery", "2026-03-10T00:00:00Z", "Late box", "still waiting"),
        "billing": make_ticket(db, None, "billing", "2026-02-10T00:00:00Z", "Charged twice", "refund or credit"),
    }


def test_or_between_words_and_phrases(db, world):
    assert found(db, "crushed OR broken") == {world["crushed"], world["broken"]}
    assert found(db, "crushed OR broken OR twice") == {world["crushed"], world["broken"], world["billing"]}
    assert found(db, '"still waiting" OR crushed') == {world["late"], world["crushed"]}


def test_or_binds_tighter_than_and(db, world):
    assert found(db, "box crushed OR late") == {world["crushed"], world["late"]}
    assert found(db, "crushed OR broken -glass") == {world["crushed"]}
    assert found(db, "crushed OR broken category:other") == {world["broken"]}


def test_or_between_fields_and_words(db, world):
    assert found(db, "category:billing OR crushed") == {world["billing"], world["crushed"]}
    assert found(db, "from:ada OR -box") == {world["crushed"], world["billing"]}
    assert found(db, "category:late_delivery OR category:billing") == {world["late"], world["billing"]}


def test_lower_case_or_is_a_word(db, world):
    assert found(db, "refund or credit") == {world["billing"]}


def test_or_text_is_never_fts_syntax(db, world):
    """Words in an OR group are quoted: FTS operators typed by the person are plain words."""
    # "NEAR(crushed" is the phrase "near crushed" (no ticket has it); "box*" the word box
    assert found(db, 'NEAR(crushed OR "box*")') == {world["crushed"], world["broken"], world["late"]}
    assert found(db, 'crushed OR "AND"') == {world["crushed"]}
    assert found(db, "crushed OR ')\"x'") == {world["crushed"]}


@pytest.mark.parametrize("text", ["OR crushed", "crushed OR", "crushed OR OR broken"])
def test_a_strict_parse_needs_a_term_on_each_side_of_or(text):
    problems = query_syntax.parse(text, "me", strict=True).problems
    assert [p.reason for p in problems] == ["OR needs a term on each side (a OR b)"]


@pytest.mark.parametrize("text, words", [("OR crushed", [("OR", False), ("crushed", False)]),
                                         ("crushed OR", [("crushed", False), ("OR", False)])])
def test_while_typing_a_lone_or_is_the_word(text, words):
    parsed = query_syntax.parse(text, "me")
    assert not parsed.problems and parsed.words == words


def test_a_lone_or_in_the_inbox_searches_for_the_word(db, world):
    assert found(db, "refund OR") == {world["billing"]}, "'refund or credit' has the word"


def test_parse_groups_or_terms():
    parsed = query_syntax.parse("a OR b c", "me")
    assert parsed.words == [("c", False)]
    assert len(parsed.conditions) == 1 and " OR " in parsed.conditions[0][0]
