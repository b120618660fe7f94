"""The share of customers answered within the reply target, by category and
by the person who answered (insights key ``reply_targets``).

Each wait comes from the messages (kept per reply in reply_waits, schema 7): it starts at the customer's first
message after our last reply and ends at our next reply. A wait counts in
the period when it ended there (answered) or fell due there unanswered
(missed, put on the ticket's assignee; not when the ticket is resolved). Within target = the business time
waited is at most the first-reply target (no reply before) or the next-reply
one. Waits with no target, or still waiting and not yet due, are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from amends.core import clock, targets
from amends.core.business_hours import BusinessHours
from amends.core.insights.period import Period
from amends.core.insights.records import JSON
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, PRIORITIES

UNASSIGNED = "(unassigned)"
#: What due_between reads of an open wait: the copies of its ticket on reply_open (schema 8, V8REPLY).
OPEN_WAITS = targets.WaitColumns(since="o.began", first="o.replied = 0", replied="o.replied = 1",
                                 kind="(o.category, o.priority)", waiting="o.waiting = 1")


@dataclass(frozen=True, slots=True)
class TargetShare:
    key: str          # a category id, or a person
    answered: int     # waits counted (replied or missed)
    within: int       # replied within the target

    @property
    def share(self) -> float | None:
        return self.within / self.answered if self.answered else None

    def to_json(self, name: str) -> JSON:
        return {name: self.key, "waits": self.answered, "within_target": self.within, "share": self.share}


@dataclass(frozen=True, slots=True)
class ReplyTargets:
    total: TargetShare
    by_category: tuple[TargetShare, ...]
    by_person: tuple[TargetShare, ...]

    def to_json(self) -> JSON:
        return {"waits": self.total.answered, "within_target": self.total.within, "share": self.total.share,
                "by_category": [c.to_json("category") for c in self.by_category],
                "by_person": [p.to_json("person") for p in self.by_person]}


#: How far before the period a wait decided in SQL may begin (the clock bound is never longer than this).
_REACH = timedelta(days=14)
#: A bound no wait reaches (never open: no open time passes, every answered wait is within its target).
_FOREVER = 10 ** 12


def clock_bound(hours: BusinessHours, minutes: int, period: Period) -> int | None:
    """The longest wait on the clock, in seconds, that is within ``minutes`` of open time whenever it lies
    (answered in the period): such a wait needs no walk through the opening hours. None: none is known
    (open spans that overlap: business_time_between counts an overlap twice, so only the walk says).

    With disjoint spans the open time of a window of clock length L is largest when the window starts where
    a span opens (moved back into an open span it gains at its start what it may lose at its end; moved
    forward out of closed time it loses nothing), so the bound is the shortest time from a span's opening
    to the moment ``minutes`` of open time have passed (``add``), over the openings of the days a wait of
    at most ``_REACH`` answered in the period can touch."""
    limit = timedelta(minutes=minutes)
    if hours.never_open:
        return _FOREVER
    if hours.always_open:
        return minutes * 60
    if not hours.disjoint:
        return None
    first = period.since - _REACH - timedelta(days=2)
    shortest = _REACH
    for n in range((period.until - first).days + 3):
        for opens, _closes in hours.spans(first + timedelta(days=n)):
            shortest = min(shortest, hours.add(opens, limit) - opens)
    return int(max(shortest, limit).total_seconds())


def _surely_due(hours: BusinessHours, minutes: int, start: str, end: str, as_of: str) -> tuple[datetime, datetime] | None:
    """The waits begun from the first to the second time (inclusive) fall due within the period, at or
    before ``as_of``, with a target of ``minutes``: no need to add the target to each one. Adding open time
    never moves a due time back when a later wait begins (spans that do not overlap), so it holds for all of
    them when it holds for both ends, which is checked here by adding it to them. None: not known."""
    limit = timedelta(minutes=minutes)
    # subtract gives the latest wait already due before the period (due at its start, or before it): a
    # second later is the first that may not be; each end is checked below by adding the target to it
    low = hours.subtract(clock.parse_iso(start), limit) + timedelta(seconds=1)
    high = hours.subtract(min(clock.parse_iso(as_of), clock.parse_iso(end) - timedelta(seconds=1)), limit)
    first, last = clock.to_iso(hours.add(low, limit)), clock.to_iso(hours.add(high, limit))
    if low <= high and start <= first and last < end and last <= as_of:
        return low, high
    return None


#: The people who answered, one index seek each (a loose scan of reply_waits_figures: live, then author).
_PEOPLE = """people (author) AS (SELECT min(author) FROM reply_waits WHERE live = 1
    UNION ALL SELECT (SELECT min(w.author) FROM reply_waits w WHERE w.live = 1 AND w.author > p.author)
    FROM people p WHERE p.author IS NOT NULL)"""
#: One (person, category, priority, first reply) and its waits answered in the period: one range of the index.
_GROUP = """FROM people p CROSS JOIN limits l CROSS JOIN reply_waits w
    WHERE p.author IS NOT NULL AND w.live = 1 AND w.author = p.author AND w.category = l.category
      AND w.priority = l.priority AND w.first_reply = l.first_reply AND w.answered_at >= ? AND w.answered_at < ?"""


def reply_targets(db: Database, period: Period, *, now: str | None = None) -> ReplyTargets:
    """The answered waits of the period from reply_waits (schema 7, V7REPLY: one row per reply that
    answered a wait, kept by triggers on the messages; schema 8, V8REPLY: with its ticket's category,
    priority and merged state copied on it), counted in SQL per person, category, priority and first or
    next reply against each kind of ticket's clock bound (:func:`clock_bound`): each of those is one range
    of the covering index reply_waits_figures, so no ticket is read and nothing is sorted. Only a wait
    longer than its bound on the clock, or with a time SQL cannot count, comes to Python to walk the
    opening hours. Missed waits are the open ones (reply_open, with its ticket's kind, assignee, first
    reply or not and waiting state copied on it) of unresolved tickets falling due in the period: a range
    of reply_open_due narrowed by due_between to the due window widened a day each side, then each one's
    due time exactly."""
    reply = targets.load(db)
    start, end = period.start, period.end
    hours = reply.hours
    by_clock = hours.disjoint
    as_of = min(now or clock.now_iso(), end)
    # One tally per (category, person, met); the three views are summed from it at the end.
    tally: Counter[tuple[str, str, bool]] = Counter()

    limits: list[tuple[str, int, int, int | None]] = []
    bounds: dict[int, int | None] = {}
    for category in CATEGORIES:
        for priority in PRIORITIES:
            for first in (1, 0):
                minutes = reply.minutes(category, priority, bool(first))
                if minutes is None:  # no target: the wait is not counted
                    continue
                if minutes not in bounds:
                    bounds[minutes] = clock_bound(hours, minutes, period)
                limits.append((category, priority, first, bounds[minutes]))
    if limits:
        # typed: PostgreSQL takes an untyped parameter in VALUES as text
        values = ", ".join("(?, CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS BIGINT))" for _ in limits)
        head = f"WITH RECURSIVE {_PEOPLE}, limits (category, priority, first_reply, bound) AS (VALUES {values})"
        args = (*(v for row in limits for v in row), start, end)
        # within the bound on the clock: within the target, counted in each range
        for category, author, within in db.tuples(
                f"""{head} SELECT l.category, p.author, (SELECT count(*) FROM reply_waits w
                        WHERE w.live = 1 AND w.author = p.author AND w.category = l.category
                          AND w.priority = l.priority AND w.first_reply = l.first_reply
                          AND w.answered_at >= ? AND w.answered_at < ? AND w.seconds <= l.bound)
                    FROM people p CROSS JOIN limits l WHERE p.author IS NOT NULL""", args):
            if within:
                tally[(category, author, True)] += within
        for category, priority, first, author, began_at, answered_at in db.tuples(
                f"""{head} SELECT l.category, l.priority, l.first_reply, p.author, w.began, w.answered_at {_GROUP}
                    AND (w.seconds IS NULL OR l.bound IS NULL OR w.seconds > l.bound)""", args):
            minutes = reply.minutes(category, priority, bool(first))
            if minutes is None:
                continue
            began, answered = clock.parse_iso(began_at), clock.parse_iso(answered_at)
            limit = timedelta(minutes=minutes)
            # Open time never exceeds the time on the clock (spans that do not overlap): a reply within the
            # limit by the clock is within it in business time too, without walking the opening hours.
            met = (by_clock and answered - began <= limit) or hours.business_time_between(began, answered) <= limit
            tally[(category, author, met)] += 1

    lengths = reply.lengths()
    if not hours.never_open and lengths:
        after = clock.parse_iso(start) - timedelta(days=1)
        # the open wait of reply_open (the replay's), not tickets.waiting_since: they differ at a tie; read
        # with the copies of its ticket kept on it (V8REPLY), the waiting ones a range of reply_open_due
        where, params = reply.due_between(after, clock.parse_iso(as_of) + timedelta(days=1), OPEN_WAITS)
        # every target's window of began lies after this: the range's lower end
        earliest = clock.to_iso(min(hours.subtract(after, timedelta(minutes=n)) for n in lengths))
        inside: dict[int, tuple[datetime, datetime] | None] = {}
        for category, priority, assignee, waiting, replied in db.tuples(
                f"SELECT o.category, o.priority, o.assignee, o.began, o.replied FROM reply_open o "
                f"WHERE {where} AND o.began > ? AND o.began < ?", (*params, earliest, end)):
            minutes = reply.minutes(category, priority, not replied)
            if minutes is None:
                continue
            if minutes not in inside:
                inside[minutes] = _surely_due(hours, minutes, start, end, as_of) if by_clock else None
            sure = inside[minutes]
            if sure is not None and sure[0] <= clock.parse_iso(waiting) <= sure[1]:
                tally[(category, assignee or UNASSIGNED, False)] += 1
                continue
            due = reply.due_at(category, priority, waiting, "replied" if replied else None)
            if due is not None and start <= due < end and due <= as_of:
                tally[(category, assignee or UNASSIGNED, False)] += 1

    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (category, person, met), n in tally.items():
        for key in (("", ""), ("c", category), ("p", person)):
            counts[key][0] += n
            counts[key][1] += n if met else 0

    def shares(kind: str) -> tuple[TargetShare, ...]:
        found = [TargetShare(key, n, k) for (group, key), (n, k) in counts.items() if group == kind]
        return tuple(sorted(found, key=lambda s: (-s.answered, s.key)))

    total = counts.get(("", ""), [0, 0])
    return ReplyTargets(TargetShare("", total[0], total[1]), shares("c"), shares("p"))
