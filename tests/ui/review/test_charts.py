"""The chart module (ui/common/charts): what is drawn, where, in which
colours. Each test paints a real chart into a real QImage or widget and
reads back the texts and shapes the painter reports, checked against the
font's own metrics."""

from __future__ import annotations

import itertools

import pytest
from amends.ui.common.charts import (
    Chart,
    ChartStyle,
    ChartWidget,
    LegendEntry,
    Series,
    count,
    money,
    month_label,
    paint,
    percent,
    percent_points,
)
from amends.ui.common.charts.painter import Drawn
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QToolTip

CATEGORIES = ("Damaged shipment", "Late delivery", "Wrong item", "Billing", "Cancellation", "Skip or pause",
              "Product quality", "Other")
GROUPS = ("First ticket in cycle 1", "First ticket later", "Cycle 1, recovery completed", "Cycle 1, not completed")


def bars() -> Chart:
    return Chart("Tickets per category (flagged in red)", CATEGORIES,
                 (Series("Tickets", (120, 80, 40, 33, 20, 11, 9, 2),
                         colours=("flag", "flag", "ok", "ok", "ok", "ok", "ok", "ok")),),
                 count("tickets"), "Category", y_title="Tickets",
                 legend=(LegendEntry("Flagged", "flag"), LegendEntry("Not flagged", "ok")))


def grouped() -> Chart:
    return Chart("Median offer by person and category", CATEGORIES[:4],
                 (Series("Ana Ruiz", (15, 10, None, 5)), Series("Ben Okafor", (20, None, 12, 5)),
                  Series("Chidi Mensah", (10, 10, 10, 10))),
                 percent_points(), "Category", y_title="Median offer, % off next cycle")


def rates() -> Chart:
    return Chart("Churn rate by group", GROUPS,
                 (Series("Churn rate", (0.12, 0.08, 0.05, 0.2), "ok",
                         ((0.08, 0.16), (0.05, 0.1), (0.01, 0.12), (0.15, 0.26))),),
                 percent(), "Customers whose first ticket was…", y_title="Churn rate", value_labels=True)


def trend() -> Chart:
    months = tuple(month_label(f"2026-{m:02d}") for m in range(1, 13))
    return Chart("Tickets per month", months,
                 (Series("Damaged shipment", tuple(float(10 + m) for m in range(12))),
                  Series("Late delivery", (5, 6, None, 8, 9, 10, 11, 12, 13, 14, 15, 16))),
                 count("tickets"), "Month", kind="lines", y_title="Tickets")


def cost() -> Chart:
    return Chart("Cost of recovery by category", CATEGORIES[:3], (Series("Cost", (43.65, 120.5, 7.0)),),
                 money("USD"), "Category", y_title="Cost of recovery")


ALL = {"bars": bars, "grouped": grouped, "rates": rates, "trend": trend, "money": cost}


def draw(chart: Chart, width: int = 600, height: int = 300, style: ChartStyle | None = None) -> tuple[QImage, Drawn]:
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("magenta"))
    painter = QPainter(image)
    drawn = paint(painter, QRectF(0, 0, width, height), chart, style or ChartStyle.light())
    painter.end()
    return image, drawn


def assert_uncut(drawn: Drawn, bounds: QRectF, style: ChartStyle) -> None:
    """Every text whole (its words all there, no ellipsis), each line no
    wider than its box, every box inside the chart, labels apart."""
    bold = style.font.__class__(style.font)
    bold.setBold(True)
    for text in drawn.texts:
        fm = QFontMetricsF(bold if text.role == "title" else style.font)
        assert not text.elided, text
        assert " ".join(text.lines).split() == text.text.split(), text
        for line in text.lines:
            assert fm.horizontalAdvance(line) <= text.rect.width() + 0.5, (line, text.rect)
        assert bounds.contains(text.box), text
    labels = drawn.text("label")
    for left, right in itertools.pairwise(labels):
        if left.angle:  # slanted: parallel lines, one line height apart along the axis
            assert right.box.right() - left.box.right() >= QFontMetricsF(style.font).lineSpacing(), (left, right)
        else:
            assert left.rect.right() <= right.rect.left(), (left, right)


@pytest.mark.parametrize("name", list(ALL))
def test_every_chart_type_draws_its_labels_uncut_at_review_sizes(qapp, name):
    """The Review at 1280x720 gives a chart about 600x280 (half a row) or
    1200x280 (a whole row); 'First ticket i…' must not happen at either."""
    style = ChartStyle.light()
    for width, height in ((560, 280), (1200, 280)):
        _image, drawn = draw(ALL[name](), width, height, style)
        assert_uncut(drawn, QRectF(0, 0, width, height), style)
        assert len(drawn.text("label")) == len(ALL[name]().categories)


def test_a_word_too_long_for_its_slot_is_elided_with_the_whole_label_as_tooltip(qapp):
    chart = Chart("t", ("Supercalifragilisticexpialidocious-category", "Short"), (Series("n", (1, 2)),),
                  count(), "Category")
    _image, drawn = draw(chart, 160, 200)
    long_label = drawn.text("label")[0]
    assert long_label.elided and long_label.lines[0].endswith("…")
    hit = drawn.hit(long_label.box.center())
    assert hit is not None and hit.tooltip == "Supercalifragilisticexpialidocious-category"


def test_each_value_axis_says_its_unit():
    from amends.ui.common.charts.painter import axis_title

    assert axis_title(rates()) == "Churn rate (%)"
    assert axis_title(grouped()) == "Median offer, % off next cycle"
    assert axis_title(bars()) == "Tickets"
    assert axis_title(cost()) == "Cost of recovery (USD)"
    assert axis_title(Chart("t", ("a",), (Series("n", (1,)),), count("customers"), "Group")) == "customers"


@pytest.mark.parametrize("name", list(ALL))
def test_the_unit_and_what_the_categories_are_are_written_on_the_axes(qapp, name):
    chart = ALL[name]()
    _image, drawn = draw(chart)
    [y_title] = drawn.text("y_title")
    assert chart.unit.name in y_title.text or chart.unit.name.lower() in y_title.text.lower()
    [x_title] = drawn.text("x_title")
    assert x_title.text == chart.x_title and x_title.lines == (chart.x_title,)


def test_bars_are_centred_on_their_labels(qapp):
    for chart in (bars(), grouped()):
        _image, drawn = draw(chart, 800, 300)
        labels = drawn.text("label")
        for index, label in enumerate(labels):
            group = [rect for _s, i, rect in drawn.bars if i == index]
            centre = (min(r.left() for r in group) + max(r.right() for r in group)) / 2
            assert abs(centre - label.rect.center().x()) < 1.0, (chart.title, index)


def test_grouped_bars_have_a_legend_in_the_series_colours(qapp):
    style = ChartStyle.light()
    image, drawn = draw(grouped(), 800, 300, style)
    assert [t.text for t in drawn.text("legend")] == ["Ana Ruiz", "Ben Okafor", "Chidi Mensah"]
    colours = {s for s, _i, _r in drawn.bars}
    assert colours == {0, 1, 2}
    first = {s: rect for s, i, rect in drawn.bars if i == 0}
    assert len({image.pixelColor(first[s].center().toPoint()).name() for s in first}) == 3
    # a person without an offer in a category leaves no hole: 2 bars there, centred
    assert len([1 for _s, i, _r in drawn.bars if i == 1]) == 2


def test_rates_get_their_95_percent_intervals_as_error_bars(qapp):
    chart = rates()
    image, drawn = draw(chart, 600, 300)
    assert len(drawn.error_bars) == 4
    plot, high = drawn.plot, drawn.ticks[-1]
    for segment, (low, top) in zip(drawn.error_bars, chart.series[0].intervals):
        assert abs(segment.y1() - (plot.bottom() - plot.height() * low * 100 / high)) < 0.5
        assert abs(segment.y2() - (plot.bottom() - plot.height() * top * 100 / high)) < 0.5
        # the whisker is really painted: in the text colour, not the bar's
        middle = QPointF(segment.x1(), (segment.y1() + segment.y2()) / 2).toPoint()
        assert min(image.pixelColor(middle.x() + dx, middle.y()).lightness() for dx in (-1, 0, 1)) < 80
    assert [t.text for t in drawn.text("value")] == ["12.0 %", "8.0 %", "5.0 %", "20.0 %"]


def test_monthly_trends_are_labelled_with_month_names(qapp):
    assert month_label("2026-09") == "Sep 2026"
    assert month_label("2027-01") == "Jan 2027"
    _image, drawn = draw(trend(), 1200, 280)
    assert [t.text for t in drawn.text("label")][:3] == ["Jan 2026", "Feb 2026", "Mar 2026"]
    assert len(drawn.points) == 12 + 11  # a missing month is a gap, not a zero


def test_dark_palette_gives_a_dark_chart_with_light_text(qapp, qtbot):
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Window, QColor("#2b2b2b"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
    widget = ChartWidget(bars())
    qtbot.addWidget(widget)
    widget.setPalette(palette)
    widget.resize(600, 300)
    image = widget.grab().toImage()
    assert image.pixelColor(2, 2).lightness() < 60, "background follows the palette"
    title = widget.drawn.text("title")[0].rect
    inked = [image.pixelColor(x, int(title.center().y())).lightness() for x in range(int(title.left()),
                                                                                       int(title.right()))]
    assert max(inked) > 180, "the title is written in the light text colour"
    light = draw(bars())[0]
    assert light.pixelColor(2, 2).lightness() > 240
    # series colours get their dark-mode shade
    dark_style = ChartStyle.from_palette(palette)
    assert dark_style.dark and dark_style.colour("flag") != ChartStyle.light().colour("flag")


def test_hover_shows_the_exact_figure_and_a_click_names_the_bar(qapp, qtbot):
    widget = ChartWidget(rates())
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    qtbot.waitExposed(widget)
    widget.grab()
    _series, _index, rect = widget.drawn.bars[3]
    point = rect.center().toPoint()
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, point, widget.mapToGlobal(point)))
    assert QToolTip.text() == ("Churn rate · Cycle 1, not completed: 20.0 % (95 % interval 15.0 % – 26.0 %)")
    with qtbot.waitSignal(widget.clicked) as blocker:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [0, 3]
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, QPoint(1, 1), widget.mapToGlobal(QPoint(1, 1))))


def test_nothing_to_draw_says_so(qapp):
    chart = Chart("Median offer", (), (), percent_points(), "Category", note="No offers in this period.")
    _image, drawn = draw(chart)
    assert [t.text for t in drawn.text("note")] == ["No offers in this period."]
    assert not drawn.bars


def test_the_same_painting_goes_into_a_pdf_as_text_and_paths(qapp, tmp_path):
    from PySide6.QtGui import QPageSize, QPdfWriter

    target = tmp_path / "chart.pdf"
    writer = QPdfWriter(str(target))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(150)
    writer.setPdfVersion(QPdfWriter.PdfVersion.PdfVersion_1_6)
    painter = QPainter(writer)
    drawn = paint(painter, QRectF(0, 0, 1000, 420), rates(), ChartStyle.light())
    painter.end()
    assert len(drawn.error_bars) == 4
    data = target.read_bytes()
    assert b"/Subtype /Image" not in data and b"/Subtype/Image" not in data


def test_a_value_that_is_not_a_number_is_left_out_not_drawn_wild(qapp):
    chart = Chart("t", ("a", "b", "c"), (Series("n", (1.0, float("nan"), float("inf"))),), count(), "x")
    _image, drawn = draw(chart)
    assert [i for _s, i, _r in drawn.bars] == [0]
    assert drawn.ticks[-1] < 10
    lines = Chart("t", ("a", "b"), (Series("n", (float("nan"), 2.0)),), count(), "x", kind="lines")
    assert [i for _s, i, _p in draw(lines)[1].points] == [1]


def test_the_mouse_over_a_clickable_bar_shows_a_pointing_hand(qapp, qtbot):
    widget = ChartWidget(rates())
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    qtbot.waitExposed(widget)
    widget.grab()
    bar = widget.drawn.bars[0][2].center().toPoint()
    qtbot.mouseMove(widget, bar)
    assert widget.cursor().shape() == Qt.CursorShape.ArrowCursor, "nobody listens: nothing to click"
    widget.clicked.connect(lambda series, index: None)
    qtbot.mouseMove(widget, bar + QPoint(1, 0))
    assert widget.cursor().shape() == Qt.CursorShape.PointingHandCursor
    qtbot.mouseMove(widget, QPoint(2, 2))
    assert widget.cursor().shape() == Qt.CursorShape.ArrowCursor


def test_median_offers_are_charted_by_kind_one_unit_each(qapp):
    """Percent off and account credit never share an axis; a category whose
    offers mix kinds is in neither chart (its medians mix units: the table
    has it); credit in two currencies charts the more common one."""
    from amends.ui.review.charts import offers_chart

    def cost(category: str, kinds: dict[str, int], currency: str | None = "USD") -> dict:
        return {"category": category, "offers": {k: {"count": n, "total": 1.0} for k, n in kinds.items()},
                "amounts": {currency: 1.0} if currency else {}}

    costs = [cost("damaged_shipment", {"percent_next_cycle": 3}), cost("wrong_item", {"account_credit": 2}),
             cost("billing", {"account_credit": 1}, "EUR"), cost("late_delivery", {"account_credit": 1}, "EUR"),
             cost("cancellation", {"percent_next_cycle": 1, "account_credit": 1})]
    rows = [{"actor": a, "category": c, "median": 5.0} for a in ("Ana", "Ben")
            for c in ("damaged_shipment", "wrong_item", "billing", "late_delivery", "cancellation")]
    percent_chart = offers_chart(rows, costs, "percent_next_cycle")
    assert percent_chart.unit.name == "%" and percent_chart.meta["categories"] == ["damaged_shipment"]
    credit = offers_chart(rows, costs, "account_credit")
    assert credit.unit.name == "EUR" and credit.meta["categories"] == ["billing", "late_delivery"]
    assert [s.name for s in credit.series] == ["Ana", "Ben"]
    # what is left out is said under the chart, not dropped silently
    assert "Cancellation" in percent_chart.footnote and "Cancellation" in credit.footnote
    assert "Wrong or missing item" in credit.footnote  # USD credit on a EUR axis
    _image, drawn = draw(credit)
    [footnote] = drawn.text("footnote")
    assert footnote.text == credit.footnote and not footnote.elided
