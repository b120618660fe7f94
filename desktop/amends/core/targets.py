"""Reply targets: how soon the customer should hear from us, per category
and priority, counted in business hours (core/business_hours.py).

A ticket that waits (schema 4 ``tickets.waiting_since``) is due at
``waiting_since`` + its target in open time: the first-reply target until we
have replied once (``replied_at``), the next-reply target after. The most
specific target wins: category and priority, category, priority, then the
default row (both empty). No target = never due.

"Overdue" and "due today" are SQL: for each distinct target length the
latest ``waiting_since`` that is already late is computed once in Python
(:meth:`BusinessHours.subtract`), so the search is one indexed comparison
per target, however the business hours fall.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from amends.core import audit, business_hours, clock
from amends.core.business_hours import BusinessHours
from amends.core.errors import ValidationError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, PRIORITIES

#: "Due soon": the target falls due within this much clock time.
DUE_SOON = timedelta(hours=2)
DUE_VALUES = ("today", "tomorrow", "soon", "overdue", "YYYY-MM-DD")


@dataclass(frozen=True)
class Target:
    """One row of the targets table (None = any category / any priority)."""

    category: str | None
    priority: int | None
    first_minutes: int | None
    next_minutes: int | None

    @property
    def label(self) -> str:
        what = [CATEGORIES[self.category] if self.category else "", PRIORITIES.get(self.priority, "")
                if self.priority is not None else ""]
        return " · ".join(w for w in what if w) or "Every ticket"


@dataclass(frozen=True, slots=True)
class WaitColumns:
    """Where a query reads what due_between needs of a waiting ticket: tickets (alias ``t``) by default;
    the Review reads the copies kept on reply_open (schema 8, V8REPLY) instead of each ticket."""

    since: str = "t.waiting_since"                                  # when the wait began
    first: str = "t.replied_at IS NULL"                             # no reply of ours yet
    replied: str = "t.replied_at IS NOT NULL"
    kind: str = "(t.category, t.priority)"
    waiting: str = "t.waiting_since IS NOT NULL AND t.status <> 'resolved'"  # someone waits on it


TICKET_WAITS = WaitColumns()


@dataclass(frozen=True)
class ReplyClock:
    """The file's targets and business hours, read once: what is due when."""

    targets: tuple[Target, ...]
    hours: BusinessHours

    def minutes(self, category: str, priority: int, first: bool) -> int | None:
        """The target for a ticket of that kind, in business minutes (None: none)."""
        best: tuple[int, Target] | None = None
        for target in self.targets:
            if target.category not in (None, category) or target.priority not in (None, priority):
                continue
            rank = (target.category is not None) * 2 + (target.priority is not None)
            if best is None or rank > best[0]:
                best = (rank, target)
        if best is None:
            return None
        return best[1].first_minutes if first else best[1].next_minutes

    def due_at(self, category: str, priority: int, waiting_since: str | None, replied_at: str | None) -> str | None:
        """When the reply is due (ISO UTC), or None when nobody waits or no target applies."""
        if waiting_since is None or self.hours.never_open:
            return None
        minutes = self.minutes(category, priority, replied_at is None)
        if minutes is None:
            return None
        return clock.to_iso(self.hours.add(clock.parse_iso(waiting_since), timedelta(minutes=minutes)))

    def _groups(self) -> dict[tuple[int, bool], list[tuple[str, int]]]:
        """(minutes, first?) → the (category, priority) pairs with that target."""
        groups: dict[tuple[int, bool], list[tuple[str, int]]] = defaultdict(list)
        for category in CATEGORIES:
            for priority in PRIORITIES:
                for first in (True, False):
                    minutes = self.minutes(category, priority, first)
                    if minutes is not None:
                        groups[(minutes, first)].append((category, priority))
        return groups

    def due_between(self, after: datetime | None, upto: datetime,
                    columns: WaitColumns = TICKET_WAITS) -> tuple[str, list]:
        """SQL (alias ``t``, or where ``columns`` say): waiting tickets whose reply falls due in
        (``after``, ``upto``] (``after`` None: any time up to ``upto``)."""
        parts: list[str] = []
        params: list = []
        if self.hours.never_open:
            return "0", []
        c = columns
        for (minutes, first), pairs in sorted(self._groups().items()):
            length = timedelta(minutes=minutes)
            sql = (f"({c.first if first else c.replied} AND {c.kind} IN "
                   f"(VALUES {', '.join('(?, ?)' for _ in pairs)}) AND {c.since} <= ?")
            params += [value for pair in pairs for value in pair]
            params.append(clock.to_iso(self.hours.subtract(upto, length)))
            if after is not None:
                sql += f" AND {c.since} > ?"
                params.append(clock.to_iso(self.hours.subtract(after, length)))
            parts.append(sql + ")")
        if not parts:
            return "0", []
        return f"({c.waiting} AND ({' OR '.join(parts)}))", params

    def lengths(self) -> list[int]:
        """The distinct targets in minutes, first or next reply (empty: no target at all)."""
        return sorted({minutes for minutes, _first in self._groups()})

    def condition(self, value: str, now: str) -> tuple[str, list]:
        """The search terms ``due:<value>`` and ``is:overdue`` / ``is:due-soon``."""
        moment = clock.parse_iso(now)
        lowered = value.lower()
        if lowered == "overdue":
            return self.due_between(None, moment)
        if lowered == "soon":
            return self.due_between(moment, moment + DUE_SOON)
        day = day_of(lowered, moment, self.hours)
        start = datetime.combine(day, time(0), ZoneInfo(self.hours.timezone))
        return self.due_between(start - timedelta(seconds=1), start + timedelta(days=1) - timedelta(seconds=1))


def day_of(value: str, moment: datetime, hours: BusinessHours):
    """``today``, ``tomorrow`` or a date, as the desk's local day."""
    local = moment.astimezone(ZoneInfo(hours.timezone)).date()
    if value == "today":
        return local
    if value == "tomorrow":
        return local + timedelta(days=1)
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(f"due: is one of {', '.join(DUE_VALUES)}") from None


def check_due_value(value: str) -> None:
    """Raise ValueError naming the choices when ``due:<value>`` means nothing."""
    if value.lower() not in ("overdue", "soon"):
        day_of(value.lower(), clock.now(), BusinessHours())


def list_targets(db: Database | sqlite3.Connection) -> list[Target]:
    sql = ("SELECT category, priority, first_minutes, next_minutes FROM reply_targets "
           "ORDER BY category IS NOT NULL, category, priority IS NOT NULL, priority")
    rows = db.execute(sql).fetchall() if isinstance(db, sqlite3.Connection) else db.tuples(sql)
    return [Target(*r) for r in rows]


def load(db: Database) -> ReplyClock:
    return ReplyClock(tuple(list_targets(db)), business_hours.load(db))


def set_target(db: Database, category: str | None, priority: int | None,
               first_minutes: int | None, next_minutes: int | None) -> None:
    """Set one target row (both minutes None: remove it), audited."""
    problems = []
    if category is not None and category not in CATEGORIES:
        problems.append(("category", f"unknown category {category!r}"))
    if priority is not None and priority not in PRIORITIES:
        problems.append(("priority", f"must be one of {', '.join(map(str, PRIORITIES))}"))
    for name, value in (("first_minutes", first_minutes), ("next_minutes", next_minutes)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            problems.append((name, "a target is a positive number of minutes"))
    if problems:
        raise ValidationError(problems)
    with db.transaction() as conn:
        conn.execute("DELETE FROM reply_targets WHERE coalesce(category, '') = ? AND coalesce(priority, -1) = ?",
                     (category or "", -1 if priority is None else priority))
        if first_minutes is not None or next_minutes is not None:
            conn.execute("INSERT INTO reply_targets (category, priority, first_minutes, next_minutes) "
                         "VALUES (?, ?, ?, ?)", (category, priority, first_minutes, next_minutes))
        audit.record(conn, db.actor, "settings", None, "update",
                     {"key": "reply_targets", "category": category, "priority": priority,
                      "after": {"first_minutes": first_minutes, "next_minutes": next_minutes}})


def save_all(db: Database, hours: BusinessHours, rows: list[Target]) -> None:
    """The whole setup at once (the dialog's Save): business hours and every
    target row, replacing what was there, in one transaction, audited."""
    problems = []
    seen: set[tuple[str | None, int | None]] = set()
    for number, row in enumerate(rows, start=1):
        where = f"row {number}"
        if row.category is not None and row.category not in CATEGORIES:
            problems.append((where, f"unknown category {row.category!r}"))
        if row.priority is not None and row.priority not in PRIORITIES:
            problems.append((where, "unknown priority"))
        for name, value in (("first reply", row.first_minutes), ("next reply", row.next_minutes)):
            if value is not None and value <= 0:
                problems.append((where, f"{name}: a target is a positive number of minutes"))
        if (row.category, row.priority) in seen:
            problems.append((where, "the same category and priority twice"))
        seen.add((row.category, row.priority))
    if problems:
        raise ValidationError(problems)
    with db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                     "value = excluded.value, version = version + 1", (business_hours.KEY, hours.to_json()))
        conn.execute("DELETE FROM reply_targets")
        conn.executemany("INSERT INTO reply_targets (category, priority, first_minutes, next_minutes) VALUES (?, ?, ?, ?)",
                         [(r.category, r.priority, r.first_minutes, r.next_minutes) for r in rows
                          if r.first_minutes is not None or r.next_minutes is not None])
        audit.record(conn, db.actor, "settings", None, "update",
                     {"key": "reply_targets", "business_hours": json.loads(hours.to_json()),
                      "targets": [[r.category, r.priority, r.first_minutes, r.next_minutes] for r in rows]})


def describe(minutes: int | None) -> str:
    """A target as people say it: 30 min, 4 h, 2 d (business time)."""
    if minutes is None:
        return "none"
    if minutes % 1440 == 0:
        return f"{minutes // 1440} d"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def parse_duration(text: str) -> int:
    """``30m``, ``4h``, ``2d``, ``1w`` (or plain minutes) → minutes; ValueError otherwise."""
    match = re.fullmatch(r"\s*([0-9]{1,6})\s*(m|min|h|d|w)?\s*", text or "", re.IGNORECASE)
    if not match:
        raise ValueError("a duration is a number with m, h, d or w (30m, 4h, 2d)")
    unit = (match.group(2) or "m").lower()
    return int(match.group(1)) * {"m": 1, "min": 1, "h": 60, "d": 1440, "w": 10080}[unit]
