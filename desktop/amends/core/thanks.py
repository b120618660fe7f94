"""Telling a plain "thank you" from a new question: a short thanks to a
resolved ticket is attached and marked, and does not reopen it.

What the customer wrote is told from the quoted history by
``mail-parser-reply`` (MIT), which knows the reply headers of many mail
programs and languages, Outlook's "From: … Sent: …" block included; our own
pattern for "> " quotes and "On … wrote:" lines stays as a second cut."""

from __future__ import annotations

import functools
import logging
import re

from mailparser_reply import EmailReplyParser

THANKS = re.compile(r"\b(thanks?|thank you|thx|ty|cheers|merci|danke|gracias|grazie|perfect|great|awesome|"
                    r"appreciated?|much appreciated|all good|got it)\b", re.I)
QUOTE_START = re.compile(r"^(>|On .+ wrote:|Le .+ a écrit|Am .+ schrieb)", re.M)
MAX_WORDS = 25
#: Only the top of a long mail can hold a short new part; the parser reads no more.
HEAD_CHARS = 20_000
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl"]


@functools.lru_cache(maxsize=2048)
def new_text(body: str) -> str:
    """The part above any quoted history. Remembered per text: the parser
    takes milliseconds a message, and a ticket's conversation is shown again
    after every change to it."""
    head = body[:HEAD_CHARS]
    try:
        head = EmailReplyParser(languages=LANGUAGES).parse_reply(text=head)
    except (ValueError, IndexError, AttributeError, TypeError) as error:
        # an odd body the parser cannot split: our own cut below still applies
        logging.getLogger(__name__).warning("reply parser failed (%s); using the quote pattern only", error)
    match = QUOTE_START.search(head)
    return (head[: match.start()] if match else head).strip()


def is_thanks_only(body: str) -> bool:
    """Short, says thanks, asks nothing."""
    text = new_text(body)
    words = re.findall(r"\w+", text)
    return bool(words) and len(words) <= MAX_WORDS and "?" not in text and THANKS.search(text) is not None
