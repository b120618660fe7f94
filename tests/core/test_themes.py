"""Themes inside a category, on databases built by hand with planted
causes (and on the demo data, whose causes are planted in core/demo/texts.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import amends.core.insights.words as tokenizer
import pytest
from amends.core import demo, proposals, rules, tickets
from amends.core.demo import texts
from amends.core.insights import themes
from amends.core.insights.period import Period
from amends.core.insights.words import STOP_WORDS, normalised, words
from amends.core.workspace import open_database

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
FILLER = ("I am writing about my last delivery", "Not happy about this at all", "Could you look into it",
          "This is the second time I write", "Please sort this out soon")


def plant(db, category, subject, body, n, month="2026-02", start=0):
    ids = []
    for i in range(n):
        day = 1 + (start + i) % 27
        ids.append(tickets.create(db, subject, f"Hello,\n{body}. {FILLER[i % len(FILLER)]}.\nThanks, Ada",
                                  category=category, created_at=f"{month}-{day:02d}T10:00:00Z"))
    return ids


@pytest.fixture
def planted(db):
    """product_quality: 12 dusty tea, 9 coarse grind, 6 no phrase in common;
    damaged_shipment: 10 soaked cartons, 5 others; background in the other categories."""
    dusty = plant(db, "product_quality", "Tea problem", "the tea leaves were mostly powder", 12)
    coarse = plant(db, "product_quality", "Coffee problem", "the grind is too coarse for my espresso machine", 9)
    plant(db, "product_quality", "Not good", "something about it was off", 6)
    soaked = plant(db, "damaged_shipment", "Parcel", "the outer carton was soaked through", 10)
    plant(db, "damaged_shipment", "Parcel", "it came like that", 5)
    plant(db, "late_delivery", "Late", "still waiting for it", 20)
    plant(db, "billing", "Charge", "I see a charge I do not understand", 20)
    plant(db, "product_quality", "Tea problem", "the tea leaves were mostly powder", 4, month="2025-11")
    return {"dusty": dusty, "coarse": coarse, "soaked": soaked}


def _find(found, category, phrase):
    hits = [t for t in found if t.category == category and phrase in t.phrases]
    assert hits, f"no theme with {phrase!r} in {category}: {[(t.category, t.phrases) for t in found]}"
    return hits[0]


def test_each_planted_theme_is_found_with_its_exact_counts(db, planted):
    found = themes.themes(db, Q1)
    dusty = _find(found, "product_quality", "tea leaves")
    assert (dusty.tickets, dusty.previous) == (12, 4)
    coarse = _find(found, "product_quality", "espresso machine")
    assert (coarse.tickets, coarse.previous) == (9, 0)
    soaked = _find(found, "damaged_shipment", "outer carton")
    assert soaked.tickets == 10
    assert themes.ticket_ids(db, Q1, "product_quality", dusty.phrases) == planted["dusty"]
    assert themes.ticket_ids(db, Q1, "damaged_shipment", soaked.phrases) == planted["soaked"]
    # the filler every category shares, the greetings and the category-wide words are no theme
    assert not any(t.category in ("late_delivery", "billing") for t in found)
    assert all(t.to_json() == {"category": t.category, "theme": t.theme, "tickets": t.tickets,
                               "previous": t.previous, "covered": t.covered} for t in found)


def test_no_theme_is_made_of_stop_words(db, planted):
    for theme in themes.themes(db, Q1):
        for phrase in theme.phrases:
            parts = words(phrase)
            assert parts[0] not in STOP_WORDS and parts[-1] not in STOP_WORDS, phrase
            assert any(w not in STOP_WORDS for w in parts)


def test_the_same_answer_every_time(db, planted):
    assert themes.themes(db, Q1) == themes.themes(db, Q1)


def test_a_rule_or_policy_that_names_the_theme_covers_it(db, planted):
    before = _find(themes.themes(db, Q1), "product_quality", "tea leaves")
    assert not before.covered
    saved = rules.add(db, themes.rule_for(before))
    assert saved.category == "product_quality" and '"tea leaves"' in saved.query
    after = _find(themes.themes(db, Q1), "product_quality", "tea leaves")
    assert after.covered and after.covered_by == f"rule {saved.name!r}"
    # a rule that only names one broad word of it covers nothing
    rules.add(db, rules.Rule("Tea", "tea", category="product_quality"))
    coarse = _find(themes.themes(db, Q1), "product_quality", "espresso machine")
    assert not coarse.covered


def test_one_click_to_a_proposal_linked_to_the_theme_tickets(db, planted):
    dusty = _find(themes.themes(db, Q1), "product_quality", "tea leaves")
    proposal = proposals.get(db, themes.propose(db, dusty, Q1))
    assert proposal.category == "product_quality"
    assert proposal.ticket_ids == planted["dusty"]
    assert dusty.theme in proposal.text


def test_merged_tickets_and_other_periods_are_not_counted(db, planted):
    from amends.core import merges

    merges.merge(db, planted["dusty"][0], planted["dusty"][1])
    dusty = _find(themes.themes(db, Q1), "product_quality", "tea leaves")
    assert dusty.tickets == 11


def test_period_edges(db):
    plant(db, "product_quality", "Tea", "the tea leaves were mostly powder", 6, month="2026-03", start=30)
    tickets.create(db, "Tea", "the tea leaves were mostly powder", category="product_quality",
                   created_at="2026-04-01T00:00:00Z")   # the day after the period
    tickets.create(db, "Tea", "the tea leaves were mostly powder", category="product_quality",
                   created_at="2025-12-31T23:59:59Z")   # the previous period's last second
    plant(db, "product_quality", "Not good", "something about it was off", 6)
    plant(db, "billing", "Charge", "I see a charge I do not understand", 10)
    found = _find(themes.themes(db, Q1), "product_quality", "tea leaves")
    assert (found.tickets, found.previous) == (6, 1)


def test_an_empty_database_has_no_themes(db):
    assert themes.themes(db, Q1) == []


def test_phrases_never_run_across_a_sentence(db):
    assert " carton | order " in normalised("the carton. Order for Ada")


def test_every_planted_demo_cause_is_found(tmp_path):
    """The demo plants one cause per subject (texts.CAUSES): each is found
    as a theme of its category, named by a phrase of its subject or cause."""
    db = open_database(tmp_path / "demo.db", "tester")
    try:
        demo.generate(db, 4000, seed=3, now=datetime(2026, 11, 1, tzinfo=UTC))
        found = themes.themes(db, Period(date(2026, 4, 1), date(2026, 9, 30)))
        for category, subjects in texts.SUBJECTS.items():
            mine = [t for t in found if t.category == category]
            for subject, cause in zip(subjects, texts.CAUSES[category], strict=True):
                said = normalised(subject) + normalised(cause)
                assert any(any(f" {p} " in said for p in t.phrases) for t in mine), (category, cause)
    finally:
        db.close()


def test_the_review_drill_down_gives_the_theme_tickets(db, planted):
    from amends.core.insights.drill import Drill
    from amends.core.insights.drill import ticket_ids as drill

    dusty = _find(themes.themes(db, Q1), "product_quality", "tea leaves")
    assert drill(db, Drill("theme", Q1, category="product_quality", theme=dusty.phrases)) == planted["dusty"]


def test_big_categories_are_counted_on_a_fixed_sample_and_say_so(db):
    """Above count_sample tickets a category's counts are estimated from the
    tickets whose id is a multiple of k, scaled; the drill-down stays exact."""
    dusty = plant(db, "product_quality", "Tea", "the tea leaves were mostly powder", 90)
    plant(db, "product_quality", "Not good", "something about it was off", 210)
    plant(db, "billing", "Charge", "I see a charge I do not understand", 30)
    exact = _find(themes.themes(db, Q1), "product_quality", "tea leaves")
    assert (exact.tickets, exact.estimated) == (90, False)
    sampled = _find(themes.themes(db, Q1, count_sample=60), "product_quality", "tea leaves")
    assert sampled.estimated and abs(sampled.tickets - 90) <= 20
    assert themes.ticket_ids(db, Q1, "product_quality", sampled.phrases) == dusty
    assert sampled == _find(themes.themes(db, Q1, count_sample=60), "product_quality", "tea leaves")


def test_a_counted_ticket_is_not_tokenized_by_itself(db, monkeypatch):
    """The count normalises a category's texts together: a text is
    tokenized by itself only for the discovery sample (once: subject and
    message as one text), never again to be counted; before, every counted
    text was normalised one by one (subject and message apart) after the
    sample's had been split into phrases (apart again)."""
    for day in range(1, 29):
        quality = "the tea leaves were mostly powder" if day % 2 else "the grind is too coarse for espresso"
        for category, body in (("product_quality", quality), ("billing", "a charge I do not understand")):
            tickets.create(db, "Problem", f"Hello. {body}. Thanks", category=category,
                           created_at=f"2026-02-{day:02d}T10:00:00Z")
            tickets.create(db, "Problem", f"Hello. {body}. Thanks", category=category,
                           created_at=f"2026-01-{day:02d}T10:00:00Z")
    calls = {"n": 0}
    if hasattr(tokenizer, "split"):  # every tokenization ends in tokenizer.split
        split = tokenizer.split

        def counted(mapped: bytes) -> list[str]:
            calls["n"] += 1
            return split(mapped)

        monkeypatch.setattr(tokenizer, "split", counted)
        monkeypatch.setattr(themes, "split", counted, raising=False)
    else:  # before: every tokenization was tokenizer._tokens
        tokens = tokenizer._tokens

        def counted_tokens(text: str) -> list[str]:
            calls["n"] += 1
            return tokens(text)

        monkeypatch.setattr(tokenizer, "_tokens", counted_tokens)
    found = themes.themes(db, Period(date(2026, 2, 1), date(2026, 2, 28)))
    tokenized = calls["n"]
    assert any("tea leaves" in t.phrases and t.tickets == 14 for t in found), found
    sampled = 2 * 28  # the period's tickets of both categories: all of them are the discovery sample
    coverage = len(themes._coverage(db))  # rules and policies, normalised to test "covered"
    assert tokenized <= sampled + coverage, (tokenized, sampled, coverage)



def test_each_text_is_lowered_by_itself_before_the_texts_are_joined():
    """THEMES3 (issue 16): the count's one string is lower-cased text by
    text: one Greek, CJK or accented letter anywhere made str.lower of the
    whole joined string (and every replace after it) take the slow path for
    every character of a few thousand tickets; each text by itself keeps
    the slow path to the few texts that have one. The tokens stay those
    words.py gives each text."""
    from amends.core.insights import theme_count

    lowered: list[str] = []

    class Text(str):
        def lower(self) -> str:
            lowered.append(str(self))
            return super().lower()

    plain = ["Tea was DUSTY", "ΟΔΟΣ ΣΑΣ. café", "Don't 'quote' me", "a\x00b", ""]
    text = theme_count.normalised_all([Text(t) for t in plain])
    assert lowered == plain
    assert text.split(theme_count.SEPARATOR) == [theme_count.normalised_all([t]) for t in
                                                 ["Tea was DUSTY", "ΟΔΟΣ ΣΑΣ. café", "Don't 'quote' me", "a b", ""]]
