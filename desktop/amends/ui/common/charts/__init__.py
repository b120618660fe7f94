"""Charts of our own, drawn with QPainter (no QtCharts).

``model`` describes a chart as plain data (``Chart``, ``Series``, ``Unit``),
``painter.paint(painter, rect, chart, style)`` draws it into any QPainter
(a widget, an image, a PDF page as vectors), ``ChartWidget`` shows it with
tooltips and clicks, ``ChartStyle`` takes the colours from the palette.
A new figure is one function that returns a ``Chart``; see ui/review/charts.py.
"""

from amends.ui.common.charts.model import (
    Chart,
    LegendEntry,
    Series,
    Unit,
    count,
    money,
    month_label,
    percent,
    percent_points,
)
from amends.ui.common.charts.painter import Drawn, DrawnText, Hit, paint
from amends.ui.common.charts.style import ChartStyle
from amends.ui.common.charts.widget import ChartWidget

__all__ = ["Chart", "ChartStyle", "ChartWidget", "Drawn", "DrawnText", "Hit", "LegendEntry", "Series", "Unit",
           "count", "money", "month_label", "paint", "percent", "percent_points"]
