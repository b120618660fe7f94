"""The oracle of the save offers figures (tests/core/test_save_offers_fast.py):
insights/saves.py as it was before issue 16's rewrite (commit 762942e), kept
verbatim so the faster query and single-pass sums can be checked to give
exactly its figures after any writes. Not used by the app."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
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
    -- cancellation tickets of the period (an index range), and tickets with a resolution since the period began
    -- that made an offer or came from a version with a save-offer step (a resolution follows its ticket)
    SELECT id AS ticket_id FROM tickets WHERE category = 'cancellation' AND created_at >= :start AND created_at < :end
    UNION
    SELECT r.ticket_id FROM resolutions r WHERE r.resolved_at >= :start
       AND (r.offer_value IS NOT NULL
            OR r.policy_version_id IN (SELECT policy_version_id FROM policy_steps WHERE type = 'save_offer'))
), wanted AS (
    SELECT t.id AS ticket_id, t.customer_id, t.created_at, t.category, {in_force_of_ticket('t')} AS subscription_id,
           (SELECT r.id FROM resolutions r WHERE r.ticket_id = t.id ORDER BY r.id DESC LIMIT 1) AS resolution_id
    FROM candidates c JOIN tickets t ON t.id = c.ticket_id
    WHERE t.created_at >= :start AND t.created_at < :end AND t.merged_into IS NULL AND t.customer_id IS NOT NULL
), qualifying AS (
    SELECT w.*, row_number() OVER (PARTITION BY w.customer_id ORDER BY w.created_at, w.ticket_id) AS nth
    FROM wanted w LEFT JOIN resolutions r ON r.id = w.resolution_id
    WHERE w.category = 'cancellation' OR r.offer_value IS NOT NULL
       OR EXISTS (SELECT 1 FROM resolution_steps s WHERE s.resolution_id = r.id AND s.type = 'save_offer')
), firsts AS (
    SELECT q.*,
           strftime('%Y-%m-%dT%H:%M:%SZ', q.created_at, :window) AS deadline
    FROM qualifying q WHERE q.nth = 1
)
SELECT f.ticket_id, f.customer_id, f.created_at, f.deadline, s.started_at, s.cancelled_at, s.price_minor,
       s.currency, r.actor, r.policy_version_id, r.offer_kind, r.offer_value,
       (SELECT count(*) FROM subscriptions o WHERE o.customer_id = f.customer_id AND o.started_at <= f.deadline
        AND (o.cancelled_at IS NULL OR o.cancelled_at > f.deadline)) AS in_force_at_end
FROM firsts f
LEFT JOIN subscriptions s ON s.id = f.subscription_id
LEFT JOIN resolutions r ON r.id = f.resolution_id
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


@dataclass(frozen=True, slots=True)
class _Customer:
    ticket_id: int
    band: str
    retained: bool
    actor: str | None
    version: str | None
    cost_minor: float | None  # None: could not be priced
    currency: str | None


def _customers(db: Database, period: Period, window_days: int, now: str) -> tuple[list[_Customer], Excluded]:
    cutoff = clock.to_iso(clock.parse_iso(now) - timedelta(days=window_days))
    found: list[_Customer] = []
    no_subscription = not_over = 0
    labels = dict(db.tuples("SELECT v.id, p.name || ' v' || v.number FROM policy_versions v "
                            "JOIN policies p ON p.id = v.policy_id"))
    for (ticket_id, _customer, created, _deadline, started, cancelled, price, currency, actor, version_id,
         kind, value, in_force_at_end) in db.tuples(
            ROWS_SQL, {"start": period.start, "end": period.end, "window": f"+{int(window_days)} days"}):
        if started is None or started > created or (cancelled is not None and cancelled <= created):
            no_subscription += 1
            continue
        if created > cutoff:
            not_over += 1
            continue
        which = band(kind, value)
        cost: float | None = 0.0
        if which == NO_OFFER:
            cost = 0.0
        elif kind in ("percent_next_cycle", None) and price is not None and currency:
            cost = price * value / 100
        elif kind == "account_credit" and currency:
            cost = value * 10 ** money.exponent(currency)
        else:
            cost = None
        found.append(_Customer(ticket_id, which, bool(in_force_at_end), actor, labels.get(version_id), cost,
                               currency))
    return found, Excluded(no_subscription, not_over)


def _band(name: str, members: list[_Customer], by: str | None = None) -> Band:
    n = len(members)
    kept = sum(1 for m in members if m.retained)
    low, high = wilson(kept, n)
    offered = [m for m in members if m.band != NO_OFFER]
    currencies = {m.currency for m in members if m.currency}
    currency = next(iter(currencies)) if len(currencies) == 1 else None
    amount: float | None
    if not offered:
        amount = 0.0
    elif any(m.cost_minor is None for m in offered) or len({m.currency for m in offered}) != 1 or not kept:
        amount = None
    else:
        total = sum(m.cost_minor or 0.0 for m in offered)
        amount = money.from_minor(total / kept, currency)
    return Band(name, n, kept, round(kept / n, 4) if n else 0.0, (round(low, 4), round(high, 4)),
                Cost(amount, currency), by)


def _breakdown(members: Iterable[_Customer], key: str) -> tuple[Band, ...]:
    groups: dict[tuple[str, str], list[_Customer]] = defaultdict(list)
    for m in members:
        groups[(getattr(m, key) or "(none)", m.band)].append(m)
    return tuple(_band(b, groups[(who, b)], who) for who, b in sorted(groups, key=lambda k: (k[0], BANDS.index(k[1]))))


def save_offers(db: Database, period: Period, window_days: int = 60, *, now: str | None = None) -> SaveOffers:
    members, excluded = _customers(db, period, window_days, now or clock.now_iso())
    by_band: dict[str, list[_Customer]] = {b: [] for b in BANDS}
    for m in members:
        by_band[m.band].append(m)
    return SaveOffers(window_days, tuple(_band(b, by_band[b]) for b in BANDS),
                      _breakdown(members, "actor"), _breakdown(members, "version"), excluded)


def ticket_ids(db: Database, period: Period, window_days: int, which: str | None, *, retained: bool | None = None,
               actor: str | None = None, now: str | None = None) -> list[int]:
    """The first tickets of the customers behind a band's figure (None: all
    bands), only the retained (True) or lost (False) ones when asked."""
    members, _ = _customers(db, period, window_days, now or clock.now_iso())
    return sorted(m.ticket_id for m in members
                  if (which is None or m.band == which) and (retained is None or m.retained is retained)
                  and (actor is None or m.actor == actor))
