"""The Review's charts (issue 15 point 2): drawn by our own chart module,
following the palette, each figure with its one unit, labels whole at
1280x720, monthly trends by month name, clicks drilling down; and the pane
works where QtCharts cannot be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from amends.ui.common.charts import ChartWidget
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPalette

from tests.ui.review.test_charts import assert_uncut
from tests.ui.review.test_review import open_review

CHARTS = ("recurring_chart", "trend_chart", "offers_percent_chart", "offers_credit_chart", "churn_chart",
          "cost_chart")


def charts_of(pane) -> dict[str, ChartWidget]:
    return {name: getattr(pane, name) for name in CHARTS}


def test_every_review_chart_is_ours_with_its_labels_whole_at_1280x720(qtbot, window):
    from amends.ui.common.charts import ChartStyle

    window.resize(1280, 720)
    pane = open_review(qtbot, window)
    scroll = pane.scroll
    for name, widget in charts_of(pane).items():
        assert isinstance(widget, ChartWidget), name
        scroll.ensureWidgetVisible(widget)
        widget.grab()  # paints it
        assert widget.width() >= 300, name
        assert_uncut(widget.drawn, QRectF(widget.rect()), ChartStyle.from_palette(widget.palette(), widget.font()))
        assert widget.drawn.text("y_title") and widget.drawn.text("x_title"), name


def test_each_chart_has_one_unit_written_on_its_axis(qtbot, window):
    pane = open_review(qtbot, window)
    units = {name: (w.chart().unit.name, w.drawn.text("y_title")[0].text if w.grab() and w.drawn.texts else "")
             for name, w in charts_of(pane).items()}
    assert units["recurring_chart"][0] == "tickets" and "Tickets" in units["recurring_chart"][1]
    assert units["trend_chart"][0] == "tickets"
    assert units["churn_chart"] == ("%", "Churn rate (%)")
    assert units["offers_percent_chart"][0] == "%" and "%" in units["offers_percent_chart"][1]
    # the demo's wrong-item offers are account credit in USD: money, on its own chart
    assert units["offers_credit_chart"][0] == "USD" and "USD" in units["offers_credit_chart"][1]
    assert units["cost_chart"][0] == "USD" and "USD" in units["cost_chart"][1]
    percent_categories = set(pane.offers_percent_chart.chart().categories)
    credit_categories = set(pane.offers_credit_chart.chart().categories)
    assert "Wrong or missing item" in credit_categories and "Wrong or missing item" not in percent_categories
    assert "Damaged shipment" in percent_categories


def test_churn_rates_carry_their_95_percent_intervals(qtbot, window):
    pane = open_review(qtbot, window)
    widget = pane.churn_chart
    widget.grab()
    churn = pane.data["cycle1_churn"]
    [series] = widget.chart().series
    assert series.values[0] == churn["cycle1"]["rate"]
    assert series.intervals[0] == tuple(churn["cycle1"]["ci95"])
    drawn_groups = {i for _s, i, _r in widget.drawn.bars}
    assert len(widget.drawn.error_bars) == len([g for g in drawn_groups if series.intervals[g] is not None])
    assert [t.text for t in widget.drawn.text("label")] == ["First ticket in cycle 1", "First ticket later",
                                                           "Cycle 1, recovery completed", "Cycle 1, not completed"]


def test_monthly_trends_are_named_by_month(qtbot, window):
    pane = open_review(qtbot, window)
    chart = pane.trend_chart.chart()
    months = [m["month"] for m in pane.data["recurring"][0]["monthly"]]
    assert chart.kind == "lines" and len(chart.categories) == len(months)
    year, month = months[0].split("-")
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert chart.categories[0] == f"{names[int(month) - 1]} {year}"


def test_dark_palette_gives_dark_charts(qtbot, window):
    """As a dark desktop does it: the application's palette turns dark and
    the window re-applies its appearance."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = app.palette()
    palette = QPalette(before)
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
                         (QPalette.ColorRole.Base, "#17181a"), (QPalette.ColorRole.Text, "#e8eaed"),
                         (QPalette.ColorRole.PlaceholderText, "#9aa0a6")):
        palette.setColor(role, QColor(colour))
    pane = open_review(qtbot, window)
    app.setPalette(palette)
    try:
        window.apply_appearance()
        for name, widget in charts_of(pane).items():
            image = widget.grab().toImage()
            # the corners, the title band and the plot's top right (QtCharts drew a white card there)
            for x, y in ((3, 3), (image.width() - 12, 40), (image.width() // 2, 12), (image.width() - 4, 60)):
                assert image.pixelColor(x, y).lightness() < 60, (name, x, y)
            title = widget.drawn.text("title")[0].rect
            row = [image.pixelColor(x, int(title.center().y())).lightness()
                   for x in range(int(title.left()), int(title.right()))]
            assert max(row) > 180, (name, "the title is written in the light text colour")
    finally:
        app.setPalette(before)
        window.apply_appearance()


def test_clicking_a_bar_drills_down_to_its_tickets(qtbot, window):
    pane = open_review(qtbot, window)
    widget = pane.recurring_chart
    pane.scroll.ensureWidgetVisible(widget)
    widget.grab()
    _series, index, rect = widget.drawn.bars[0]
    row = pane.data and [r for r in pane.recurring.model().rows][index]
    with qtbot.waitSignal(pane.drill_requested) as blocker:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    label, ids = blocker.args
    assert len(ids) == row["tickets"] and label.startswith(widget.chart().categories[index])
    window.show_pane(2)
    churn = pane.churn_chart
    churn.grab()
    _series, _group, rect = churn.drawn.bars[0]
    with qtbot.waitSignal(pane.drill_requested) as blocker:
        qtbot.mouseClick(churn, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert len(blocker.args[1]) == pane.data["cycle1_churn"]["cycle1"]["churned"]


def test_the_review_pane_works_where_qtcharts_cannot_be_imported(tmp_path):
    """PySide6-Addons is no dependency any more: a process that refuses to
    import QtCharts builds the pane, computes the demo's figures and draws
    every chart."""
    script = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["AMENDS_HOME"] = {str(tmp_path / "home")!r}

        class NoCharts:
            def find_spec(self, name, path=None, target=None):
                if name in ("PySide6.QtCharts", "PySide6.QtGraphs"):
                    raise ImportError("no " + name + " here")
                return None

        sys.meta_path.insert(0, NoCharts())
        from datetime import UTC, datetime, date
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from amends.core import demo, insights
        from amends.core.insights.period import Period
        from amends.core.workspace import open_database
        from amends.ui.review.review_pane import ReviewPane
        db = open_database({str(tmp_path / "demo.db")!r}, "t")
        demo.generate(db, 200, seed=3, now=datetime(2026, 11, 1, tzinfo=UTC))
        period = Period(date(2026, 1, 1), date(2026, 9, 30))
        pane = ReviewPane(db)
        pane.resize(1280, 720)
        pane.show_data(insights.compute(db, period).to_json(), period, insights.Settings())
        pane.churn_chart.grab()
        assert pane.churn_chart.drawn.bars
        assert "PySide6.QtCharts" not in sys.modules
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_monthly_column_names_its_months(qtbot, window):
    """It said "73 84 101": which months? Now "Jul 73 · Aug 84 · Sep 101"."""
    from amends.ui.common.charts import month_label

    pane = open_review(qtbot, window)
    model = pane.recurring.model()
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal) == "Monthly")
    row = model.rows[0]
    expected = " · ".join(f"{month_label(m['month']).split()[0]} {m['tickets']}" for m in row["monthly"])
    assert model.index(0, column).data() == expected


def test_a_month_on_the_trend_and_a_person_s_offer_bar_drill_down_too(qtbot, window):
    pane = open_review(qtbot, window)
    trend = pane.trend_chart
    pane.scroll.ensureWidgetVisible(trend)
    trend.grab()
    series, index, point = trend.drawn.points[-1]
    chart = trend.chart()
    category = chart.meta["categories"][series]
    row = next(r for r in pane.data["recurring"] if r["category"] == category)
    with qtbot.waitSignal(pane.drill_requested) as blocker:
        qtbot.mouseClick(trend, Qt.MouseButton.LeftButton, pos=point.toPoint())
    label, ids = blocker.args
    assert len(ids) == row["monthly"][index]["tickets"] and chart.categories[index] in label
    window.show_pane(2)
    offers = pane.offers_percent_chart
    pane.scroll.ensureWidgetVisible(offers)
    offers.grab()
    series, index, rect = offers.drawn.bars[0]
    chart = offers.chart()
    actor, category = chart.meta["actors"][series], chart.meta["categories"][index]
    spread = next(r for r in pane.data["offers"]["by_actor"] if r["actor"] == actor and r["category"] == category)
    with qtbot.waitSignal(pane.drill_requested) as blocker:
        qtbot.mouseClick(offers, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert len(blocker.args[1]) == spread["count"] and actor in blocker.args[0]


def test_moving_the_mouse_all_over_every_chart_shows_figures_and_never_fails(qtbot, window):
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    pane = open_review(qtbot, window)
    for name, widget in charts_of(pane).items():
        pane.scroll.ensureWidgetVisible(widget)
        widget.grab()
        shown = set()
        for x in range(5, widget.width(), max(1, widget.width() // 24)):
            for y in range(5, widget.height(), max(1, widget.height() // 12)):
                point = QPoint(x, y)
                qtbot.mouseMove(widget, point)
                QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, point, widget.mapToGlobal(point)))
                if QToolTip.isVisible():
                    shown.add(QToolTip.text())
        figures = {hit.tooltip for hit in widget.drawn.hits if hit.series >= 0}
        assert shown & figures, name
