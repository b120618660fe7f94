"""Gap 1: recurring complaints that no policy fixes.

Per category, for the period: tickets opened, the rate per 1,000 active
subscribers, the monthly trend, whether a published policy covers it and
when it last changed. Flagged when (a) no published policy covers it and it
had at least ``min_tickets`` tickets, *or* its rate stands out for this
store (see :func:`stands_out`: a one-sided test at ``alpha`` against the
store's other categories and against the category's own history, from
``min_evidence`` tickets), or (b) its policy was changed (a
version other than the first was published) and the rate in the
``window_days`` after the latest change is not lower than in the
``window_days`` before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from amends.core import clock
from amends.core.insights.numbers import binomial_at_least, per_thousand, poisson_at_least
from amends.core.insights.period import FIRST_DAY, Period
from amends.core.insights.records import Complaint, MonthCount
from amends.core.insights.subscribers import active_in
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES

#: An "after" window shorter than this gives no verdict yet.
MIN_AFTER_DAYS = 14
#: Month counts read by one statement (SQLite allows 2,000 result columns, PostgreSQL 1,664).
MONTHS_PER_STATEMENT = 120


@dataclass(frozen=True)
class Thresholds:
    min_tickets: int = 10     # the fixed minimum: this many uncovered tickets flag, whatever the store's size
    window_days: int = 90
    alpha: float = 0.05       # level of the one-sided tests that fit the threshold to the store
    min_evidence: int = 3     # fewer uncovered tickets than this never flag by the tests
    history_periods: int = 4  # previous periods of the same length the history test compares with


@dataclass(frozen=True)
class Verdict:
    """Why an uncovered category stands out (or not), in numbers."""

    flag: bool
    reason: str


def stands_out(tickets: int, active: int, others: list[int], history: tuple[int, int],
               thresholds: Thresholds) -> Verdict | None:
    """Whether ``tickets`` uncovered tickets among ``active`` subscribers
    are more than this store explains, or None when neither test applies.

    * Against the other categories: under "this category is as common as
      the store's typical category" (the median rate per subscriber of the
      other categories, ``others`` being their ticket counts), the count is
      Poisson with mean ``active`` x that rate; flagged when
      P(X >= tickets) < ``alpha``.
    * Against its own history (``history`` = tickets and summed active
      subscribers of the previous periods; used from ``min_evidence``
      tickets there): under "the same rate as before", the period's share
      of the pooled tickets is binomial with p = active / (active +
      exposure); flagged when P(X >= tickets) < ``alpha``.

    Both need ``min_evidence`` tickets, so two tickets at a tiny store are
    never "significant"."""
    if tickets < thresholds.min_evidence or active <= 0:
        return None
    reasons = []
    rates = sorted(n / active for n in others)
    typical = (rates[(len(rates) - 1) // 2] + rates[len(rates) // 2]) / 2 if rates else 0.0
    if typical > 0:
        p = poisson_at_least(tickets, active * typical)
        if p < thresholds.alpha:
            reasons.append(f"{per_thousand(tickets, active):.1f} per 1,000 active vs {1000 * typical:.1f} for "
                           f"the store's typical category (one-sided Poisson test, p = {p:.3g} < {thresholds.alpha:g})")
    before, exposure = history
    if before >= thresholds.min_evidence and exposure > 0:
        p = binomial_at_least(tickets, tickets + before, active / (active + exposure))
        if p < thresholds.alpha:
            reasons.append(f"up from {per_thousand(before, exposure):.1f} per 1,000 active in the "
                           f"{thresholds.history_periods} periods before (one-sided binomial test, "
                           f"p = {p:.3g} < {thresholds.alpha:g})")
    if not reasons:
        return Verdict(False, "")
    return Verdict(True, f"no published policy covers it and its rate stands out: {'; '.join(reasons)}")


def history(db: Database, category: str, period: Period, periods: int) -> tuple[int, int]:
    """Tickets of ``category`` and active subscribers summed over the
    ``periods`` periods of the same length before ``period``."""
    tickets = exposure = 0
    end = period.since
    length = timedelta(days=period.days)
    for _ in range(periods):
        start = end - length
        if start < FIRST_DAY:
            break
        start_iso, end_iso = clock.to_iso(datetime.combine(start, time(), UTC)), \
            clock.to_iso(datetime.combine(end, time(), UTC))
        tickets += _count(db, category, start_iso, end_iso)
        exposure += active_in(db, start_iso, end_iso)
        end = start
    return tickets, exposure


def _count(db: Database, category: str, start: str, end: str) -> int:
    """Tickets opened in the window, a merged one counted once (with the
    ticket it joined): the few merged ones are subtracted, read from their
    partial index, so the count itself stays an index-only range count."""
    return int(db.scalar("SELECT count(*) FROM tickets WHERE category = ? AND created_at >= ? AND created_at < ?",
                         (category, start, end))) - _merged(db, category, start, end).get("", 0)


def _merged(db: Database, category: str, start: str, end: str) -> dict[str, int]:
    """Merged tickets by month ("" = all of them) in the window."""
    counts: dict[str, int] = {}
    for month, n in db.tuples("SELECT substr(created_at, 1, 7), count(*) FROM tickets INDEXED BY tickets_merged "
                              "WHERE merged_into IS NOT NULL AND category = ? AND created_at >= ? AND created_at < ? "
                              "GROUP BY 1", (category, start, end)):
        counts[month] = n
        counts[""] = counts.get("", 0) + n
    return counts


def _monthly(db: Database, category: str, period: Period, months: list[str]) -> dict[str, int]:
    """Tickets of ``category`` opened in each month of the period (merged
    ones included), as one range count per month on the (category,
    created_at) index: counting index entries in a range is several times
    faster than grouping them by ``substr(created_at, 1, 7)`` (issue 16:
    ~7 ms against ~55 ms a category at 1,000,000 tickets). The months
    meet at ``YYYY-MM`` prefixes (a month is exactly the rows whose first
    seven characters name it); the first starts at the period's start and
    the last ends at its end, so together they are the period's count."""
    if not months:
        return {}
    edges = [period.start, *months[1:], period.end]
    found: list[int] = []
    count = "(SELECT count(*) FROM tickets WHERE category = ? AND created_at >= ? AND created_at < ?)"
    for first in range(0, len(months), MONTHS_PER_STATEMENT):  # a long period: a statement's columns are bounded
        spans = list(zip(edges[first:first + MONTHS_PER_STATEMENT], edges[first + 1:], strict=False))
        row = db.tuples("SELECT " + ", ".join(count for _ in spans),
                        [value for lower, upper in spans for value in (category, lower, upper)])[0]
        found += [int(n) for n in row]
    return dict(zip(months, found, strict=True))


def _window_rate(db: Database, category: str, start: str, end: str, window_days: int) -> tuple[float, float]:
    """Rate per 1,000 active subscribers, scaled to a full window when the
    window is cut short by today. Returns (rate, days observed)."""
    days = (clock.parse_iso(end) - clock.parse_iso(start)) / timedelta(days=1)
    if days <= 0:
        return 0.0, 0.0
    rate = per_thousand(_count(db, category, start, end), active_in(db, start, end))
    return rate * window_days / days, days


def complaints(db: Database, period: Period, thresholds: Thresholds = Thresholds(), *,
              now: str | None = None) -> list[Complaint]:
    now = now or clock.now_iso()
    active = active_in(db, period.start, period.end)
    months = period.months()
    published = {r["category"]: (r["first"], r["latest_change"], r["latest"]) for r in db.query(
        """SELECT p.category,
                  min(v.published_at) AS first,
                  max(CASE WHEN v.number > 1 THEN v.published_at END) AS latest_change,
                  max(v.published_at) AS latest
           FROM policies p JOIN policy_versions v ON v.policy_id = p.id
           WHERE v.published_at < ? AND (p.retired_at IS NULL OR p.retired_at >= ?)
           GROUP BY p.category""", (period.end, period.start))}
    rows: list[Complaint] = []
    monthly = {category: _monthly(db, category, period, months) for category in CATEGORIES}
    merged_by = {category: _merged(db, category, period.start, period.end) for category in CATEGORIES}
    # the period's count is its months' counts (they cover it exactly), less the merged tickets
    counts = {c: sum(monthly[c].values()) - merged_by[c].get("", 0) for c in CATEGORIES}
    for category in CATEGORIES:
        tickets = counts[category]
        merged = merged_by[category]
        trend = {m: n - merged.get(m, 0) for m, n in monthly[category].items()}
        first, change, latest = published.get(category, (None, None, None))
        covered = first is not None
        flag, reason = False, ""
        rate_before: float | None = None
        rate_after: float | None = None
        if not covered:
            verdict = None if tickets >= thresholds.min_tickets else stands_out(
                tickets, active, [n for c, n in counts.items() if c != category],
                history(db, category, period, thresholds.history_periods), thresholds)
            if tickets >= thresholds.min_tickets:
                flag = True
                reason = (f"no published policy covers it and it had {tickets} tickets "
                          f"(threshold {thresholds.min_tickets})")
            elif verdict is not None and verdict.flag:
                flag, reason = True, verdict.reason
            else:
                reason = (f"no published policy, but fewer than {thresholds.min_tickets} tickets"
                          + ("" if verdict is None else " and a rate this store explains"))
        elif change is None:
            reason = "covered by a policy that has not been changed since its first version"
        else:
            at = clock.parse_iso(change)
            window = timedelta(days=thresholds.window_days)
            after_end = min(at + window, clock.parse_iso(now))
            before, _ = _window_rate(db, category, clock.to_iso(at - window), change, thresholds.window_days)
            after, observed = _window_rate(db, category, change, clock.to_iso(after_end), thresholds.window_days)
            rate_before, rate_after = round(before, 3), round(after, 3)
            if observed < MIN_AFTER_DAYS:
                reason = f"policy changed {change[:10]}: too early to tell ({observed:.0f} days)"
            elif after >= before:
                flag = True
                reason = (f"policy changed {change[:10]}, but the rate did not fall: {after:.2f} per 1,000 "
                          f"after vs {before:.2f} before ({thresholds.window_days} days each)")
            else:
                reason = (f"policy changed {change[:10]} and the rate fell: {after:.2f} per 1,000 after vs "
                          f"{before:.2f} before")
        rows.append(Complaint(category, tickets, active, round(per_thousand(tickets, active), 3), covered, latest,
                              tuple(MonthCount(m, n) for m, n in trend.items()), flag, reason,
                              rate_before, rate_after))
    return rows
