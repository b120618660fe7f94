"""The Review's figures as charts (ui/common/charts), built from the
insights JSON. Shared by the Review pane (on screen, clickable) and the
quarterly report (painted into the PDF as vectors), so both show the same.

Each function returns a :class:`Chart` whose ``meta`` says what a click
on a point means (the category, person or group behind it). One unit per
chart: median offers are split by what they are — percent off the next
cycle, or account credit in money — because one axis cannot be both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication

from amends.core.vocabulary import category_name
from amends.ui.common.charts import Chart, LegendEntry, Series, Unit, count, money, month_label, percent, percent_points

CHURN_GROUPS = (("cycle1", "First ticket in cycle 1"), ("later", "First ticket later"),
                ("cycle1_recovered", "Cycle 1, recovery completed"),
                ("cycle1_not_recovered", "Cycle 1, not completed"))
#: how many categories the monthly trend draws when none is flagged
TREND_LINES = 4

Row = Mapping[str, Any]


def tr(text: str) -> str:
    return QCoreApplication.translate("Amends", text)


def recurring_chart(rows: Sequence[Row]) -> Chart:
    """Tickets per category, flagged ones in red. Point index = row index."""
    return Chart(
        tr("Tickets per category (flagged in red)"), tuple(category_name(r["category"]) for r in rows),
        (Series(tr("Tickets"), tuple(r["tickets"] for r in rows),
                colours=tuple("flag" if r["flag"] else "ok" for r in rows)),),
        count(tr("tickets")), tr("Category"), y_title=tr("Tickets"),
        legend=(LegendEntry(tr("Flagged"), "flag"), LegendEntry(tr("Not flagged"), "ok")),
        meta={"categories": [r["category"] for r in rows]})


def trend_chart(rows: Sequence[Row]) -> Chart:
    """Tickets per month for the flagged categories (else the busiest few),
    one line each, months named ('Sep 2026')."""
    shown = [r for r in rows if r["flag"]] or sorted(rows, key=lambda r: -r["tickets"])[:TREND_LINES]
    shown = [r for r in shown if r["monthly"]]
    months = [m["month"] for m in shown[0]["monthly"]] if shown else []
    series = tuple(Series(category_name(r["category"]), tuple(_by_month(r).get(m) for m in months))
                   for r in shown)
    return Chart(tr("Tickets per month, flagged categories") if any(r["flag"] for r in shown)
                 else tr("Tickets per month, busiest categories"),
                 tuple(month_label(m) for m in months), series, count(tr("tickets")), tr("Month"),
                 kind="lines", y_title=tr("Tickets"), note=tr("No tickets in this period."),
                 meta={"categories": [r["category"] for r in shown], "months": months})


def _by_month(row: Row) -> dict[str, float | None]:
    return {m["month"]: m["tickets"] for m in row["monthly"]}


def offer_kinds(recovery_cost: Sequence[Row]) -> dict[str, tuple[str, str | None]]:
    """Category → (offer kind, currency) for categories whose offers are of
    one kind; mixed categories are left out (their medians mix units)."""
    kinds: dict[str, tuple[str, str | None]] = {}
    for row in recovery_cost:
        made = {k for k, v in row["offers"].items() if v["count"]}
        if len(made) != 1:
            continue
        currencies = list(row.get("amounts") or {})
        kinds[row["category"]] = (made.pop(), currencies[0] if len(currencies) == 1 else None)
    return kinds


def offers_chart(rows: Sequence[Row], recovery_cost: Sequence[Row], kind: str = "percent_next_cycle") -> Chart:
    """Median offer per person (a series each) per category, for the
    categories whose offers are all of ``kind``: percent off the next cycle,
    or account credit (in the category's currency when it has one)."""
    kinds = offer_kinds(recovery_cost)
    categories = sorted({r["category"] for r in rows if kinds.get(r["category"], ("", None))[0] == kind})
    if kind == "percent_next_cycle":
        unit: Unit = percent_points()
        title, y_title = tr("Median offer by person: % off the next cycle"), tr("Median offer, % off next cycle")
    else:
        # one axis, one currency: the currency most of these categories use
        known = [kinds[c][1] for c in categories if kinds[c][1]]
        currency = max(sorted(set(known)), key=known.count) if known else None
        if currency is not None:
            categories = [c for c in categories if kinds[c][1] == currency]
        unit = money(currency) if currency else Unit(tr("credit"), 2)
        title, y_title = tr("Median offer by person: account credit"), tr("Median credit")
    values = {(r["actor"], r["category"]): r["median"] for r in rows}
    actors = sorted({r["actor"] for r in rows if r["category"] in categories})
    others = sorted({r["category"] for r in rows} - set(categories) - {c for c, k in kinds.items() if k[0] != kind
                                                                      and k[0] in ("percent_next_cycle",
                                                                                   "account_credit")})
    footnote = (tr("Not in this chart (offers of other kinds or currencies; see the table): {0}.").format(
        ", ".join(category_name(c) for c in others)) if others else "")
    series = tuple(Series(actor, tuple(values.get((actor, c)) for c in categories)) for actor in actors)
    legend = () if len(series) > 1 else tuple(LegendEntry(s.name, "series0") for s in series)
    return Chart(title, tuple(category_name(c) for c in categories), series, unit, tr("Category"),
                 y_title=y_title, legend=legend, note=tr("No offers of this kind in this period."), footnote=footnote,
                 meta={"categories": categories, "actors": actors})


def churn_chart(churn: Row) -> Chart:
    """Churn rate per group with its 95 % (Wilson) interval as error bars."""
    rates = tuple(churn[g]["rate"] if churn[g]["customers"] else None for g, _l in CHURN_GROUPS)
    intervals = tuple(tuple(churn[g]["ci95"]) if churn[g]["customers"] else None for g, _l in CHURN_GROUPS)
    return Chart(tr("Churn rate by group, with 95 % intervals"), tuple(tr(label) for _g, label in CHURN_GROUPS),
                 (Series(tr("Churn rate"), rates, "ok", intervals),),
                 percent(), tr("Customers whose first ticket was…"), y_title=tr("Churn rate"), value_labels=True,
                 note=tr("No first tickets in this period."), meta={"groups": [g for g, _l in CHURN_GROUPS]})


def cost_chart(recovery_cost: Sequence[Row]) -> Chart:
    """What recovery cost per category, in money: the most used currency
    (one unit per axis; other currencies stay in the table)."""
    totals: dict[str, float] = {}
    for row in recovery_cost:
        for currency, amount in (row.get("amounts") or {}).items():
            totals[currency] = totals.get(currency, 0.0) + amount
    currency = max(totals, key=lambda c: totals[c]) if totals else ""
    rows = [r for r in recovery_cost if (r.get("amounts") or {}).get(currency)]
    estimated = any(r.get("estimated") for r in rows)
    title = tr("Cost of recovery by category") + (tr(" (partly estimated)") if estimated else "")
    return Chart(title, tuple(category_name(r["category"]) for r in rows),
                 (Series(tr("Cost"), tuple(r["amounts"][currency] for r in rows), "series1"),),
                 money(currency) if currency else Unit(tr("money")), tr("Category"), y_title=tr("Cost"),
                 note=tr("Nothing with a price in this period."), meta={"categories": [r["category"] for r in rows]})


def save_offers_chart(bands: Sequence[Row], window_days: int) -> Chart:
    """Share of customers still subscribed after the window, per offer band
    (bands with customers only), with 95 % (Wilson) intervals as error bars."""
    shown = [b for b in bands if b["customers"]]
    return Chart(tr("Still subscribed {0} days later, by what was offered").format(window_days),
                 tuple(b["band"] for b in shown),
                 (Series(tr("Still subscribed"), tuple(b["rate"] for b in shown), "ok",
                         tuple(tuple(b["ci"]) for b in shown)),),
                 percent(), tr("Offered"), y_title=tr("Still subscribed"), value_labels=True,
                 note=tr("Nobody asked to cancel in this period."),
                 meta={"bands": [b["band"] for b in shown], "window_days": window_days})
