"""Themes as insights/themes.py found and counted them before P16THEMES (one
normalised string per text and a substring test per phrase and text; the
phrases of every sampled text; a scan of the sample per candidate), kept
as the oracle the faster code is checked against (tests/core/
test_themes_oracle.py). Slow at a million tickets; right by construction:
it is the definition (docs/INSIGHTS.md, "Themes").

The store reads (_counted, _coverage, ...) are the module's own: they did
not change. The texts are read as before schema 8 (THEMES2): the first
customer message found among the ticket's messages, where the module now
reads the rows kept by triggers (theme_texts, V8THEMES)."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable

from amends.core.insights.numbers import poisson_at_least
from amends.core.insights.period import Period
from amends.core.insights.themes import (
    BODY_CHARS,
    CONTAINED,
    COUNT_SAMPLE,
    MAX_SHARE,
    MAX_THEMES,
    MIN_LIFT,
    MIN_SHARE,
    OVERLAP,
    SAMPLE,
    SIGNIFICANCE,
    Theme,
    _counted,
    _coverage,
    _covered_by,
    _ids,
    _sample,
    previous,
)
from amends.core.insights.words import _PLAIN, _TABLE, STOP_WORDS
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES

#: The texts as read before schema 8: subject, and the ticket's first
#: customer message (conversation order) found among its messages.
TEXTS_SQL = f"""
SELECT t.id, t.subject,
       (SELECT substr(m.body, 1, {BODY_CHARS}) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in'
        ORDER BY m.created_at, m.id LIMIT 1) AS body
FROM tickets t WHERE t.id IN (SELECT value FROM json_each(?))
"""


def _texts(db: Database, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    found: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(ids), 50_000):
        chunk = ids[start:start + 50_000]
        found.update((i, (subject, body)) for i, subject, body in db.tuples(TEXTS_SQL, (json.dumps(chunk),)))
    return found


def _tokens(text: str) -> list[str]:
    """Lower-case words, with "|" where a phrase must end; apostrophes at
    a word's edges dropped ("'quoted'" is "quoted", "hasn't" stays)."""
    plain = text.lower()
    if not plain.isascii():
        for fancy, simple in _PLAIN:
            if fancy in plain:
                plain = plain.replace(fancy, simple)
    spaced = plain.encode().translate(_TABLE).replace(b"|", b" | ").decode()
    if "'" not in spaced:
        return spaced.split()
    return [w.strip("'") or "|" for w in spaced.split()]


def normalised(text: str) -> str:
    """`` word word | word `` with single spaces, a bar where a sentence or
    clause ends and a space at each end: a phrase occurs in a text when
    ``f" {phrase} "`` is in this (never across a full stop)."""
    return " " + " ".join(_tokens(text)) + " "


def text_phrases(text: str) -> set[str]:
    """The phrases of each sentence or clause of ``text``."""
    found: set[str] = set()
    tokens = _tokens(text)
    start = 0
    for i, token in enumerate([*tokens, "|"]):
        if token == "|":
            if i > start:
                found |= phrases(tokens[start:i])
            start = i + 1
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


def _discover(texts: dict[str, dict[int, set[str]]], min_tickets: int) -> dict[str, list[tuple[str, ...]]]:
    """Category -> themes as their phrases (the name first), from the
    sampled tickets' phrases."""
    counts = {c: Counter(p for found in t.values() for p in found) for c, t in texts.items()}
    total = Counter[str]()
    for counter in counts.values():
        total.update(counter)
    sizes = {c: len(t) for c, t in texts.items()}
    everyone = sum(sizes.values())
    found: dict[str, list[tuple[str, ...]]] = {}
    for category, counter in counts.items():
        n = sizes[category]
        others = everyone - n
        floor = max(min_tickets, math.ceil(MIN_SHARE * n))
        candidates = []
        for phrase, a in counter.items():
            share = a / n
            if a < floor or share > MAX_SHARE:
                continue
            if others:
                background = (total[phrase] - a + 1) / (others + 2)
                if share < MIN_LIFT * background or poisson_at_least(a, n * background) >= SIGNIFICANCE:
                    continue
            candidates.append((phrase, a))
        candidates.sort(key=lambda pa: (" " not in pa[0], -pa[1], -pa[0].count(" "), pa[0]))
        ticket_phrases = texts[category]
        themes: list[tuple[list[str], set[int]]] = []
        for phrase, _ in candidates:
            ids = {i for i, ps in ticket_phrases.items() if phrase in ps}
            for names, members in themes:
                shared = len(ids & members)
                if shared >= OVERLAP * min(len(ids), len(members)):
                    if " " in phrase and shared >= CONTAINED * len(ids):
                        names.append(phrase)
                        members |= ids
                    break
            else:
                if len(themes) < MAX_THEMES:
                    themes.append(([phrase], set(ids)))
        if themes:
            found[category] = [tuple(names) for names, _ in themes]
    return found


def themes(db: Database, period: Period, *, min_tickets: int = 3, count_sample: int = COUNT_SAMPLE) -> list[Theme]:
    """The themes of every category for ``period``, categories in the
    vocabulary's order, each category's themes by tickets (most first);
    counts sampled above ``count_sample`` tickets per category and period."""
    before = previous(period)
    windows = [(period.start, period.end)] + ([(before.start, before.end)] if before.until < period.since else [])
    sized = {(c, w): _counted(db, c, *windows[w], count_sample) for c in CATEGORIES for w in range(len(windows))}
    totals = {key: n for key, (n, _) in sized.items()}
    chosen = {key: picked for key, (_, picked) in sized.items()}
    texts = _texts(db, sorted({i for found in chosen.values() for i in found}))
    discovery: dict[str, dict[int, set[str]]] = {}
    for category in CATEGORIES:
        sample = _sample(chosen[(category, 0)], SAMPLE)
        if sample:
            discovery[category] = {i: text_phrases(texts[i][0]) | text_phrases(texts[i][1] or "") for i in sample}
    found = _discover(discovery, min_tickets)
    coverage = _coverage(db)
    result = []
    for category in CATEGORIES:
        groups = found.get(category, [])
        counts = [[0, 0] for _ in groups]
        estimated = False
        for w in range(len(windows)):
            hits = _count([texts[i] for i in chosen[(category, w)]], groups)
            scale = totals[(category, w)] / len(chosen[(category, w)]) if chosen[(category, w)] else 1.0
            estimated = estimated or scale > 1
            for index, n in enumerate(hits):
                counts[index][w] = round(n * scale)
        listed = []
        for index, names in enumerate(groups):
            by = _covered_by(names, category, coverage)
            listed.append(Theme(category, names[0], counts[index][0], counts[index][1], by is not None, names, by,
                                estimated))
        listed.sort(key=lambda t: (-t.tickets, t.theme))
        result.extend(listed)
    return result


def _count(texts: Iterable[tuple[str, str | None]], groups: list[tuple[str, ...]]) -> list[int]:
    """How many of ``texts`` are in each theme (any of its phrases)."""
    counts = [0] * len(groups)
    if not groups:
        return counts
    flat = [(f" {p} ", index) for index, names in enumerate(groups) for p in names]
    for subject, body in texts:
        text = _text(subject, body)
        for index in {index for p, index in flat if p in text}:
            counts[index] += 1
    return counts


def _text(subject: str, body: str | None) -> str:
    """Subject and message as one normalised text; the bar between them
    keeps a phrase from running from the subject into the message."""
    return normalised(subject) + "|" + normalised(body or "")


def _matching(db: Database, category: str, names: tuple[str, ...], start: str, end: str) -> list[int]:
    padded = [f" {p} " for p in names]
    found = _texts(db, _ids(db, category, start, end))
    return sorted(i for i, (subject, body) in found.items() if any(p in _text(subject, body) for p in padded))
