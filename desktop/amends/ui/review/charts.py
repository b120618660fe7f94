"""The Review charts, built from the insights dicts. Shared by the Review
pane (on screen, clickable) and the quarterly report (as pictures)."""

from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from amends.core.vocabulary import category_name

FLAG_COLOUR = QColor("#c0392b")
OK_COLOUR = QColor("#2f6f5e")
CHURN_GROUPS = (("cycle1", "First ticket in cycle 1"), ("later", "First ticket later"),
                ("cycle1_recovered", "Cycle 1, recovery completed"),
                ("cycle1_not_recovered", "Cycle 1, not completed"))


def tr(text: str) -> str:
    return QCoreApplication.translate("Amends", text)


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    return chart


def _bars(chart: QChart, series: QBarSeries, labels: list[str], maximum: float, fmt: str = "%.0f") -> None:
    chart.addSeries(series)
    axis_x = QBarCategoryAxis()
    axis_x.append(labels)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis_x)
    axis_y = QValueAxis()
    axis_y.setRange(0, max(1.0, maximum * 1.1))
    axis_y.setLabelFormat(fmt)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_y)


def recurring_chart(rows: list[dict]) -> tuple[QChart, list[QBarSet]]:
    """Tickets per category, flagged ones in red. Bar index = row index."""
    chart = _chart(tr("Tickets per category (flagged in red)"))
    flagged = QBarSet(tr("Flagged"))
    flagged.setColor(FLAG_COLOUR)
    fine = QBarSet(tr("Not flagged"))
    fine.setColor(OK_COLOUR)
    for row in rows:
        flagged.append(row["tickets"] if row["flag"] else 0)
        fine.append(0 if row["flag"] else row["tickets"])
    series = QBarSeries()
    series.setBarWidth(0.8)
    series.append(flagged)
    series.append(fine)
    _bars(chart, series, [category_name(r["category"]) for r in rows], max((r["tickets"] for r in rows), default=1))
    return chart, [flagged, fine]


def offers_chart(rows: list[dict]) -> tuple[QChart, dict[str, QBarSet], list[str]]:
    """Median offer per person (a set each) per category (bar index)."""
    chart = _chart(tr("Median offer by person and category"))
    categories = sorted({r["category"] for r in rows})
    values = {(r["actor"], r["category"]): r["median"] for r in rows}
    series = QBarSeries()
    sets = {}
    for actor in sorted({r["actor"] for r in rows}):
        bar_set = QBarSet(actor)
        for category in categories:
            bar_set.append(values.get((actor, category), 0))
        series.append(bar_set)
        sets[actor] = bar_set
    _bars(chart, series, [category_name(c) for c in categories], max(values.values(), default=1), "%.1f")
    return chart, sets, categories


def churn_chart(churn: dict) -> tuple[QChart, QBarSet]:
    chart = _chart(tr("Churn rate by group (95 % intervals in the table)"))
    bar_set = QBarSet(tr("Churn rate %"))
    bar_set.setColor(OK_COLOUR)
    for group, _label in CHURN_GROUPS:
        bar_set.append(round(100 * churn[group]["rate"], 1))
    series = QBarSeries()
    series.append(bar_set)
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value %")
    _bars(chart, series, [tr(label) for _g, label in CHURN_GROUPS],
          max(100 * churn[g]["rate"] for g, _l in CHURN_GROUPS), "%.0f")
    return chart, bar_set


def render(chart: QChart, width: int = 960, height: int = 400) -> QImage:
    """A chart as a picture (needs a QApplication, offscreen is fine)."""
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.resize(width, height)
    image = view.grab().toImage()
    view.setChart(QChart())  # the caller keeps ownership of ``chart``
    return image


def save_offers_chart(bands: list[dict]) -> tuple[QChart, QBarSet, list[dict]]:
    """Share still subscribed per offer band (bands with customers only;
    bar index = index in the returned list). Intervals are in the table."""
    shown = [b for b in bands if b["customers"]]
    chart = _chart(tr("Still subscribed after the window, by what was offered (%)"))
    bar_set = QBarSet(tr("Retained %"))
    bar_set.setColor(OK_COLOUR)
    for band in shown:
        bar_set.append(round(100 * band["rate"], 1))
    series = QBarSeries()
    series.append(bar_set)
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value %")
    _bars(chart, series, [b["band"] for b in shown], 100.0, "%.0f")
    for axis in chart.axes(Qt.Orientation.Vertical):
        axis.setRange(0, 100)  # a share: 0–100 %, ticks at 25s
    return chart, bar_set, shown
