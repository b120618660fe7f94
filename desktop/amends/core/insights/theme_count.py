"""Counting themes over a few thousand tickets at once (P16THEMES).

themes.py counts, per category and period, the tickets whose text has one
of a theme's phrases as whole words (words.py's tokens: `` word word ``
in the normalised text). Normalising each text by itself costs a list of
tokens per ticket, and testing each phrase against each text a substring
search per pair: at a million tickets that was most of the Review's
themes. Here every text of the group is normalised in one pass over one
string (C-level str and bytes operations: the same steps as
words._tokens, which works token by token), tickets kept apart by a
separator token no phrase can contain, and each phrase is searched for
once along that string, a hit skipping to the next ticket. The result is
the same ticket for ticket (tests/core/test_themes_oracle.py checks it
against the old per-text code).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from amends.core.insights.words import _PLAIN, _TABLE

#: Between two tickets' texts: the byte table makes it a space inside a
#: text (so a text that has one loses nothing when it is made a space
#: first), and it is kept as a token of its own here.
SEPARATOR = "\x00"
_KEEP_SEPARATOR = SEPARATOR.encode() + _TABLE[1:]
#: Whitespace other than ASCII (the byte table makes ASCII's a space or a
#: bar), as UTF-8: str.split() splits on these too, so making them a space
#: splits the same. Looked for by their first byte (a memchr each, nearly
#: always in vain), then by their first two, before re replaces them.
_OTHER_SPACES = tuple(chr(c).encode() for c in range(0x80, sys.maxunicode + 1) if chr(c).isspace())
_OTHER_SPACE_STARTS = {lead: tuple(sorted({s[:2] for s in _OTHER_SPACES if s[:1] == lead}))
                       for lead in sorted({s[:1] for s in _OTHER_SPACES})}
_OTHER_SPACE = re.compile(b"|".join(re.escape(space) for space in _OTHER_SPACES))
#: words._tokens's ``w.strip("'") or "|"`` over a whole text whose tokens
#: are between single spaces (each pattern starts with a literal, so re
#: skips along quickly): a token of apostrophes only is a bar, then the
#: apostrophes at a token's start, then those at its end are dropped
#: (those inside a word, "hasn't", stay).
_QUOTES_ONLY = re.compile(b" '+(?= )")
_QUOTES_FIRST = re.compile(b" '+")
_QUOTES_LAST = re.compile(b"'+(?= )")


def normalised_all(texts: Sequence[str]) -> str:
    """`` tokens of text 0 \\x00 tokens of text 1 ... ``: each text's
    tokens between single spaces, as words.normalised gives them.

    Each text is lower-cased by itself (str.lower of a whole string with
    one Greek or CJK letter in it takes its slow path for every character;
    the separator is neither cased nor case-ignorable, so a final sigma
    lowers the same either way), and the spaces and apostrophes are
    handled in the UTF-8 bytes (ASCII, never part of a multi-byte letter)
    before the one decode: a str with such a letter is two or four bytes
    a character, its replace passes as much slower (THEMES3)."""
    lowered = [t.lower() for t in texts]
    raw = SEPARATOR.join(lowered)
    if raw.count(SEPARATOR) != max(0, len(texts) - 1):
        raw = SEPARATOR.join(t.replace(SEPARATOR, " ") for t in lowered)
    if not raw.isascii():
        for fancy, simple in _PLAIN:
            if fancy in raw:
                raw = raw.replace(fancy, simple)
    mapped = raw.encode().translate(_KEEP_SEPARATOR)
    if not mapped.isascii() and any(lead in mapped and any(start in mapped for start in starts)
                                    for lead, starts in _OTHER_SPACE_STARTS.items()):
        mapped = _OTHER_SPACE.sub(b" ", mapped)
    text = b" " + mapped.replace(b"|", b" | ").replace(SEPARATOR.encode(), f" {SEPARATOR} ".encode()) + b" "
    while b"  " in text:
        text = text.replace(b"  ", b" ")
    if b" '" in text or b"' " in text:  # a token that starts or ends with one: rare
        text = _QUOTES_LAST.sub(b"", _QUOTES_FIRST.sub(b" ", _QUOTES_ONLY.sub(b" |", text)))
    return text.decode()


def count(texts: Sequence[str], groups: Sequence[Sequence[str]]) -> list[int]:
    """How many of ``texts`` have, as whole words, any phrase of each group
    (phrases as words.py makes them: tokens joined by single spaces, none
    a bar)."""
    if not groups or not texts:
        return [0] * len(groups)
    return count_normalised(normalised_all(texts), groups)


def count_normalised(text: str, groups: Sequence[Sequence[str]]) -> list[int]:
    """:func:`count` over texts already made one string by
    :func:`normalised_all` (themes.py keeps it: the discovery sample's
    tokens are its pieces, so no text is normalised twice)."""
    counts = []
    for phrases in groups:
        # A ticket in the group: any phrase, then the rest of that ticket
        # (so the next match is in a later ticket): one match per ticket.
        found = re.compile("(?:" + "|".join(re.escape(f" {p} ") for p in phrases) + f")()[^{SEPARATOR}]*")
        counts.append(len(found.findall(text)))
    return counts
