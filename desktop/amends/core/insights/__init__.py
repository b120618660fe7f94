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
from amends.core.insights.running import Part, run_parts
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
            cancelled: Callable[[], bool] | None = None, workers: int | None = None) -> Review:
    """Every figure for ``period`` as typed records; ``.to_json()`` is what
    ``amends insights --json`` prints. The parts are independent reads: on
    a local file they run side by side on read-only connections of their
    own, all on one snapshot (``workers`` readers, default one per core up
    to 4; 1 runs them one after another on ``db``): see insights/running.py.
    Reports progress as parts finish and stops (raising :class:`Cancelled`)
    when asked."""
    from amends.core import surveys  # the outbox's imports: only when figures are computed

    as_of = now or clock.now_iso()
    report = progress or (lambda done, total: None)
    stop = cancelled or (lambda: False)
    # the slowest first (as measured at 1,000,000 tickets after schema 8: saves, themes, recurring, resolved,
    # answered, churn): with fewer readers than parts, the longest part decides the whole
    parts = (
        Part("saves", lambda d: save_offers(d, period, settings.save_window_days, now=as_of)),
        Part("themes", lambda d: tuple(find_themes(d, period, min_tickets=settings.theme_min_tickets))),
        Part("recurring", lambda d: tuple(complaints(d, period, settings.thresholds, now=as_of))),
        Part("resolved", lambda d: resolution_figures(d, period)),
        Part("answered", lambda d: reply_targets(d, period, now=as_of)),
        Part("churn", lambda d: cycle1_churn(d, period, settings.churn_window_days, now=as_of)),
        Part("satisfaction", lambda d: surveys.satisfaction(d, period)),
        Part("overdue", lambda d: followups_overdue(d, as_of)),
    )
    try:
        got = run_parts(db, parts, workers=workers, report=report, stop=stop)
    except Cancelled:
        log.info("Review for %s cancelled", period.label())
        raise
    resolved = got["resolved"]
    return Review(period, as_of, settings.thresholds.min_tickets, settings.thresholds.window_days,
                  settings.churn_window_days, got["recurring"], got["churn"], got["overdue"], resolved.offers,
                  resolved.checklist, resolved.recovery_cost, got["satisfaction"], got["themes"], got["saves"],
                  got["answered"])
