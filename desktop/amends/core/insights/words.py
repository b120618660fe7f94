"""Words as the theme finder sees them: one tokenizer and one stop-word
list, so that the phrases it finds, the tickets it counts and the rules it
checks for "covered" all split text the same way."""

from __future__ import annotations

#: Bytes that end a phrase (sentence and clause punctuation, line breaks)
#: and bytes that only separate words (spaces, other ASCII punctuation,
#: digits). Bytes of UTF-8 letters (0x80 and up) and ASCII letters stay, so
#: "café" is one word. A byte table: str.translate and regular expressions
#: are several times slower, and this runs on every ticket of a period.
_BREAKS = ".!?;:,()[]\"\n\r\t|/"
_TABLE = bytes(c if chr(c).isalpha() or c == ord("'") or c >= 0x80 else (ord("|") if chr(c) in _BREAKS else ord(" "))
               for c in range(256))
#: Unicode punctuation made plain first: typographic quotes and dashes.
_PLAIN = (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2013", " "), ("\u2014", " "),
          ("\u2026", "."), ("\u00a0", " "))

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

#: The most words a theme's phrase has (phrases() is written out for three).
MAX_WORDS = 3


def plain(text: str) -> bytes:
    """``text`` lower-case, typographic punctuation made plain and mapped
    through the byte table: every token of ``text`` is a run of this
    (apostrophes at its edges aside), so a word that is not a substring of
    it is no token of ``text`` (themes.py tests that before splitting)."""
    lowered = text.lower()
    if not lowered.isascii():
        for fancy, simple in _PLAIN:
            if fancy in lowered:
                lowered = lowered.replace(fancy, simple)
    return lowered.encode().translate(_TABLE)


def split(mapped: bytes) -> list[str]:
    """The tokens of a :func:`plain` text."""
    spaced = mapped.replace(b"|", b" | ").decode()
    if "'" not in spaced:
        return spaced.split()
    return [w.strip("'") or "|" for w in spaced.split()]


def _tokens(text: str) -> list[str]:
    """Lower-case words, with "|" where a phrase must end; apostrophes at
    a word's edges dropped ("'quoted'" is "quoted", "hasn't" stays).
    Token by token, so the tokens of ``a + "|" + b`` are those of ``a``,
    a bar, and those of ``b``."""
    return split(plain(text))


def words(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return [w for w in _tokens(text) if w != "|"]


def normalised(text: str) -> str:
    """`` word word | word `` with single spaces, a bar where a sentence or
    clause ends and a space at each end: a phrase occurs in a text when
    ``f" {phrase} "`` is in this (never across a full stop)."""
    return " " + " ".join(_tokens(text)) + " "


def text_phrases(text: str) -> set[str]:
    """The phrases of each sentence or clause of ``text``."""
    return token_phrases(_tokens(text))


def token_phrases(tokens: list[str]) -> set[str]:
    """The phrases of each run of ``tokens`` between bars: :func:`phrases`
    of every run at once (a bar is shorter than three letters, so no
    phrase starts or ends with one; a three-word phrase must not have one
    in the middle either)."""
    stop = STOP_WORDS
    edge = [len(t) >= 3 and t not in stop for t in tokens]
    found = {t for t, ok in zip(tokens, edge, strict=True) if ok}
    if len(tokens) > 1:
        found.update(f"{a} {b}" for a, b, ok_a, ok_b in zip(tokens, tokens[1:], edge, edge[1:]) if ok_a and ok_b)
    if len(tokens) > 2:
        found.update(f"{a} {b} {c}" for a, b, c, ok_a, ok_c in zip(tokens, tokens[1:], tokens[2:], edge, edge[2:])
                     if ok_a and ok_c and b != "|")
    return found


def phrases(tokens: list[str]) -> set[str]:
    """Every 1- to 3-word phrase of ``tokens`` that neither starts nor ends
    with a stop word (so no phrase is made of stop words only)."""
    found: set[str] = set()
    n = len(tokens)
    stop = STOP_WORDS
    for i, first in enumerate(tokens):
        if first in stop or len(first) < 3:
            continue
        found.add(first)
        if i + 1 < n:
            second = tokens[i + 1]
            if second not in stop and len(second) >= 3:
                found.add(f"{first} {second}")
            if i + 2 < n:
                last = tokens[i + 2]
                if last not in stop and len(last) >= 3:
                    found.add(f"{first} {second} {last}")
    return found


def mentions(text: str, phrase: str) -> bool:
    """Whether ``text`` contains ``phrase`` as whole words."""
    return f" {phrase} " in normalised(text)
