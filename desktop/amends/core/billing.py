"""Billing intervals as the platforms state them: a unit (day, week, month,
year) times a count. Stripe, Recharge, Skio and Cratejoy bill "every month"
or "every 2 weeks", not "every 30 days"; counting a monthly plan in 30-day
steps drifts a cycle behind within a year, so cycle numbers follow the
calendar here.

A month step keeps the day of the start where the month has it and falls
back to the month's last day (started 31 January: 28/29 February, 31 March,
30 April ...), as Stripe's billing anchor does.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

UNITS = ("day", "week", "month", "year")
_UNIT_ALIASES = {"days": "day", "daily": "day", "d": "day", "weeks": "week", "weekly": "week", "w": "week",
                 "months": "month", "monthly": "month", "m": "month", "years": "year", "yearly": "year",
                 "annual": "year", "annually": "year", "y": "year"}
_APPROX_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass(frozen=True)
class Interval:
    """``count`` × ``unit`` between two charges."""

    unit: str
    count: int = 1

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown billing interval unit {self.unit!r} (one of {', '.join(UNITS)})")
        if self.count <= 0:
            raise ValueError(f"a billing interval needs a count above 0, not {self.count}")

    @property
    def approx_days(self) -> int:
        """Days, roughly (30 a month): for the legacy ``cycle_days`` column."""
        return _APPROX_DAYS[self.unit] * self.count

    def label(self) -> str:
        """'every month', 'every 2 weeks'."""
        return f"every {self.unit}" if self.count == 1 else f"every {self.count} {self.unit}s"

    def step(self, start: datetime, cycles: int) -> datetime:
        """The moment ``cycles`` whole intervals after ``start``."""
        if self.unit == "day":
            return start + timedelta(days=self.count * cycles)
        if self.unit == "week":
            return start + timedelta(weeks=self.count * cycles)
        months = self.count * cycles * (12 if self.unit == "year" else 1)
        index = start.month - 1 + months
        year, month = start.year + index // 12, index % 12 + 1
        return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def parse_unit(text: str) -> str:
    """'Month', 'months', 'monthly' → 'month'; ValueError when unknown."""
    value = text.strip().lower()
    value = _UNIT_ALIASES.get(value, value)
    if value not in UNITS:
        raise ValueError(f"unknown billing interval {text!r} (day, week, month or year)")
    return value


def from_days(days: int) -> Interval:
    """The interval an old ``cycle_days`` meant: 30 or 31 days was the only
    way to say "monthly", 7 × n "every n weeks", 365 "yearly"; anything
    else stays in days."""
    if days in (30, 31):
        return Interval("month", 1)
    for months, span in ((2, (60, 61, 62)), (3, (89, 90, 91, 92)), (6, (180, 181, 182, 183, 184))):
        if days in span:
            return Interval("month", months)
    if days in (365, 366):
        return Interval("year", 1)
    if days % 7 == 0:
        return Interval("week", days // 7)
    return Interval("day", days)


def stored(unit: str | None, count: int | None, cycle_days: int) -> Interval:
    """The interval of a subscription row. Rows written by code that only
    knows ``cycle_days`` (no unit) are counted in days, as written."""
    if unit in UNITS and count is not None and count > 0:
        return Interval(unit, int(count))
    return Interval("day", max(1, int(cycle_days)))


def in_force_id(customer: str = ":customer", at: str = ":at") -> str:
    """An SQL expression: the id of the customer's subscription that counts
    at the moment ``at`` (both SQL expressions). Of those in force then
    (started by then, not cancelled by then), the one running longest —
    with two boxes, the customer's tenure is the older one's —; else the
    latest started by then (cancelled before); else the latest. Shared by
    every query that needs "the subscription of a ticket" (cycle, segment,
    plan, churn, cost). Outer columns only in WHERE: SQLite does not see
    them in a subquery's ORDER BY."""
    def one(where: str, order: str) -> str:
        return (f"(SELECT id FROM subscriptions WHERE customer_id = {customer}{where} "
                f"ORDER BY {order} LIMIT 1)")
    return ("coalesce(" + one(f" AND started_at <= {at} AND (cancelled_at IS NULL OR cancelled_at > {at})",
                              "started_at, id") + ", "
            + one(f" AND started_at <= {at}", "started_at DESC, id DESC") + ", "
            + one("", "started_at DESC, id DESC") + ")")


#: tickets.subscription_id (schema 4): the subscription in force when the ticket was opened, stamped;
#: NULL = not stamped (read computes it), 0 = none. No trigger on inserting a ticket (a trigger on
#: tickets' inserts costs every ticket insert about 2.5x: SQLite then seeks each of its ~20 indexes
#: afresh), so a new ticket is unstamped until a writer stamps it (stamp_sql) or a change of the
#: customer's subscriptions does (the triggers of schema 4).
NOT_STAMPED_NONE = 0


def in_force_of_ticket(ticket: str = "t") -> str:
    """An SQL expression: billing.in_force_id for the ticket ``ticket`` (an
    alias of tickets) — its stamp when it has one, else computed. Exactly
    in_force_id(customer_id, created_at) at every moment (triggers keep the
    stamps right when subscriptions or the ticket change)."""
    return (f"CASE WHEN {ticket}.subscription_id IS NULL "
            f"THEN {in_force_id(f'{ticket}.customer_id', f'{ticket}.created_at')} "
            f"ELSE nullif({ticket}.subscription_id, {NOT_STAMPED_NONE}) END")


def stamp_sql(where: str = "") -> str:
    """An UPDATE stamping tickets (``where``: an SQL condition on tickets, or
    every ticket): writers of many tickets run it once, after them."""
    value = f"coalesce({in_force_id('tickets.customer_id', 'tickets.created_at')}, {NOT_STAMPED_NONE})"
    return f"UPDATE tickets SET subscription_id = {value}" + (f" WHERE {where}" if where else "")


def cycle_number(started: datetime, interval: Interval, at: datetime) -> int:
    """1 + the whole intervals between ``started`` and ``at``; a moment
    before the start is cycle 1."""
    if at <= started:
        return 1
    if interval.unit in ("day", "week"):
        span = timedelta(days=interval.approx_days)
        return 1 + int((at - started) // span)
    # Months: a first guess from the calendar, then corrected by stepping.
    months_per = interval.count * (12 if interval.unit == "year" else 1)
    guess = max(0, ((at.year - started.year) * 12 + at.month - started.month) // months_per)
    while guess > 0 and interval.step(started, guess) > at:
        guess -= 1
    while interval.step(started, guess + 1) <= at:
        guess += 1
    return 1 + guess


def next_charge(started: datetime, interval: Interval, at: datetime) -> datetime:
    """When the cycle that ``at`` falls in ends (the next renewal)."""
    return interval.step(started, cycle_number(started, interval, at))
