"""Themes inside a category: the causes a category mixes together.

Method (docs/INSIGHTS.md, "Themes"): each ticket's text is its subject and
its first customer message (the first 400 characters). Its phrases are the
1- to 3-word runs that neither start nor end with a stop word (words.py).

1. *Candidates*, per category, from the period's tickets (at most
   ``SAMPLE`` per category, every k-th of those counted, so a big store
   costs the same as a small one and the result never changes between
   runs): a phrase that
   at least ``min_tickets`` tickets and ``MIN_SHARE`` of the category share,
   at least ``MIN_LIFT`` times as common as in the store's other categories
   (the store's own background: what every ticket says is no theme) and
   more common than that background explains (one-sided Poisson test at
   ``SIGNIFICANCE``, so a customer's name that happens to come up twice as
   often here is no theme), and in
   at most ``MAX_SHARE`` of the category (a phrase nearly every ticket of
   the category has names the category, not a cause inside it).
2. *Grouping*: phrases of two or three words first, then single words;
   each by tickets, then length (longer first), then alphabet. Each one joins the first theme whose tickets it mostly shares
   (overlap ≥ ``OVERLAP`` of the smaller set): as one of the theme's phrases
   when it has two words or more and ≥ ``CONTAINED`` of its tickets are the
   theme's, else it is dropped (a broader word such as "tea" under "tea was
   dusty" would count tea tickets of other causes). Otherwise it starts a
   theme; the theme is named by its first (most shared, longest) phrase.
3. *Counting* over the tickets of the period and of the previous period of
   the same length: a ticket is in a theme when its text has any of the
   theme's phrases as whole words; merged tickets are left out. Exact up to
   ``COUNT_SAMPLE`` tickets per category and period; above that, counted on
   the tickets whose id is a multiple of k (about ``COUNT_SAMPLE``) and
   scaled (``Theme.estimated``), so a million-ticket store costs what a
   small one does. The drill-down always lists every ticket.

Covered: a rule of the category or of none (its name or search), a published policy of the category
(its name, the latest version's step labels and note) or an upstream change
of the category mentions one of the theme's phrases.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import chain
from typing import TYPE_CHECKING, Any

from amends.core import proposals
from amends.core.insights import theme_count
from amends.core.insights.numbers import poisson_at_least
from amends.core.insights.period import FIRST_DAY, Period
from amends.core.insights.words import normalised, token_phrases
from amends.core.store import Database
from amends.core.store.schema import THEME_BODY_CHARS, theme_texts_select
from amends.core.vocabulary import CATEGORIES

if TYPE_CHECKING:
    from amends.core import rules

#: Tickets per category the phrases are discovered from.
SAMPLE = 1000
#: Tickets per category and period the counts are made from: exact up to
#: this many, above it estimated from an evenly spread sample (every k-th
#: ticket by id) and scaled; ``Theme.estimated`` says so, the drill-down
#: always lists every ticket.
COUNT_SAMPLE = 2000
MIN_SHARE = 0.03
MIN_LIFT = 2.0
MAX_SHARE = 0.8
#: A candidate must be this unlikely under the background share (one-sided
#: Poisson test; small because many phrases are tried per category).
SIGNIFICANCE = 0.001
OVERLAP = 0.6
CONTAINED = 0.8
#: At most this many themes per category, the most shared first.
MAX_THEMES = 8
#: Characters of the first customer message that are read (kept so in theme_texts, schema 8).
BODY_CHARS = THEME_BODY_CHARS

log = logging.getLogger(__name__)

#: Each ticket's subject and the start of its first customer message, kept by triggers (schema 8,
#: V8THEMES): one row by key per ticket, where finding the first customer message among the ticket's
#: messages cost more than the rest of the read (issue 16).
TEXTS_SQL = "SELECT ticket_id, subject, body FROM theme_texts WHERE ticket_id IN (SELECT value FROM json_each(?))"
#: The same, as the one text the Review tokenizes (:func:`_joined`, made by the store: one string per row).
JOINED_SQL = ("SELECT ticket_id, subject || '|' || coalesce(body, '') FROM theme_texts "
              "WHERE ticket_id IN (SELECT value FROM json_each(?))")
#: The same read from the rows (schema.theme_texts_select: what V8THEMES keeps), for tickets the kept table
#: lacks: one of its triggers dropped by another tool (a DB browser rebuilding a table) until the doctor fills it.
ROWS_SQL = theme_texts_select(" WHERE t.id IN (SELECT value FROM json_each(?))")


@dataclass(frozen=True, slots=True)
class Theme:
    """One recurring cause inside a category, with its ticket counts in the
    period and the previous period of the same length."""

    category: str
    theme: str
    tickets: int
    previous: int
    covered: bool
    phrases: tuple[str, ...] = ()
    covered_by: str | None = None  # "rule 'Dusty tea'", "policy 'Product quality'", ...
    estimated: bool = False        # counted from a sample (more than COUNT_SAMPLE tickets)

    @property
    def trend(self) -> int:
        return self.tickets - self.previous

    def to_json(self) -> dict[str, Any]:
        """The contract of ``insights --json``: exactly these keys."""
        return {"category": self.category, "theme": self.theme, "tickets": self.tickets,
                "previous": self.previous, "covered": self.covered}


@dataclass(frozen=True)
class _Candidate:
    phrase: str
    ids: frozenset[int] = field(default_factory=frozenset)


def previous(period: Period) -> Period:
    """The period of the same length just before (cut at the first day)."""
    until = period.since - timedelta(days=1)
    if until < FIRST_DAY:
        return Period(FIRST_DAY, FIRST_DAY)
    return Period(max(FIRST_DAY, period.since - timedelta(days=period.days)), until)


def _merged(db: Database, category: str, start: str, end: str) -> set[int]:
    return {r[0] for r in db.tuples("SELECT id FROM tickets INDEXED BY tickets_merged WHERE merged_into IS NOT NULL "
                                    "AND category = ? AND created_at >= ? AND created_at < ?", (category, start, end))}


def _ids(db: Database, category: str, start: str, end: str) -> list[int]:
    """Ids of the category's tickets opened in [start, end), merged ones
    left out: an index-only range read, the few merged ones subtracted."""
    merged = _merged(db, category, start, end)
    return [r[0] for r in db.tuples("SELECT id FROM tickets WHERE category = ? AND created_at >= ? AND created_at < ?",
                                    (category, start, end)) if r[0] not in merged]


def _counted(db: Database, category: str, start: str, end: str, cap: int) -> tuple[int, list[int]]:
    """(how many tickets, the ids counts are made from): all of them up to
    ``cap``, else those whose id is a multiple of k (about ``cap`` of them,
    spread over the period, the same every time), picked inside the index
    scan so that a big category costs a count and a few thousand rows."""
    merged = _merged(db, category, start, end)
    total = int(db.scalar("SELECT count(*) FROM tickets WHERE category = ? AND created_at >= ? AND created_at < ?",
                          (category, start, end))) - len(merged)
    step = max(1, math.ceil(total / cap))
    if step == 1:
        return total, _ids(db, category, start, end)
    rows = db.tuples("SELECT id FROM tickets WHERE category = ? AND created_at >= ? AND created_at < ? "
                     "AND id % ? = 0", (category, start, end, step))
    return total, [r[0] for r in rows if r[0] not in merged]


def _sample(ids: list[int], cap: int) -> list[int]:
    """Every k-th id (ascending), at most ``cap``: the same every time."""
    step = max(1, math.ceil(len(ids) / cap))
    return sorted(ids)[::step]


def _texts(db: Database, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    found: dict[int, tuple[str, str | None]] = {}
    for start in range(0, len(ids), 50_000):
        chunk = ids[start:start + 50_000]
        found.update((i, (subject, body)) for i, subject, body in db.tuples(TEXTS_SQL, (json.dumps(chunk),)))
    return found


def _joined_texts(db: Database, ids: list[int]) -> dict[int, str]:
    """Ticket id -> :func:`_joined` of its subject and message, as the store joins them."""
    found: dict[int, str] = {}
    for start in range(0, len(ids), 50_000):
        found.update(db.tuples(JOINED_SQL, (json.dumps(ids[start:start + 50_000]),)))
    missing = [i for i in ids if i not in found]
    if missing:
        log.warning("%d tickets have no kept theme text (a trigger of schema 8 is missing: `amends repair` "
                    "puts it back); read from their messages", len(missing))
        for start in range(0, len(missing), 50_000):
            found.update((ticket_id, _joined(subject, body)) for ticket_id, subject, _at, _id, body
                         in db.tuples(ROWS_SQL, (json.dumps(missing[start:start + 50_000]),)))
    return found


def _discover(texts: dict[str, dict[int, set[str]]], min_tickets: int) -> dict[str, list[tuple[str, ...]]]:
    """Category -> themes as their phrases (the name first), from the
    sampled tickets' phrases."""
    counts = {c: Counter[str](chain.from_iterable(ticket_phrases.values())) for c, ticket_phrases in texts.items()}
    sizes = {c: len(t) for c, t in texts.items()}
    everyone = sum(sizes.values())
    found: dict[str, list[tuple[str, ...]]] = {}
    for category, counter in counts.items():
        n = sizes[category]
        others = everyone - n
        floor = max(min_tickets, math.ceil(MIN_SHARE * n))
        candidates = []
        # the phrases past the floor first (a few hundred of many thousands); their count elsewhere then
        for phrase, a in [(phrase, a) for phrase, a in counter.items() if a >= floor]:
            share = a / n
            if share > MAX_SHARE:
                continue
            if others:
                elsewhere = sum(other[phrase] for c, other in counts.items() if c != category)
                background = (elsewhere + 1) / (others + 2)
                if share < MIN_LIFT * background or poisson_at_least(a, n * background) >= SIGNIFICANCE:
                    continue
            candidates.append((phrase, a))
        candidates.sort(key=lambda pa: (" " not in pa[0], -pa[1], -pa[0].count(" "), pa[0]))
        holders = _holders(texts[category], {phrase for phrase, _ in candidates})
        themes: list[tuple[list[str], set[int]]] = []
        for phrase, _ in candidates:
            ids = holders[phrase]
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


def _holders(ticket_phrases: dict[int, set[str]], wanted: set[str]) -> dict[str, set[int]]:
    """Candidate phrase -> the sampled tickets that have it, in one pass
    over the sample (a set intersection per ticket, not a scan of the
    sample per candidate)."""
    found: dict[str, set[int]] = {phrase: set() for phrase in wanted}
    if wanted:
        for i, phrases in ticket_phrases.items():
            for phrase in wanted.intersection(phrases):
                found[phrase].add(i)
    return found


def _coverage(db: Database) -> list[tuple[str | None, str, str]]:
    """(category or None for any, what, its text normalised) for everything
    that can mention a theme."""
    found: list[tuple[str | None, str, str]] = []
    for name, query, category in db.tuples("SELECT name, query, category FROM rules WHERE enabled = 1"):
        found.append((category, f"rule {name!r}", normalised(f"{name} . {query}")))
    for name, category, note, labels in db.tuples(
            """SELECT p.name, p.category, v.note,
                      (SELECT group_concat(s.label, ' . ') FROM policy_steps s WHERE s.policy_version_id = v.id)
               FROM policies p JOIN policy_versions v ON v.policy_id = p.id
               WHERE v.number = (SELECT max(number) FROM policy_versions WHERE policy_id = p.id)
                 AND p.retired_at IS NULL"""):
        found.append((category, f"policy {name!r}", normalised(f"{name} . {note} . {labels or ''}")))
    for what, category, theme in db.tuples("SELECT what, category, theme FROM upstream_changes"):
        found.append((category, f"upstream change {what!r}", normalised(f"{what} . {theme or ''}")))
    return found


def _covered_by(names: tuple[str, ...], category: str, coverage: list[tuple[str | None, str, str]]) -> str | None:
    """The first rule, policy or change that names the theme (its name or
    another phrase of it: the phrases other than the name have two words
    or more, so one broad word in a rule's search covers nothing)."""
    for scope, what, text in coverage:
        if scope not in (None, category):
            continue
        if any(f" {p} " in text for p in names):
            return what
    return None


def themes(db: Database, period: Period, *, min_tickets: int = 3, count_sample: int = COUNT_SAMPLE) -> list[Theme]:
    """The themes of every category for ``period``, categories in the
    vocabulary's order, each category's themes by tickets (most first);
    counts sampled above ``count_sample`` tickets per category and period."""
    before = previous(period)
    windows = [(period.start, period.end)] + ([(before.start, before.end)] if before.until < period.since else [])
    sized = {(c, w): _counted(db, c, *windows[w], count_sample) for c in CATEGORIES for w in range(len(windows))}
    totals = {key: n for key, (n, _) in sized.items()}
    chosen = {key: picked for key, (_, picked) in sized.items()}
    texts = _joined_texts(db, sorted({i for found in chosen.values() for i in found}))
    # Each category's and period's texts normalised once, as one string (theme_count.py): the counts
    # search it, and the discovery sample's tokens are its pieces (a sampled ticket is a counted one).
    joined = {key: theme_count.normalised_all([texts[i] for i in picked]) for key, picked in chosen.items()}
    discovery: dict[str, dict[int, set[str]]] = {}
    for category in CATEGORIES:
        sample = _sample(chosen[(category, 0)], SAMPLE)
        if sample:
            pieces = dict(zip(chosen[(category, 0)], joined[(category, 0)].split(theme_count.SEPARATOR),
                              strict=True))
            discovery[category] = {i: token_phrases(pieces[i].split()) for i in sample}
    found = _discover(discovery, min_tickets)
    coverage = _coverage(db)
    result = []
    for category in CATEGORIES:
        groups = found.get(category, [])
        counts = [[0, 0] for _ in groups]
        estimated = False
        for w in range(len(windows)):
            hits = theme_count.count_normalised(joined[(category, w)], groups) if groups and chosen[(category, w)] \
                else [0] * len(groups)
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
    """How many of ``texts`` are in each theme (any of its phrases): all
    of them normalised and searched at once (theme_count.py)."""
    return theme_count.count([_joined(subject, body) for subject, body in texts], groups)


def _joined(subject: str, body: str | None) -> str:
    """Subject and message as one text; the bar between them keeps a phrase
    from running from the subject into the message (the tokens of the two
    are the subject's, a bar and the message's: words.py works token by
    token)."""
    return f"{subject}|{body or ''}"


def _text(subject: str, body: str | None) -> str:
    """Subject and message as one normalised text; the bar between them
    keeps a phrase from running from the subject into the message."""
    return normalised(subject) + "|" + normalised(body or "")


def ticket_ids(db: Database, period: Period, category: str, names: Iterable[str]) -> list[int]:
    """The period's tickets of ``category`` in the theme made of ``names``
    (the drill-down: every ticket, by the same test as the count)."""
    return _matching(db, category, tuple(names), period.start, period.end)


def _matching(db: Database, category: str, names: tuple[str, ...], start: str, end: str) -> list[int]:
    padded = [f" {p} " for p in names]
    found = _texts(db, _ids(db, category, start, end))
    return sorted(i for i, (subject, body) in found.items() if any(p in _text(subject, body) for p in padded))


def rule_for(theme: Theme) -> rules.Rule:
    """The rule one click makes of a theme: its phrases as a search, setting
    the theme's category (added with rules.add, so it is checked there)."""
    from amends.core import rules  # rules imports insights.period: not at import time

    query = " OR ".join(f'"{p}"' for p in theme.phrases or (theme.theme,))
    return rules.Rule(f"Theme: {theme.theme}"[:rules.NAME_LIMIT], query, category=theme.category)


def propose(db: Database, theme: Theme, period: Period) -> int:
    """File a proposal for the theme, linked to its tickets in ``period``."""
    ids = ticket_ids(db, period, theme.category, theme.phrases or (theme.theme,))
    text = (f"Recurring theme \u201c{theme.theme}\u201d in {theme.category}: {theme.tickets} tickets in "
            f"{period.label()} (previous period {theme.previous}). A policy step or an upstream fix?")
    return proposals.file(db, text, ids, category=theme.category)


def count_between(db: Database, category: str, names: Iterable[str], start: str, end: str) -> int:
    """Tickets of ``category`` opened in [start, end) in the theme made of
    ``names`` (upstream changes measure a theme's rate with it)."""
    return len(_matching(db, category, tuple(names), start, end))
