"""Themes found and counted fast (P16THEMES: issue 16, themes at a million
tickets) are exactly the themes of the old per-text code, kept in
tests/core/themes_oracle.py: the same words, phrases, counts and themes over
random texts (odd punctuation, apostrophes, Unicode spaces and case, the
separator character itself) and over random stores (both backends).
tests/core/test_themes.py checks that a counted ticket's text is no longer
tokenized by itself."""

from __future__ import annotations

from datetime import date, timedelta

from amends.core import tickets
from amends.core.insights import theme_count, themes, words
from amends.core.insights.period import Period
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core import themes_oracle as oracle

VOCAB = ("tea", "Tea", "TEA", "dusty", "was", "the", "beans", "split", "open", "jar", "broken", "don't", "'tea'",
         "o'brien", "café", "CAFÉ", "ΣΑΣ", "ΟΔΟΣ", "naïve", "İstanbul", "i'm", "''", "'", "thanks", "box")
SEPARATORS = (" ", "  ", ", ", ". ", "|", " | ", "\n", "\t", "\x00", "\u2003", "\u00a0", "\u3000", "\x85", "’",
              "‘", "“", "—", "–", "…", "-", "1", "'", " ' ", "\x0b", "\x1c", "/")
PIECE = st.one_of(st.sampled_from(VOCAB), st.sampled_from(SEPARATORS), st.text(max_size=3))
TEXT = st.lists(PIECE, max_size=30).map("".join)
PAIR = st.tuples(TEXT, st.one_of(st.none(), TEXT))


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(TEXT, max_size=8))
def test_texts_normalised_together_have_each_text_s_own_tokens(texts):
    """One pass over all texts gives, text by text, the tokens words.py gives each."""
    tokens = theme_count.normalised_all(texts).split()
    each: list[list[str]] = [[]]
    for token in tokens:
        if token == theme_count.SEPARATOR:
            each.append([])
        else:
            each[-1].append(token)
    assert each == [oracle._tokens(t) for t in texts] or (not texts and each == [[]])


@settings(max_examples=400, deadline=None)
@given(subject=TEXT, body=st.one_of(st.none(), TEXT))
def test_words_and_phrases_are_the_old_ones(subject, body):
    """The tokenizer split in two, the phrases of a whole text at once, and
    subject and message tokenized as one text: all as before."""
    for text in (subject, body or ""):
        assert words._tokens(text) == oracle._tokens(text)
        assert words.normalised(text) == oracle.normalised(text)
        assert words.text_phrases(text) == oracle.text_phrases(text)
    joined = words.split(words.plain(themes._joined(subject, body)))
    assert words.token_phrases(joined) == oracle.text_phrases(subject) | oracle.text_phrases(body or "")


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(PAIR, max_size=12), data=st.data())
def test_theme_counts_are_the_old_ones(texts, data):
    """Any themes made of the texts' phrases (and phrases none has) count the same tickets."""
    found = sorted(set().union(*(oracle.text_phrases(s) | oracle.text_phrases(b or "") for s, b in texts)))
    phrase = st.sampled_from(found) if found else st.sampled_from(("tea", "dusty tea"))
    phrase = st.one_of(phrase, st.sampled_from(("tea was dusty", "broken jar", "naïve", "o'brien")))
    groups = data.draw(st.lists(st.lists(phrase, min_size=1, max_size=4).map(tuple), max_size=6))
    assert themes._count(texts, groups) == oracle._count(texts, groups)


STORE_WORDS = ("tea", "dusty", "leaves", "powder", "grind", "coarse", "carton", "soaked", "late", "charge", "the",
               "was", "my", "box", "jar", "broken", "don't", "café")
CATEGORY = st.sampled_from(("product_quality", "damaged_shipment", "billing"))
SENTENCE = st.lists(st.sampled_from(STORE_WORDS), min_size=1, max_size=6).map(" ".join)
TICKET = st.tuples(CATEGORY, SENTENCE, st.lists(SENTENCE, min_size=1, max_size=3).map(". ".join),
                   st.integers(0, 59))
FIRST = date(2026, 1, 1)
PERIOD = Period(date(2026, 1, 31), date(2026, 3, 1))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(new=st.lists(TICKET, min_size=1, max_size=25), count_sample=st.sampled_from((5, 20, 2000)),
       min_tickets=st.integers(1, 3))
def test_themes_are_the_old_themes(db, new, count_sample, min_tickets):
    """Whatever the store holds (it grows over the examples), the themes of a
    period and their counts (exact and sampled) are the old code's."""
    for category, subject, body, day in new:
        at = FIRST + timedelta(days=day)
        tickets.create(db, subject, body, category=category, created_at=f"{at.isoformat()}T10:00:00Z")
    got = themes.themes(db, PERIOD, min_tickets=min_tickets, count_sample=count_sample)
    assert got == oracle.themes(db, PERIOD, min_tickets=min_tickets, count_sample=count_sample)
