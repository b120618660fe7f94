"""The Review pane's figures: the three gaps and what surrounds them.

Everything is computed here, without Qt, so the pane, ``amends insights
--json`` and the quarterly report show the same numbers. Definitions are in
docs/INSIGHTS.md and in each module's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from amends.core import clock, errors
from amends.core.insights.churn import cycle1_churn
from amends.core.insights.period import Period, last_full_quarter, parse
from amends.core.insights.recovery import followups_overdue
from amends.core.insights.recurring import Thresholds, complaints
from amends.core.insights.resolutions import resolution_figures
from amends.core.store import Database

__all__ = ["Cancelled", "Period", "Settings", "Thresholds", "compute", "last_full_quarter", "parse"]


Cancelled = errors.Cancelled


@dataclass(frozen=True)
class Settings:
    thresholds: Thresholds = field(default_factory=Thresholds)
    churn_window_days: int = 60


def compute(db: Database, period: Period, settings: Settings = Settings(), *, now: str | None = None,
            progress: Callable[[int, int], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> dict:
    """Every figure for ``period``, as the JSON-ready dict that ``amends
    insights --json`` prints. Reports progress between the parts and stops
    (raising :class:`Cancelled`) when asked."""
    now = now or clock.now_iso()
    report = progress or (lambda done, total: None)
    stop = cancelled or (lambda: False)
    resolved: dict = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("recurring", lambda: complaints(db, period, settings.thresholds, now=now)),
        ("resolutions", lambda: resolved.update(resolution_figures(db, period))),
        ("cycle1_churn", lambda: cycle1_churn(db, period, settings.churn_window_days, now=now)),
        ("followups_overdue", lambda: followups_overdue(db, now)),
    ]
    result: dict = {"period": period.as_dict(), "as_of": now,
                    "thresholds": {"min_tickets": settings.thresholds.min_tickets,
                                   "window_days": settings.thresholds.window_days,
                                   "churn_window_days": settings.churn_window_days}}
    for done, (key, work) in enumerate(steps):
        if stop():
            raise Cancelled()
        report(done, len(steps))
        result[key] = work()
    result.pop("resolutions")
    result["offers"] = resolved["offers"]
    result["checklist_completion"] = resolved["checklist"]["rate"]
    result["checklist"] = resolved["checklist"]
    result["recovery_cost"] = resolved["recovery_cost"]
    report(len(steps), len(steps))
    return result
