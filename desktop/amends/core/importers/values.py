"""Checking and normalising single values from import files: times,
categories, statuses, priorities, numbers."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Literal, overload

from amends.core import clock, customers
from amends.core.vocabulary import CATEGORIES, PRIORITIES, STATUSES

_STORED = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ\Z")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
                 "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")
#: ``01/05/2026``: the day and month of a slashed date, whichever order they are in.
_SLASHED = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*\Z")
DATE_ORDERS = ("day-first", "month-first")


#: Dates an import may carry. Wider than any real ticket, narrow enough that
#: adding a year of follow-ups or billing cycles never leaves what Python and
#: the stored text form can hold (year 1 with an offset, or 9999, cannot).
MIN_YEAR, MAX_YEAR = 1900, 2999
#: Whole numbers SQLite can store (64-bit signed).
MAX_INTEGER = 2**63 - 1


class BadValue(ValueError):
    """A value that cannot be used; the message says why."""


def _in_range(moment: datetime, text: str) -> str:
    if not MIN_YEAR <= moment.year <= MAX_YEAR:  # moment is UTC (or naive = UTC) here
        raise BadValue(f"{_shown(text)} is outside the years {MIN_YEAR}–{MAX_YEAR}")
    return clock.to_iso(moment)


@overload
def time_value(text: object, *, required: Literal[True] = ..., order: str = ...) -> str: ...


@overload
def time_value(text: object, *, required: bool, order: str = ...) -> str | None: ...


def time_value(text: object, *, required: bool = True, order: str = "day-first") -> str | None:
    """ISO 8601 with or without zone (no zone = UTC), or a few common
    spreadsheet forms; returns Amends' stored form. ``order`` says how a
    slashed date (``01/05/2026``) reads: a CSV column's order is inferred by
    :func:`date_order`, never assumed silently."""
    if text is None or (isinstance(text, str) and not text.strip()):
        if required:
            raise BadValue("a date and time is required")
        return None
    if not isinstance(text, str):
        raise BadValue(f"{text!r} is not a date and time")
    value = text.strip()
    moment: datetime | None
    if _STORED.match(value):
        try:
            moment = datetime.fromisoformat(value[:-1])  # a real day (not 30 February)
        except ValueError:
            raise BadValue(f"{value!r} is not a real date") from None
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            return _in_range(moment, value)  # raises
        return value  # already the stored form (the exchange format's own exports): no reformatting per row
    try:
        moment = clock.parse_iso(value)
    except OverflowError:  # year 1 or 9999 with an offset: no UTC time exists for it
        raise BadValue(f"{value!r} is outside the years {MIN_YEAR}–{MAX_YEAR}") from None
    except ValueError:
        moment = None
    if moment is not None:
        return _in_range(moment, value)
    formats = _TIME_FORMATS if order != "month-first" else tuple(
        f.replace("%d/%m/", "%m/%d/") for f in _TIME_FORMATS)
    for fmt in formats:
        try:
            moment = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return _in_range(moment, value)
    raise BadValue(f"{value!r} is not a date and time (use ISO 8601, e.g. 2026-01-05T10:00:00Z)")


def date_order(texts: list[str]) -> tuple[str | None, str]:
    """How a column's slashed dates read: ``(order, why)``. ``order`` is
    ``day-first`` or ``month-first`` when some value settles it (a first
    number above 12 is a day), ``None`` when the column has no slashed dates
    (``why`` empty) or cannot be told (``why`` says so: every value reads
    both ways, or the values contradict each other)."""
    firsts, seconds, example = "", "", ""
    for text in texts:
        found = _SLASHED.match(text or "")
        if not found:
            continue
        example = example or text.strip()
        first, second = int(found.group(1)), int(found.group(2))
        if first > 12 >= second:
            firsts = firsts or text.strip()
        elif second > 12 >= first:
            seconds = seconds or text.strip()
    if not example:
        return None, ""
    if firsts and seconds:
        return None, f"dates in both orders ({firsts} is day-first, {seconds} is month-first)"
    if firsts:
        return "day-first", f"read day-first ({firsts} has no month {firsts.split('/')[0].strip()})"
    if seconds:
        return "month-first", f"read month-first ({seconds} has no month {seconds.split('/')[1]})"
    return None, f"dates like {example} read as either day or month first"


def category_value(text: object) -> str:
    value = str(text or "").strip()
    if not value:
        return "other"
    lowered = value.lower().replace(" ", "_").replace("-", "_")
    if lowered in CATEGORIES:
        return lowered
    by_name = {name.lower(): key for key, name in CATEGORIES.items()}
    if value.lower() in by_name:
        return by_name[value.lower()]
    raise BadValue(f"unknown category {value!r} (one of {', '.join(CATEGORIES)})")


def status_value(text: object) -> str:
    value = str(text or "open").strip().lower()
    aliases = {"new": "open", "solved": "resolved", "closed": "resolved", "active": "open", "hold": "pending",
               "on hold": "pending", "waiting": "pending"}
    value = aliases.get(value, value)
    if value not in STATUSES:
        raise BadValue(f"unknown status {text!r} (open, pending or resolved)")
    return value


def priority_value(text: object) -> int:
    if text is None or (isinstance(text, str) and not text.strip()):
        return 1
    if isinstance(text, bool):
        raise BadValue(f"{text!r} is not a priority")
    if isinstance(text, int):
        value = text
    else:
        raw = str(text).strip().lower()
        names = {name.lower(): key for key, name in PRIORITIES.items()}
        if raw in names:
            return names[raw]
        try:
            value = int(raw)
        except ValueError:
            raise BadValue(f"unknown priority {text!r} (low, normal, high, urgent or 0–3)") from None
    if value not in PRIORITIES:
        raise BadValue(f"priority {value} is out of range 0–3")
    return value


def number_value(text: object, *, name: str = "number") -> float:
    """A finite number: NaN and infinities are refused (stored, they would
    become NULL or invalid JSON and break every later figure)."""
    if isinstance(text, bool) or not isinstance(text, (int, float, str)):
        raise BadValue(f"{_shown(text)} is not a {name}")
    try:
        value = float(text.strip().replace(",", ".")) if isinstance(text, str) else float(text)
    except (ValueError, OverflowError):
        raise BadValue(f"{_shown(text)} is not a {name}") from None
    if not math.isfinite(value):
        raise BadValue(f"{_shown(text)} is not a finite {name}")
    return value


def whole_value(value: object, *, name: str, low: int = 0, high: int = MAX_INTEGER) -> int:
    """A whole number (a JSON integer or ASCII digits) between ``low`` and
    ``high``: ``"²"`` counts as a digit for ``str.isdigit`` but not here."""
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,40}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(f"{name} {_shown(value)} is not a whole number")
    if not low <= value <= high:
        raise BadValue(f"{name} {_shown(value)} is outside {low}–{high}")
    return value


def _shown(value: object) -> str:
    """A value for a message: short, whatever it is."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def text_value(value: object, *, required: bool = False, name: str = "text") -> str:
    if value is None:
        if required:
            raise BadValue(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise BadValue(f"{name} must be text, not {type(value).__name__}")
    if required and not value.strip():
        raise BadValue(f"{name} is required")
    if not valid_unicode(value):
        raise BadValue(f"{name} is not valid Unicode (a lone surrogate such as \\ud800)")
    return value


def email_value(text: object, *, name: str = "email") -> tuple[str, str]:
    """``(normalised address, display name)`` from an address as files hold
    it (``Ada@Example.com``, ``"Ada" <ada@example.com>``); one customer per
    address depends on every importer reading it this way."""
    if not isinstance(text, str):
        raise BadValue(f"{name} must be text, not {type(text).__name__}")
    try:
        shown, address = customers.split_address(text)
    except customers.BadAddress as error:
        raise BadValue(f"{error.text!r} is not an email address ({error.reason})") from None
    return address, shown
def valid_unicode(text: str) -> bool:
    """False for text with a lone surrogate (JSON allows ``"\\ud800"``;
    SQLite cannot store it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: Any whole number over MAX_INTEGER has at least this many digits in a row;
#: found by mapping every digit byte to "0" and everything else to " " (C speed).
_LONG_DIGITS = b"0" * len(str(MAX_INTEGER))
_DIGIT_MASK = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))


def _surely_clean(doc: object) -> bool:
    """True when no field can hold what :func:`json_problems` looks for:
    ``json.dumps`` refuses NaN and Infinity, encoding its text refuses a lone
    surrogate (in a key too), and with no run of 19 digits anywhere no number
    is too large. False means "look closely" (a long digit run inside a text
    is fine, the walk says so); it never hides a problem."""
    try:
        encoded = json.dumps(doc, ensure_ascii=False, allow_nan=False, check_circular=False).encode("utf-8")
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        return False
    return _LONG_DIGITS not in encoded.translate(_DIGIT_MASK)


def json_problems(doc: object, limit: int = 50) -> list[tuple[int, str, str]]:
    """What no field of a JSON import may hold, wherever it is: text that is
    not Unicode, NaN or infinite numbers, whole numbers SQLite cannot store.
    As (record, field, reason): the record is the position in the first list
    on the way (1-based, 0 when there is none), the field its path inside
    (``tickets.messages[0].body``, as the exchange format's parser says). Walked
    without recursion, so a deeply nested document cannot overflow the stack.
    A clean document (nearly every one) is recognised at C speed first
    (:func:`_surely_clean`); the walk with paths only runs on the others."""
    if _surely_clean(doc):
        return []
    found: list[tuple[int, str, str]] = []
    stack: list[tuple[object, str, int]] = [(doc, "", 0)]
    while stack and len(found) < limit:
        node, path, record = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if not valid_unicode(key):
                    found.append((record, path or "document", "a key is not valid Unicode (a lone surrogate)"))
                    continue
                stack.append((value, f"{path}.{key}" if path else key, record))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                # the first list on the way numbers the record; the field says where inside it
                stack.append((value, path if not record else f"{path}[{index}]", record or index + 1))
        elif isinstance(node, str):
            if not valid_unicode(node):
                found.append((record, path, "not valid Unicode (a lone surrogate such as \\ud800)"))
        elif isinstance(node, float):
            if not math.isfinite(node):
                found.append((record, path, f"{node!r} is not a finite number (NaN and Infinity are not allowed)"))
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > MAX_INTEGER:
            found.append((record, path, f"{_shown(node)} is too large a number"))
    return sorted(found)
