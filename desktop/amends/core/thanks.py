"""Telling a plain "thank you" from a new question: a short thanks to a
resolved ticket is attached and marked, and does not reopen it."""

from __future__ import annotations

import re

THANKS = re.compile(r"\b(thanks?|thank you|thx|ty|cheers|merci|danke|gracias|grazie|perfect|great|awesome|"
                    r"appreciated?|much appreciated|all good|got it)\b", re.I)
QUOTE_START = re.compile(r"^(>|On .+ wrote:|Le .+ a écrit|Am .+ schrieb)", re.M)
MAX_WORDS = 25


def new_text(body: str) -> str:
    """The part above any quoted history."""
    match = QUOTE_START.search(body)
    return (body[: match.start()] if match else body).strip()


def is_thanks_only(body: str) -> bool:
    """Short, says thanks, asks nothing."""
    text = new_text(body)
    words = re.findall(r"\w+", text)
    return bool(words) and len(words) <= MAX_WORDS and "?" not in text and THANKS.search(text) is not None
