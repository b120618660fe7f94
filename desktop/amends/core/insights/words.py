"""Words as the theme finder sees them: one tokenizer and one stop-word
list, so that the phrases it finds, the tickets it counts and the rules it
checks for "covered" all split text the same way."""

from __future__ import annotations

import re

#: A word: letters (any script), with an inner apostrophe ("hasn't").
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

#: Words that make no theme on their own and may not start or end one:
#: English function words plus what every support mail says (greetings,
#: closings, "please"). A phrase may have them inside ("grind too coarse",
#: "tea was dusty"). Words every category of *this* store uses ("order",
#: "box") need no list: the comparison with the other categories drops them.
_STOP_TEXT = """
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
each few for from further had hadn't has hasn't have haven't having he her here hers herself him himself
his how i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most mustn't my
myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she
should shouldn't so some such than that that's the their theirs them themselves then there there's these
they they'd they'll they're they've this those through to too under until up very was wasn't we we'd
we'll we're we've were weren't what what's when where which while who whom why will with won't would
wouldn't you you'd you'll you're you've your yours yourself yourselves also still again really yet get
got one two im ive dont cant thats
hi hello hey dear good morning afternoon evening thanks thank thx cheers regards best kind sincerely
please pls team support help hope wish let know would like want could
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

#: Where a phrase ends: sentence and clause punctuation, line breaks.
BREAK = re.compile(r"[.!?;:,()\[\]\"\n\r\t|/]+")

#: The most words a theme's phrase has.
MAX_WORDS = 3


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (typographic apostrophes made plain)."""
    return [w.replace("’", "'") for w in WORD.findall(text.lower())]


def normalised(text: str) -> str:
    """`` word word | word `` with single spaces, a bar where a sentence or
    clause ends and a space at each end: a phrase occurs in a text when
    ``f" {phrase} "`` is in this (never across a full stop)."""
    return " " + " | ".join(" ".join(words(part)) for part in BREAK.split(text)) + " "


def text_phrases(text: str) -> set[str]:
    """The phrases of each sentence or clause of ``text``."""
    found: set[str] = set()
    for part in BREAK.split(text):
        found |= phrases(words(part))
    return found


def phrases(tokens: list[str]) -> set[str]:
    """Every 1- to 3-word phrase of ``tokens`` that neither starts nor ends
    with a stop word (so no phrase is made of stop words only)."""
    found: set[str] = set()
    n = len(tokens)
    for i, first in enumerate(tokens):
        if first in STOP_WORDS or len(first) < 3:
            continue
        found.add(first)
        for length in range(2, MAX_WORDS + 1):
            if i + length > n:
                break
            last = tokens[i + length - 1]
            if last not in STOP_WORDS and len(last) >= 3:
                found.add(" ".join(tokens[i:i + length]))
    return found


def mentions(text: str, phrase: str) -> bool:
    """Whether ``text`` contains ``phrase`` as whole words."""
    return f" {phrase} " in normalised(text)
