"""The stdlib ``email`` parser as Amends reads mail with it: a policy that
parses each header once (most of a fetch's time was parsing the same
Content-Type again and again, benchmarks/bench_mail.py), the errors odd
input makes the email package raise, and text made fit for SQLite and Qt.
"""

from __future__ import annotations

import email.errors
import email.policy
import functools
import re
from email.message import EmailMessage, Message

_SURROGATES = re.compile(r"[\ud800-\udfff\x00]")
#: Errors the email package raises from odd input while reading a header or part.
READ_ERRORS = (LookupError, UnicodeError, ValueError, TypeError, IndexError, AttributeError, AssertionError,
               email.errors.MessageError, RecursionError)


def text(value: str, defects: list[str] | None = None) -> str:
    """Text that SQLite and Qt can hold: lone surrogates (bytes that were not
    Unicode) and NUL become U+FFFD, noted once."""
    cleaned = _SURROGATES.sub("\ufffd", value)
    if cleaned != value and defects is not None and "text that is not Unicode was replaced by \ufffd" not in defects:
        defects.append("text that is not Unicode was replaced by \ufffd")
    return cleaned


@functools.lru_cache(maxsize=4096)
def parsed_header(name: str, value: str):
    return email.policy.default.header_fetch_parse(name, value)


class RememberingPolicy(email.policy.EmailPolicy):
    """email.policy.default, but a header is parsed once, not on every look
    at it: reading one plain mail asked for its Content-Type eight times, and
    that parsing was most of a fetch's time (benchmarks/bench_mail.py). The
    same header text always gives the same (immutable) header object, so
    mails with the same Content-Type or sender share it."""

    def header_fetch_parse(self, name, value):
        if type(value) is str:
            return parsed_header(name, value)
        return super().header_fetch_parse(name, value)


_ABSENT = object()


class RememberingMessage(EmailMessage):
    """An EmailMessage that finds each header once: the email package looks
    Content-Type up by a scan of every header on each question about the
    part (nine scans for one plain mail; a real one has dozens of headers),
    and so did :func:`raw_header`. Any change to the headers (or to the
    default type) forgets what was found."""

    _found: dict[str, object] | None = None
    _raw: dict[str, str] | None = None
    _type: str | None = None

    def _forget(self) -> None:
        self._found = self._raw = self._type = None

    def get(self, name, failobj=None):
        found = self._found
        if found is None:
            found = self._found = {}
        key = name.lower()
        value = found.get(key, _ABSENT)
        if value is _ABSENT:
            value = found[key] = super().get(name, _ABSENT)
        return failobj if value is _ABSENT else value

    def raw_first(self, name: str) -> str | None:
        """The first header of that name as it came (not parsed)."""
        raw = self._raw
        if raw is None:
            raw = self._raw = {}
            for key, value in self.raw_items():
                raw.setdefault(key.lower(), str(value))
        return raw.get(name.lower())

    def get_content_type(self) -> str:
        if self._type is None:
            self._type = super().get_content_type()
        return self._type

    def set_default_type(self, ctype):
        self._forget()
        super().set_default_type(ctype)

    def set_raw(self, name, value):
        self._forget()
        super().set_raw(name, value)

    def __setitem__(self, name, val):
        self._forget()
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self._forget()
        super().__delitem__(name)

    def replace_header(self, _name, _value):
        self._forget()
        super().replace_header(_name, _value)

    def add_header(self, _name, _value, **_params):
        self._forget()
        super().add_header(_name, _value, **_params)

    def _make_multipart(self, subtype, disallowed_subtypes, boundary):
        self._forget()
        super()._make_multipart(subtype, disallowed_subtypes, boundary)


POLICY = RememberingPolicy(message_factory=RememberingMessage)


def raw_header(message: Message, name: str) -> str | None:
    """A header as it came (not parsed): for ids and dates we read ourselves."""
    if isinstance(message, RememberingMessage):
        return message.raw_first(name)
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None
