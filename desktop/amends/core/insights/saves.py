"""What save offers save: of the customers who said they wanted to leave,
how many were still subscribed N days later, by what they were offered.

Who counts (docs/INSIGHTS.md, "Save offers"): customers with a ticket
*opened in the period* (not merged into another) that is a cancellation
ticket (category ``cancellation``) or whose latest resolution recorded an
offer or a save-offer step (done or skipped). Each customer counts once, at
their first such ticket in the period: its opening time is day 0.

What they were offered: the offer of that ticket's latest resolution. No
resolution, or one without an offer, is "no offer". Bands: percent of the
next cycle 0, 1–10, 11–20, over 20 (an offer of exactly 10 is in 1–10, of
10.5 in 11–20); an account credit up to 10 or over 10 (in the plan's
currency); a free add-on. Offers of any other kind are "other".

Retained: a subscription of theirs is in force at day 0 + ``window_days``
(started by then and not cancelled by then: keeping another box counts).
Left out: customers without a ticket customer, without a subscription in
force at day 0, and those whose window has not ended (day 0 + N after now).

Cost per retained customer: everything offered to the band's customers
(retained or not), priced as the recovery cost is (resolutions.py: a
percent of the price per cycle of the subscription in force at day 0, a
credit at its amount), divided by the customers retained. None when
nothing was retained but something was offered, when the offers are in
several currencies, or when an offer cannot be priced (a free add-on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from operator import itemgetter
from typing import Any

from amends.core import clock, money
from amends.core.billing import in_force_of_ticket
from amends.core.insights.numbers import wilson
from amends.core.insights.period import Period
from amends.core.store import Database

NO_OFFER = "no offer"
#: Every band, in the order shown (the JSON lists them all, empty or not).
BANDS = (NO_OFFER, "0 %", "1–10 %", "11–20 %", "> 20 %", "credit ≤ 10", "credit > 10", "free add-on", "other")

ROWS_SQL = f"""
WITH candidates AS (
    -- the resolved tickets that count (schema 8, V8SAVES: kept per ticket by triggers, an index range of the
    -- period): a cancellation ticket, or one with a resolution making an offer or from a version with a
    -- save-offer step in or after the period (the latest of them is offered_at) whose latest resolution
    -- recorded an offer or a save-offer step
    SELECT k.ticket_id, k.customer_id, k.created_at, k.subscription_id, k.actor, k.policy_version_id,
           k.offer_kind, k.offer_value
    FROM save_candidates k
    WHERE k.created_at >= :start AND k.created_at < :end AND (k.cancellation = 1 OR k.offered_at >= :start)
    UNION ALL
    -- the cancellation tickets with no resolution: no offer (a resolved one is a kept row, or does not count);
    -- their ids found in tickets_category_created alone (covering) and only those tickets read (issue 16: at
    -- 1,000,000 tickets SQLite read all ~29,000 cancellation tickets of a quarter for merged_into, to keep ~900)
    SELECT t.id, t.customer_id, t.created_at, t.subscription_id, NULL, NULL, NULL, NULL
    FROM tickets t
    WHERE t.id IN (SELECT c.id FROM tickets c
                   WHERE c.category = 'cancellation' AND c.created_at >= :start AND c.created_at < :end
                     AND NOT EXISTS (SELECT 1 FROM save_candidates d WHERE d.ticket_id = c.id))
      AND t.merged_into IS NULL AND t.customer_id IS NOT NULL
), ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.customer_id ORDER BY c.created_at, c.ticket_id) AS nth
    FROM candidates c
), firsts AS (
    SELECT f.ticket_id, f.customer_id, f.created_at, f.actor, f.policy_version_id, f.offer_kind, f.offer_value,
           {in_force_of_ticket('f')} AS subscription_id,
           strftime('%Y-%m-%dT%H:%M:%SZ', f.created_at, :window) AS deadline
    FROM ranked f WHERE f.nth = 1
)
-- what Python needs of each first ticket, and no timestamp (issue 16: handing Python ~79,000 rows of eleven
-- values, seven of them strings, cost more than ranking them): status 1 = no subscription in force at day 0
-- (none, started after the opening or cancelled by then), 2 = the window is not over (opened after
-- :cutoff, day 0 + N after now), 0 = counted; in force at the end asked with EXISTS (a yes or no is all
-- the figures need)
SELECT f.ticket_id,
       CASE WHEN s.started_at IS NULL OR s.started_at > f.created_at OR s.cancelled_at <= f.created_at THEN 1
            WHEN f.created_at > :cutoff THEN 2 ELSE 0 END AS status,
       s.price_minor, s.currency, f.actor, f.policy_version_id, f.offer_kind, f.offer_value,
       EXISTS (SELECT 1 FROM subscriptions o WHERE o.customer_id = f.customer_id AND o.started_at <= f.deadline
               AND (o.cancelled_at IS NULL OR o.cancelled_at > f.deadline)) AS in_force_at_end
FROM firsts f
LEFT JOIN subscriptions s ON s.id = f.subscription_id
ORDER BY f.ticket_id
"""


def band(kind: str | None, value: float | None) -> str:
    """The band of one offer (see the module's docstring for the edges)."""
    if value is None or not math.isfinite(value):
        return NO_OFFER
    if kind == "free_addon":
        return "free add-on"
    if kind == "account_credit":
        return "0 %" if value <= 0 else ("credit ≤ 10" if value <= 10 else "credit > 10")
    if kind in ("percent_next_cycle", None):
        if value <= 0:
            return "0 %"
        return "1–10 %" if value <= 10 else ("11–20 %" if value <= 20 else "> 20 %")
    return "other"


@dataclass(frozen=True, slots=True)
class Cost:
    amount: float | None
    currency: str | None

    def to_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "currency": self.currency}


@dataclass(frozen=True, slots=True)
class Band:
    """Customers offered one band and how many were still subscribed."""

    band: str
    customers: int
    retained: int
    rate: float
    ci: tuple[float, float]
    cost: Cost
    by: str | None = None  # the person or policy version, in the breakdowns

    def to_json(self) -> dict[str, Any]:
        """The contract of ``insights --json`` (``save_offers.bands``)."""
        return {"band": self.band, "customers": self.customers, "retained": self.retained, "rate": self.rate,
                "ci": list(self.ci), "cost": self.cost.to_json()}


@dataclass(frozen=True, slots=True)
class Excluded:
    no_subscription: int = 0
    window_not_over: int = 0


@dataclass(frozen=True, slots=True)
class SaveOffers:
    window_days: int
    bands: tuple[Band, ...]
    by_actor: tuple[Band, ...] = ()
    by_version: tuple[Band, ...] = ()
    excluded: Excluded = Excluded()

    def to_json(self) -> dict[str, Any]:
        """Exactly ``{"window_days": N, "bands": [...]}``."""
        return {"window_days": self.window_days, "bands": [b.to_json() for b in self.bands]}


#: One counted customer, as a tuple (issue 16: ~79,000 of them in a quarter at 1,000,000 tickets; a
#: dataclass each and three method calls to sum it cost more than the kept rows' query):
#: (ticket id, band, retained, person, version label, cost in minor units or None = could not be priced,
#: currency). The fields by position:
_KEPT, _COST, _CURRENCY = 2, 5, 6
Member = tuple[int, str, bool, str | None, str | None, float | None, str | None]


def _priced(kind: str | None, value: float | None, price: int | None, currency: str | None) -> tuple[str, float | None]:
    """The band of an offer and what it cost in minor units (None: it cannot be priced)."""
    which = band(kind, value)
    if which == NO_OFFER:
        return which, 0.0
    assert value is not None
    if kind in ("percent_next_cycle", None) and price is not None and currency:
        return which, price * value / 100
    if kind == "account_credit" and currency:
        return which, value * 10 ** money.exponent(currency)
    return which, None


#: The lists one kind of row goes to: every member, its band's, its person's band's, its version's band's.
_Sinks = tuple[list[Member], list[Member], list[Member], list[Member]]


def _customers(db: Database, period: Period, window_days: int, now: str,
               groups: tuple[dict[str, list[Member]], dict[tuple[str, str], list[Member]],
                             dict[tuple[str, str], list[Member]]] | None = None) -> tuple[list[Member], Excluded]:
    """The counted customers in ticket order, and how many were left out; with ``groups`` (by band, by
    person and band, by version and band) each member is also added to its three groups in the same pass."""
    cutoff = clock.to_iso(clock.parse_iso(now) - timedelta(days=window_days))
    found: list[Member] = []
    no_subscription = not_over = 0
    labels = dict(db.tuples("SELECT v.id, p.name || ' v' || v.number FROM policy_versions v "
                            "JOIN policies p ON p.id = v.policy_id"))
    by_band, by_actor, by_version = groups if groups is not None else ({b: [] for b in BANDS}, {}, {})
    # the few distinct kinds of row (offer, price, person, version), each banded, priced and given its lists
    # once in this call (the same arithmetic per row), one object per distinct currency, person and label:
    # a row then costs one look-up and four appends, and the groups' passes read a handful of objects, not
    # one fresh string per row scattered over memory (issue 16: 80 of the 120 ms the sums took)
    kinds: dict[tuple[Any, ...], tuple[str, float | None, str | None, str | None, str | None, _Sinks]] = {}
    people: dict[str | None, str | None] = {}
    for (ticket_id, status, price, currency, actor, version_id, kind, value, in_force_at_end) in db.tuples(
            ROWS_SQL, {"start": period.start, "end": period.end, "window": f"+{int(window_days)} days",
                       "cutoff": cutoff}):
        if status:
            if status == 1:
                no_subscription += 1
            else:
                not_over += 1
            continue
        key = (kind, value, price, currency, actor, version_id)
        known = kinds.get(key)
        if known is None:
            which, cost = _priced(kind, value, price, currency)
            person = people.setdefault(actor, actor)
            label = labels.get(version_id)
            sinks = (found, by_band[which], by_actor.setdefault((person or "(none)", which), []),
                     by_version.setdefault((label or "(none)", which), []))
            known = kinds[key] = (which, cost, currency, person, label, sinks)
        which, cost, currency, person, label, (every, band_of, actor_of, version_of) = known
        member = (ticket_id, which, bool(in_force_at_end), person, label, cost, currency)
        every.append(member)
        band_of.append(member)
        actor_of.append(member)
        version_of.append(member)
    return found, Excluded(no_subscription, not_over)


def _figures(name: str, members: list[Member], by: str | None = None) -> Band:
    """One band's (or one person's or version's band's) figures from its customers in ticket order (issue
    16: summed per group with C-level passes, not one Python call per customer and group). Every member of a
    group has the group's band, so either all were offered something or none was. The costs are summed in
    the customers' order, as ``sum`` always did, so the amount is the same to the last bit."""
    n = len(members)
    kept: int = sum(map(itemgetter(_KEPT), members))
    every = set(map(itemgetter(_CURRENCY), members))
    currencies = every - {None, ""}
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    amount: float | None = 0.0
    if name != NO_OFFER and members:
        costs = list(map(itemgetter(_COST), members))
        priced = None not in costs and len(every) == 1 and kept
        amount = money.from_minor(sum(costs) / kept, currency) if priced else None
    low, high = wilson(kept, n)
    return Band(name, n, kept, round(kept / n, 4) if n else 0.0, (round(low, 4), round(high, 4)),
                Cost(amount, currency), by)


def _breakdown(groups: dict[tuple[str, str], list[Member]]) -> tuple[Band, ...]:
    return tuple(_figures(b, groups[(who, b)], who)
                 for who, b in sorted(groups, key=lambda k: (k[0], BANDS.index(k[1]))))


def save_offers(db: Database, period: Period, window_days: int = 60, *, now: str | None = None) -> SaveOffers:
    by_band: dict[str, list[Member]] = {b: [] for b in BANDS}
    by_actor: dict[tuple[str, str], list[Member]] = {}
    by_version: dict[tuple[str, str], list[Member]] = {}
    _, excluded = _customers(db, period, window_days, now or clock.now_iso(), (by_band, by_actor, by_version))
    return SaveOffers(window_days, tuple(_figures(b, by_band[b]) for b in BANDS),
                      _breakdown(by_actor), _breakdown(by_version), excluded)


def ticket_ids(db: Database, period: Period, window_days: int, which: str | None, *, retained: bool | None = None,
               actor: str | None = None, now: str | None = None) -> list[int]:
    """The first tickets of the customers behind a band's figure (None: all
    bands), only the retained (True) or lost (False) ones when asked."""
    members, _ = _customers(db, period, window_days, now or clock.now_iso())
    return sorted(ticket for ticket, b, kept, person, _, _, _ in members
                  if (which is None or b == which) and (retained is None or kept is retained)
                  and (actor is None or person == actor))
