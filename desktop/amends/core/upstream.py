"""Upstream fixes: changes made outside support ("double-wall boxes from
15 May", "new roaster for the espresso blend") that should lower a
category's or a theme's complaints. Recorded in the Policies pane, listed
in the policy history and the report, and measured exactly as flag (b) of
the recurring gap measures a published policy version: the rate per 1,000
active subscribers in the ``window_days`` before the change against the
``window_days`` after it (scaled when today cuts the after-window short; no
verdict before ``MIN_AFTER_DAYS``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from amends.core import audit, clock
from amends.core.errors import NotFound, ValidationError
from amends.core.insights.numbers import per_thousand
from amends.core.insights.recurring import MIN_AFTER_DAYS, _count
from amends.core.insights.subscribers import active_in
from amends.core.insights.themes import count_between
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import CATEGORIES

WHAT_LIMIT = 200
_COLUMNS = "id, what, effective_at, category, theme, policy_id, recorded_at, recorded_by"


@dataclass(frozen=True)
class UpstreamChange:
    id: int
    what: str
    effective_at: str
    category: str
    theme: str | None
    policy_id: int | None
    recorded_at: str
    recorded_by: str

    @property
    def scope(self) -> str:
        return f"{self.category} \u201c{self.theme}\u201d" if self.theme else self.category


@dataclass(frozen=True)
class Measured:
    """Before and after one change, per 1,000 active subscribers."""

    change: UpstreamChange
    rate_before: float
    rate_after: float
    days_after: float
    flag: bool
    reason: str


def _effective(text: str) -> str:
    """A day (YYYY-MM-DD: from its start, UTC) or an ISO time."""
    try:
        if len(text.strip()) == 10:
            return clock.to_iso(datetime.combine(datetime.fromisoformat(text.strip()).date(), time(), UTC))
        return clock.to_iso(clock.parse_iso(text.strip()))
    except ValueError:
        raise ValidationError([("effective", f"{text!r} is not a date (YYYY-MM-DD)")]) from None


def record(db: Database, what: str, effective: str, category: str, *, theme: str | None = None,
           policy_id: int | None = None) -> UpstreamChange:
    """Record a change made upstream; one transaction, audited."""
    problems = []
    if not what.strip():
        problems.append(("what", "say what was changed"))
    elif len(what.strip()) > WHAT_LIMIT:
        problems.append(("what", f"at most {WHAT_LIMIT} characters"))
    if category not in CATEGORIES:
        problems.append(("category", f"unknown category {category!r}"))
    if problems:
        raise ValidationError(problems)
    at = _effective(effective)
    phrase = " ".join((theme or "").split()) or None
    now = clock.now_iso()
    with db.transaction() as conn:
        if policy_id is not None and conn.execute("SELECT 1 FROM policies WHERE id = ?",
                                                  (policy_id,)).fetchone() is None:
            raise NotFound(f"Policy {policy_id} does not exist.")
        change_id = inserted_id(conn.execute(
            "INSERT INTO upstream_changes (what, effective_at, category, theme, policy_id, recorded_at, recorded_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (what.strip(), at, category, phrase, policy_id, now, db.actor)))
        audit.record(conn, db.actor, "upstream_change", change_id, "record",
                     {"what": what.strip(), "effective_at": at, "category": category, "theme": phrase}, at=now)
    return get(db, change_id)


def get(db: Database, change_id: int) -> UpstreamChange:
    row = db.tuples(f"SELECT {_COLUMNS} FROM upstream_changes WHERE id = ?", (change_id,))
    if not row:
        raise NotFound(f"Upstream change {change_id} does not exist.")
    return UpstreamChange(*row[0])


def changes(db: Database, category: str | None = None) -> list[UpstreamChange]:
    """Every recorded change (of one category), oldest first."""
    sql = f"SELECT {_COLUMNS} FROM upstream_changes"
    params: tuple = ()
    if category is not None:
        sql += " WHERE category = ?"
        params = (category,)
    return [UpstreamChange(*r) for r in db.tuples(sql + " ORDER BY effective_at, id", params)]


def _rate(db: Database, change: UpstreamChange, start: str, end: str, window_days: int) -> tuple[float, float]:
    days = (clock.parse_iso(end) - clock.parse_iso(start)) / timedelta(days=1)
    if days <= 0:
        return 0.0, 0.0
    count = (count_between(db, change.category, (change.theme,), start, end) if change.theme
             else _count(db, change.category, start, end))
    return per_thousand(count, active_in(db, start, end)) * window_days / days, days


def measure(db: Database, change: UpstreamChange, window_days: int = 90, *, now: str | None = None) -> Measured:
    """The rate before and after the change, as flag (b) does for a policy."""
    now = now or clock.now_iso()
    at = clock.parse_iso(change.effective_at)
    window = timedelta(days=window_days)
    after_end = min(at + window, clock.parse_iso(now))
    before, _ = _rate(db, change, clock.to_iso(at - window), change.effective_at, window_days)
    after, observed = _rate(db, change, change.effective_at, clock.to_iso(after_end), window_days)
    day = change.effective_at[:10]
    if observed < MIN_AFTER_DAYS:
        return Measured(change, round(before, 3), round(after, 3), observed, False,
                        f"changed {day}: too early to tell ({max(observed, 0):.0f} days)")
    if after >= before:
        return Measured(change, round(before, 3), round(after, 3), observed, True,
                        f"changed {day}, but the rate did not fall: {after:.2f} per 1,000 after vs {before:.2f} "
                        f"before ({window_days} days each)")
    return Measured(change, round(before, 3), round(after, 3), observed, False,
                    f"changed {day} and the rate fell: {after:.2f} per 1,000 after vs {before:.2f} before")


def measured(db: Database, window_days: int = 90, *, now: str | None = None) -> list[Measured]:
    """Every change with its before/after, for the Review and the report."""
    return [measure(db, c, window_days, now=now) for c in changes(db)]
