"""Text for the Review pane's figures, and the periods it offers.

Kept apart from the pane (issue 16's split) so the sections, the drilling and
the policy editor's period menu share one spelling of a percentage or an amount."""

from __future__ import annotations

from datetime import date, timedelta

from amends.core import money
from amends.core.insights.period import Period, last_full_quarter
from amends.ui.common.charts import month_label


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def num(value) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def amount(amount: float | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    return f"{amount:,.{money.exponent(currency)}f} {currency or ''}".strip()


def monthly(months: list[dict]) -> str:
    """'Jul 50 · Aug 41 · Sep 44'; with the year when the months span more than one."""
    one_year = len({m["month"][:4] for m in months}) == 1
    return " · ".join(f"{month_label(m['month']).split()[0] if one_year else month_label(m['month'])} {m['tickets']}"
                      for m in months)


def period_choices(today: date) -> list[tuple[str, Period]]:
    quarter = last_full_quarter(today)
    this_quarter_start = quarter.until + timedelta(days=1)
    return [
        (f"Last full quarter ({quarter.label()})", quarter),
        ("This quarter so far", Period(this_quarter_start, today)),
        ("Last 30 days", Period(today - timedelta(days=29), today)),
        ("Last 90 days", Period(today - timedelta(days=89), today)),
        ("Last 12 months", Period(today - timedelta(days=364), today)),
    ]
