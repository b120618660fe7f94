"""The Review's figures as typed records.

``compute()`` returns a :class:`Review`; ``Review.to_json()`` is what
``amends insights --json`` prints, the Review pane shows and the report
draws. That JSON is a public contract (README, docs/INSIGHTS.md): every
``to_json()`` here writes its keys explicitly, in the order they have always
had, and passes values through unchanged (an offer of 10 stays ``10``, not
``10.0``), so a new field on a record never changes the output by accident.
tests/core/test_insights.py compares it, key by key, with a recorded file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from amends.core import money
from amends.core.insights.period import Period

#: One JSON object as ``json.dumps`` takes it.
JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MonthCount:
    month: str  # YYYY-MM
    tickets: int

    def to_json(self) -> JSON:
        return {"month": self.month, "tickets": self.tickets}


@dataclass(frozen=True, slots=True)
class Complaint:
    """Gap 1, one category: how often it comes up and whether a policy fixes it."""

    category: str
    tickets: int
    active_subscribers: int
    per_1000_active: float
    covered_by_policy: bool
    last_policy_change: str | None
    monthly: tuple[MonthCount, ...]
    flag: bool
    reason: str
    rate_before: float | None = None
    rate_after: float | None = None

    def to_json(self) -> JSON:
        return {"category": self.category, "tickets": self.tickets, "active_subscribers": self.active_subscribers,
                "per_1000_active": self.per_1000_active, "covered_by_policy": self.covered_by_policy,
                "last_policy_change": self.last_policy_change, "monthly": [m.to_json() for m in self.monthly],
                "flag": self.flag, "reason": self.reason, "rate_before": self.rate_before,
                "rate_after": self.rate_after}


Row = TypeVar("Row", Complaint, Mapping[str, Any])


def by_concern(rows: Iterable[Row]) -> list[Row]:
    """Gap 1's rows in the order people read them: flagged categories first,
    then the most tickets (ties keep the vocabulary's order). The one place
    this order is written: the CLI, the Review pane and the PDF report all
    call it. Takes the records or their JSON form (the pane and the report
    hold the JSON)."""
    return sorted(rows, key=_concern)


def _concern(row: Complaint | Mapping[str, Any]) -> tuple[bool, int]:
    flag, tickets = (row.flag, row.tickets) if isinstance(row, Complaint) else (row["flag"], row["tickets"])
    return (not flag, -tickets)


@dataclass(frozen=True, slots=True)
class ChurnRate:
    """A proportion with its 95 % Wilson interval (small samples look small)."""

    customers: int
    churned: int
    rate: float
    ci95: tuple[float, float]

    def to_json(self) -> JSON:
        return {"customers": self.customers, "churned": self.churned, "rate": self.rate, "ci95": list(self.ci95)}


@dataclass(frozen=True, slots=True)
class Excluded:
    """Customers left out of the churn figures, by reason (see churn.py)."""

    no_subscription: int = 0
    cancelled_before: int = 0
    unknown_cycle: int = 0
    window_not_over: int = 0

    def to_json(self) -> JSON:
        return {"no_subscription": self.no_subscription, "cancelled_before": self.cancelled_before,
                "unknown_cycle": self.unknown_cycle, "window_not_over": self.window_not_over}


@dataclass(frozen=True, slots=True)
class ChurnFigures:
    """Gap 3: churn after a first ticket, by the cycle it came in."""

    window_days: int
    cycle1: ChurnRate
    later: ChurnRate
    cycle1_recovered: ChurnRate
    cycle1_not_recovered: ChurnRate
    excluded: Excluded

    def group(self, name: str) -> ChurnRate:
        """The rate of a group by its name in ``churn.GROUPS``."""
        rates = {"cycle1": self.cycle1, "later": self.later, "cycle1_recovered": self.cycle1_recovered,
                 "cycle1_not_recovered": self.cycle1_not_recovered}
        return rates[name]

    def to_json(self) -> JSON:
        return {"window_days": self.window_days, "cycle1": self.cycle1.to_json(), "later": self.later.to_json(),
                "cycle1_recovered": self.cycle1_recovered.to_json(),
                "cycle1_not_recovered": self.cycle1_not_recovered.to_json(), "excluded": self.excluded.to_json()}


@dataclass(frozen=True, slots=True)
class OfferSpread:
    """One person's offers in one category."""

    actor: str
    category: str
    count: int
    min: float
    median: float
    max: float

    def to_json(self) -> JSON:
        return {"actor": self.actor, "category": self.category, "count": self.count, "min": self.min,
                "median": self.median, "max": self.max}


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """An offer outside the bounds of the policy version it was made under."""

    ticket_id: int
    ticket_ref: str | None
    actor: str
    category: str
    kind: str | None
    value: float
    min: float | None
    max: float | None
    override_reason: str | None

    def to_json(self) -> JSON:
        return {"ticket": {"id": self.ticket_id, "ref": self.ticket_ref}, "actor": self.actor,
                "category": self.category, "kind": self.kind, "value": self.value, "min": self.min,
                "max": self.max, "override_reason": self.override_reason}


@dataclass(frozen=True, slots=True)
class SkippedStep:
    actor: str
    step: str
    reason: str | None
    count: int

    def to_json(self) -> JSON:
        return {"actor": self.actor, "step": self.step, "reason": self.reason, "count": self.count}


@dataclass(frozen=True, slots=True)
class Consistency:
    """Share of a category's bounded offers that stayed within the bounds."""

    category: str
    offers: int
    within: int
    score: float | None

    def to_json(self) -> JSON:
        return {"category": self.category, "offers": self.offers, "within": self.within, "score": self.score}


@dataclass(frozen=True, slots=True)
class Offers:
    """Gap 2: inconsistent recovery offers."""

    by_actor: tuple[OfferSpread, ...] = ()
    out_of_range: tuple[OutOfRange, ...] = ()
    skipped: tuple[SkippedStep, ...] = ()
    consistency: tuple[Consistency, ...] = ()

    def to_json(self) -> JSON:
        return {"by_actor": [r.to_json() for r in self.by_actor],
                "out_of_range": [r.to_json() for r in self.out_of_range],
                "skipped": [r.to_json() for r in self.skipped],
                "consistency": [r.to_json() for r in self.consistency]}


@dataclass(frozen=True, slots=True)
class Checklist:
    """Checklist completion: resolutions that followed a policy with every step done."""

    resolutions: int
    with_policy: int
    no_policy: int
    complete: int
    rate: float

    def to_json(self) -> JSON:
        return {"resolutions": self.resolutions, "with_policy": self.with_policy, "no_policy": self.no_policy,
                "complete": self.complete, "rate": self.rate}


@dataclass(frozen=True, slots=True)
class OfferTotal:
    count: int
    total: float

    def to_json(self) -> JSON:
        return {"count": self.count, "total": self.total}


@dataclass(frozen=True, slots=True)
class RecoveryCost:
    """What recovery cost in one category: the units (steps done, offers by
    kind), and in money where prices are known (resolutions.py says how).
    ``amount`` is the total when it is in one currency (``currency``),
    else None (see ``amounts``); ``estimated``: part of it is an estimate
    (replacements at the set cost, refunds at one cycle's price);
    ``unpriced``: steps and offers that could not be valued."""

    category: str
    replacements: int
    refunds: int
    offers: Mapping[str, OfferTotal] = field(default_factory=dict)  # by offer kind ("unknown" when none)
    amounts: Mapping[str, float] = field(default_factory=dict)      # currency -> total in major units
    estimated: bool = False
    unpriced: int = 0

    @property
    def currency(self) -> str | None:
        return next(iter(self.amounts)) if len(self.amounts) == 1 else None

    @property
    def amount(self) -> float | None:
        if len(self.amounts) == 1:
            return next(iter(self.amounts.values()))
        return 0.0 if not self.amounts and not self.unpriced else None

    def to_json(self) -> JSON:
        return {"category": self.category, "replacements": self.replacements, "refunds": self.refunds,
                "offers": {kind: total.to_json() for kind, total in self.offers.items()},
                "currency": self.currency, "amount": self.amount, "amounts": dict(self.amounts),
                "estimated": self.estimated, "unpriced": self.unpriced}


def cost_label(row: Mapping[str, Any]) -> str:
    """A ``recovery_cost`` entry (as JSON) in words for the pane, the PDF
    and the CLI: '≈ 43.65 USD (estimated)', '6.00 USD + 600 JPY', with what
    could not be priced: '… · 2 not priced'."""
    amounts = row.get("amounts") or {}
    if amounts:
        text = " + ".join(f"{amount:,.{money.exponent(currency)}f} {currency}" for currency, amount in amounts.items())
        text = f"≈ {text} (estimated)" if row.get("estimated") else text
    else:
        text = "nothing" if not row.get("unpriced") else "not priced"
    unpriced = row.get("unpriced") or 0
    return f"{text} · {unpriced} not priced" if unpriced and amounts else text


@dataclass(frozen=True, slots=True)
class ResolutionFigures:
    """Everything read from one pass over the period's resolutions."""

    offers: Offers
    checklist: Checklist
    recovery_cost: tuple[RecoveryCost, ...]


@dataclass(frozen=True, slots=True)
class Review:
    """Every figure of the Review for one period, as of one moment."""

    period: Period
    as_of: str
    min_tickets: int
    window_days: int
    churn_window_days: int
    recurring: tuple[Complaint, ...]
    cycle1_churn: ChurnFigures
    followups_overdue: int
    offers: Offers
    checklist: Checklist
    recovery_cost: tuple[RecoveryCost, ...]
    #: Survey answers: overall and by category, policy version, person (core/surveys.py).
    satisfaction: JSON = field(default_factory=dict)
    # themes.Theme and saves.SaveOffers (typed as Any: those modules use numbers.py, which uses this one)
    themes: tuple[Any, ...] = ()
    save_offers: Any = None
    #: T17B: answered within the reply target (core/insights/reply_targets.py); None = not computed.
    reply_targets: Any = None

    @property
    def checklist_completion(self) -> float:
        return self.checklist.rate

    def to_json(self) -> JSON:
        """Exactly what ``amends insights --json`` has always printed, then
        (issue 18) ``themes`` and ``save_offers`` at the end."""
        return {"period": self.period.as_dict(), "as_of": self.as_of,
                "thresholds": {"min_tickets": self.min_tickets, "window_days": self.window_days,
                               "churn_window_days": self.churn_window_days},
                "recurring": [r.to_json() for r in self.recurring],
                "cycle1_churn": self.cycle1_churn.to_json(),
                "followups_overdue": self.followups_overdue,
                "offers": self.offers.to_json(),
                "checklist_completion": self.checklist_completion,
                "checklist": self.checklist.to_json(),
                "recovery_cost": [r.to_json() for r in self.recovery_cost],
                "satisfaction": self.satisfaction,
                "themes": [t.to_json() for t in self.themes],
                "save_offers": self.save_offers.to_json() if self.save_offers else None,
                **({} if self.reply_targets is None else {"reply_targets": self.reply_targets.to_json()})}
