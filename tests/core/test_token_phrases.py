"""S16REVIEW: the theme finder reads thousands of texts a Review, so it splits
each text into words once (words.normalised) and makes its phrases from those
words (words.token_phrases) instead of splitting it again. The phrases must be
exactly what text_phrases gives, on any text: compared on random ones."""

from __future__ import annotations

from amends.core.insights import words
from hypothesis import given, settings
from hypothesis import strategies as st

#: Words, stop words, punctuation of both kinds, apostrophes, typographic marks, non-ASCII letters
#: (a final sigma lower-cases by its neighbours), digits and the batch's own separator.
_PIECES = st.sampled_from(["tea", "leaves", "the", "was", "powder", "I've", "'quoted'", "''", "'", " ", "  ", ".",
                           ",", "!", "|", "\n", "\t", "-", "—", "–", "’", "“", "”", "…", "\u00a0", "café", "ΟΔΟΣ",
                           "Σ", "İ", "ß", "42", "x", "ok", "\ue000", "\x01", "a", "b"])
_TEXT = st.lists(_PIECES, max_size=30).map("".join) | st.text(max_size=40)


@settings(max_examples=100, deadline=None)
@given(_TEXT, _TEXT)
def test_token_phrases_are_the_text_phrases(subject: str, body: str) -> None:
    joined = (words.normalised(subject) + "|" + words.normalised(body)).split()
    assert words.token_phrases(joined) == words.text_phrases(subject) | words.text_phrases(body)
