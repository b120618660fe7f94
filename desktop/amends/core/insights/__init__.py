"""The Review pane's figures: the three gaps and what surrounds them.

Everything is computed here, without Qt, so the pane, ``amends insights
--json`` and the quarterly report show the same numbers. Definitions are in
docs/INSIGHTS.md and in each module's docstring.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from amends.core import clock, errors
from amends.core.insights.churn import cycle1_churn
from amends.core.insights.period import Period, last_full_quarter, parse
from amends.core.insights.records import (
    ChurnRate,
    Complaint,
    Review,
    by_concern,
    cost_label,
)
from amends.core.insights.recovery import followups_overdue
from amends.core.insights.recurring import Thresholds, complaints
from amends.core.insights.reply_targets import reply_targets
from amends.core.insights.resolutions import resolution_figures
from amends.core.insights.saves import SaveOffers, save_offers
from amends.core.insights.themes import Theme
from amends.core.insights.themes import themes as find_themes
from amends.core.store import Database

__all__ = ["Cancelled", "ChurnRate", "Complaint", "Period", "Review", "SaveOffers", "Settings", "Theme",
           "Thresholds", "by_concern", "compute", "cost_label", "last_full_quarter", "parse"]

log = logging.getLogger(__name__)

Cancelled = errors.Cancelled


@dataclass(frozen=True)
class Settings:
    thresholds: Thresholds = field(default_factory=Thresholds)
    churn_window_days: int = 60
    save_window_days: int = 60   # save offers: retained = still subscribed this many days after the ticket
    theme_min_tickets: int = 3   # a theme needs at least this many tickets sharing its phrase


def compute(db: Database, period: Period, settings: Settings = Settings(), *, now: str | None = None,
            progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> Review:
    """Every figure for ``period`` as typed records; ``.to_json()`` is what
    ``amends insights --json`` prints. Reports progress between the parts
    and stops (raising :class:`Cancelled`) when asked."""
    as_of = now or clock.now_iso()
    report = progress or (lambda done, total: None)
    stop = cancelled or (lambda: False)
    parts = 6

    def checkpoint(done: int) -> None:
        if stop():
            log.info("Review for %s cancelled after %d of %d parts", period.label(), done, parts)
            raise Cancelled()
        report(done, parts)

    checkpoint(0)
    recurring = complaints(db, period, settings.thresholds, now=as_of)
    checkpoint(1)
    resolved = resolution_figures(db, period)
    checkpoint(2)
    churn = cycle1_churn(db, period, settings.churn_window_days, now=as_of)
    checkpoint(3)
    overdue = followups_overdue(db, as_of)
    checkpoint(4)
    found = find_themes(db, period, min_tickets=settings.theme_min_tickets)
    checkpoint(5)
    saved = save_offers(db, period, settings.save_window_days, now=as_of)
    from amends.core import surveys  # the outbox's imports: only when figures are computed

    satisfaction = surveys.satisfaction(db, period)
    answered = reply_targets(db, period, now=as_of)
    report(parts, parts)
    return Review(period, as_of, settings.thresholds.min_tickets, settings.thresholds.window_days,
                  settings.churn_window_days, tuple(recurring), churn, overdue, resolved.offers,
                  resolved.checklist, resolved.recovery_cost, satisfaction, tuple(found), saved, answered)
