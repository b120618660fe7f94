"""Turning what a person typed into a safe FTS5 query.

The user's text is never spliced into FTS5 syntax: every word and every
"quoted phrase" becomes a double-quoted FTS5 string (inner quotes doubled),
so operators such as ``AND``, ``NEAR``, ``*``, ``-`` or ``:`` in the text are
searched for literally instead of being interpreted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool


def terms(text: str) -> list[Term]:
    """Words and "quoted phrases" (an unclosed quote runs to the end)."""
    found = []
    # Control characters (NUL above all) end an FTS5 string early; they are
    # separators to the tokenizer anyway.
    text = _CONTROL.sub(" ", text or "")
    for match in _TOKEN.finditer(text):
        phrase, word = match.group(1), match.group(2)
        value = phrase if phrase is not None else word
        if value and any(ch.isalnum() for ch in value):
            found.append(Term(value, phrase is not None))
    return found


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def fts_query(text: str, *, prefix_last: bool = True) -> str | None:
    """The FTS5 MATCH expression for ``text``, or None when there is nothing
    to search for. With ``prefix_last`` the last bare word also matches as a
    prefix, so results follow the user's typing."""
    found = terms(text)
    if not found:
        return None
    parts = [_quote(term.text) for term in found]
    if prefix_last and not found[-1].phrase:
        parts[-1] += "*"
    return " ".join(parts)
