"""Draw a :class:`~.model.Chart` into any QPainter: a widget's paintEvent,
a QImage, a PDF page (as vector paths and real text). One function, so the
screen and the report cannot drift apart.

Layout, top to bottom: the title (wrapped), the legend (flowing rows), the
value axis' title with its unit, the plot, the category labels (wrapped at
word boundaries into at most three lines; slanted at 45° when one word does
not fit its slot; elided only beyond that, with the whole label as
tooltip), the category axis' title, a footnote. Bars
are centred on their label: a category's bars form one group around the
label's centre, and series without a value there leave no hole.
:func:`paint` returns what it drew (texts with their boxes, bars, error
bars, hit areas), which the widget uses for tooltips and clicks and the
tests use to check that nothing is cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QTransform

from amends.ui.common.charts.model import Chart, LegendEntry, Unit
from amends.ui.common.charts.style import SERIES_ROLES, ChartStyle

MAX_LABEL_LINES = 3
SIN45 = math.sqrt(0.5)


@dataclass(frozen=True)
class DrawnText:
    """A text as drawn: ``lines`` are what is on the page, ``rect`` their box."""

    role: str  # "title", "legend", "y_title", "x_title", "tick", "label", "value", "note"
    text: str
    lines: tuple[str, ...]
    rect: QRectF  # in the text's own (possibly rotated) frame: lines are laid out in it
    elided: bool = False
    angle: float = 0.0  # degrees, counter-clockwise (slanted category labels)
    bounds: QRectF | None = None  # on the page, when rotated

    @property
    def box(self) -> QRectF:
        """Where the text is on the page."""
        return self.bounds if self.bounds is not None else self.rect


@dataclass(frozen=True)
class Hit:
    """An area that answers hover (``tooltip``) and, for a figure, click."""

    rect: QRectF
    tooltip: str
    series: int = -1  # -1: not a figure (an elided label)
    index: int = -1


@dataclass
class Drawn:
    texts: list[DrawnText] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    bars: list[tuple[int, int, QRectF]] = field(default_factory=list)  # (series, index, rect)
    points: list[tuple[int, int, QPointF]] = field(default_factory=list)
    error_bars: list[QLineF] = field(default_factory=list)
    plot: QRectF = field(default_factory=QRectF)
    ticks: list[float] = field(default_factory=list)  # shown values (unit applied)

    def hit(self, point: QPointF) -> Hit | None:
        for hit in self.hits:
            if hit.rect.contains(point):
                return hit
        return None

    def text(self, role: str) -> list[DrawnText]:
        return [t for t in self.texts if t.role == role]


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 … a round number ≥ ``top`` in about ``count`` round steps."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    steps = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _decimals(ticks: list[float]) -> int:
    """Digits the tick labels need: 0.25 steps need two, 5 steps none."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for digits in range(5):
        if abs(round(step * 10**digits) - step * 10**digits) < 1e-6:
            return digits
    return 4


def wrap(text: str, width: float, fm: QFontMetricsF, max_lines: int = MAX_LABEL_LINES) -> tuple[list[str], bool]:
    """Words into lines no wider than ``width``; (lines, elided). Elides
    only when a single word is too wide or the lines run out."""
    lines: list[str] = []
    current = ""
    elided = False
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fm.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        if fm.horizontalAdvance(word) > width:
            lines.append(fm.elidedText(word, Qt.TextElideMode.ElideRight, width))
            current = ""
            elided = True
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1:])
        lines = [*lines[:max_lines - 1], fm.elidedText(rest, Qt.TextElideMode.ElideRight, width)]
        elided = True
    return lines, elided


def axis_title(chart: Chart) -> str:
    """The value axis' title with its unit: 'Churn rate (%)', 'Tickets'."""
    title = chart.y_title or chart.unit.name
    if chart.unit.name.lower() in title.lower():
        return title
    return f"{title} ({chart.unit.name})"


def figure(chart: Chart, series: int, index: int) -> str:
    """The exact figure of one point, as its tooltip says it."""
    s = chart.series[series]
    value = s.values[index]
    unit: Unit = chart.unit
    text = f"{chart.categories[index]}: {'—' if value is None else unit.format(value)}"
    if len(chart.series) > 1 or s.name:
        text = f"{s.name} · {text}" if s.name else text
    if s.intervals and s.intervals[index] is not None:
        low, high = s.intervals[index]  # type: ignore[misc]
        text += f" (95 % interval {unit.format(low)} – {unit.format(high)})"
    return text


def paint(painter: QPainter, rect: QRectF, chart: Chart, style: ChartStyle) -> Drawn:
    """Draw ``chart`` inside ``rect``; returns what was drawn where."""
    drawn = Drawn()
    painter.save()
    try:
        _paint(painter, QRectF(rect), chart, style, drawn)
    finally:
        painter.restore()
    return drawn


def _paint(painter: QPainter, rect: QRectF, chart: Chart, style: ChartStyle, drawn: Drawn) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scale = max(1.0, painter.device().logicalDpiY() / 96) if painter.device() is not None else 1.0
    painter.fillRect(rect, style.background)
    font = QFont(style.font)
    painter.setFont(font)
    fm = QFontMetricsF(font, painter.device())
    line = fm.lineSpacing()
    pad = line * 0.5
    inner = rect.adjusted(pad, pad, -pad, -pad)
    colour_of = {i: s.colour or SERIES_ROLES[i % len(SERIES_ROLES)] for i, s in enumerate(chart.series)}

    def text(role: str, value: str, lines: list[str], box: QRectF, align: Qt.AlignmentFlag,
             elided: bool = False, colour=None, f: QFont | None = None) -> None:
        painter.setPen(colour or style.text)
        metrics = QFontMetricsF(f, painter.device()) if f is not None else fm
        if f is not None:
            painter.setFont(f)
        step = metrics.lineSpacing()
        for n, row in enumerate(lines):
            painter.drawText(QRectF(box.left(), box.top() + n * step, box.width(), step),
                             int(align | Qt.AlignmentFlag.AlignVCenter), row)
        if f is not None:
            painter.setFont(font)
        drawn.texts.append(DrawnText(role, value, tuple(lines), box, elided))

    # -- title ---------------------------------------------------------------
    top = inner.top()
    if chart.title:
        bold = QFont(font)
        bold.setBold(True)
        bold_fm = QFontMetricsF(bold, painter.device())
        rows, elided = wrap(chart.title, inner.width(), bold_fm, max_lines=3)
        box = QRectF(inner.left(), top, inner.width(), bold_fm.lineSpacing() * len(rows))
        text("title", chart.title, rows, box, Qt.AlignmentFlag.AlignLeft, elided, f=bold)
        if elided:
            drawn.hits.append(Hit(box, chart.title))
        top = box.bottom() + pad * 0.6

    # -- legend --------------------------------------------------------------
    entries: tuple[LegendEntry, ...] = chart.legend_entries(colour_of)
    if entries:
        swatch = fm.height() * 0.7
        x = inner.left()
        for entry in entries:
            label = fm.elidedText(entry.name, Qt.TextElideMode.ElideRight, inner.width() - swatch - pad)
            width = swatch + pad * 0.5 + fm.horizontalAdvance(label)
            if x > inner.left() and x + width > inner.right():
                x = inner.left()
                top += line
            painter.fillRect(QRectF(x, top + (line - swatch) / 2, swatch, swatch), style.colour(entry.colour))
            box = QRectF(x + swatch + pad * 0.5, top, fm.horizontalAdvance(label) + 1, line)
            text("legend", entry.name, [label], box, Qt.AlignmentFlag.AlignLeft, label != entry.name)
            if label != entry.name:
                drawn.hits.append(Hit(box, entry.name))
            x += width + pad * 1.5
        top += line + pad * 0.6

    # -- value axis title (with the unit), then the bottom band --------------
    y_title = axis_title(chart)
    rows, elided = wrap(y_title, inner.width(), fm, max_lines=2)
    box = QRectF(inner.left(), top, inner.width(), line * len(rows))
    text("y_title", y_title, rows, box, Qt.AlignmentFlag.AlignLeft, elided, colour=style.muted)
    top = box.bottom() + pad * 0.6
    bottom = inner.bottom()
    if chart.footnote:
        rows, elided = wrap(chart.footnote, inner.width(), fm, max_lines=2)
        box = QRectF(inner.left(), bottom - line * len(rows), inner.width(), line * len(rows))
        text("footnote", chart.footnote, rows, box, Qt.AlignmentFlag.AlignLeft, elided, colour=style.muted)
        if elided:
            drawn.hits.append(Hit(box, chart.footnote))
        bottom = box.top() - pad * 0.3
    rows, elided = wrap(chart.x_title, inner.width(), fm, max_lines=1)
    box = QRectF(inner.left(), bottom - line, inner.width(), line)
    text("x_title", chart.x_title, rows, box, Qt.AlignmentFlag.AlignHCenter, elided, colour=style.muted)
    bottom = box.top() - pad * 0.3

    if chart.is_empty():
        note = chart.note or "Nothing to show for this period."
        rows, _e = wrap(note, inner.width(), fm, max_lines=3)
        box = QRectF(inner.left(), (top + bottom - line * len(rows)) / 2, inner.width(), line * len(rows))
        text("note", note, rows, box, Qt.AlignmentFlag.AlignHCenter, colour=style.muted)
        drawn.plot = QRectF(inner.left(), top, inner.width(), max(0.0, bottom - top))
        return

    # -- ticks and the plot's left edge ---------------------------------------
    unit = chart.unit
    ticks = nice_ticks(chart.top() * unit.scale * (1.12 if chart.value_labels else 1.0))
    drawn.ticks = ticks
    decimals = _decimals(ticks)
    tick_labels = [f"{t:,.{decimals}f}" for t in ticks]
    left = inner.left() + max(fm.horizontalAdvance(t) for t in tick_labels) + pad
    plot_width = inner.right() - left
    n = len(chart.categories)
    slot = plot_width / n

    # -- category labels: wrapped to their slot, else slanted ------------------
    labels = [wrap(c, slot * 0.94, fm) for c in chart.categories]
    slanted = any(elided for _rows, elided in labels)
    if slanted:
        # A word wider than its slot: write each label in one line at 45°,
        # which gives it the band's diagonal; elide only beyond that.
        room = (bottom - top) * 0.45 / SIN45
        widths = [min(fm.horizontalAdvance(c), room) for c in chart.categories]
        band = max(widths) * SIN45 + line * SIN45
        # the first label reaches left of its slot: make room for it
        left = max(left, inner.left() + widths[0] * SIN45 - slot / 2 + line)
        plot_width = inner.right() - left
        slot = plot_width / n
    else:
        band = line * max(len(rows) for rows, _e in labels)
    plot = QRectF(left, top + line * 0.5, plot_width, max(line, bottom - band - pad * 0.4 - top - line * 0.5))
    drawn.plot = plot
    for i, (rows, elided) in enumerate(labels):
        if slanted:
            _slanted_label(painter, drawn, chart.categories[i], fm, room, style,
                           QPointF(left + (i + 0.5) * slot, plot.bottom() + pad * 0.4))
            continue
        box = QRectF(left + i * slot + slot * 0.03, plot.bottom() + pad * 0.4, slot * 0.94, line * len(rows))
        text("label", chart.categories[i], rows, box, Qt.AlignmentFlag.AlignHCenter, elided)
        if elided:
            drawn.hits.append(Hit(box, chart.categories[i]))

    high = ticks[-1] or 1.0

    def y_of(shown: float) -> float:
        return plot.bottom() - plot.height() * max(0.0, min(shown, high)) / high

    # -- grid, axes ---------------------------------------------------------
    for value, label in zip(ticks, tick_labels):
        y = y_of(value)
        painter.setPen(QPen(style.grid, scale))
        painter.drawLine(QLineF(plot.left(), y, plot.right(), y))
        box = QRectF(inner.left(), y - line / 2, left - pad * 0.5 - inner.left(), line)
        text("tick", label, [label], box, Qt.AlignmentFlag.AlignRight, colour=style.muted)
    painter.setPen(QPen(style.axis, scale))
    painter.drawLine(QLineF(plot.left(), plot.bottom(), plot.right(), plot.bottom()))
    painter.drawLine(QLineF(plot.left(), plot.top(), plot.left(), plot.bottom()))

    if chart.kind == "lines":
        _lines(painter, chart, style, drawn, plot, slot, y_of, colour_of, scale)
    else:
        _bars(painter, chart, style, drawn, plot, slot, y_of, colour_of, scale, fm, text)


def _slanted_label(painter: QPainter, drawn: Drawn, label: str, fm: QFontMetricsF, room: float,
                   style: ChartStyle, anchor: QPointF) -> None:
    """One category label at 45°, ending just below its tick."""
    shown = fm.elidedText(label, Qt.TextElideMode.ElideRight, room)
    width = fm.horizontalAdvance(shown) + 1
    rect = QRectF(-width, 0, width, fm.lineSpacing())
    transform = QTransform()
    transform.translate(anchor.x() + fm.lineSpacing() * SIN45 / 2, anchor.y())
    transform.rotate(-45)
    painter.save()
    painter.setTransform(transform, True)
    painter.setPen(style.text)
    painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), shown)
    painter.restore()
    bounds = transform.mapRect(rect)
    drawn.texts.append(DrawnText("label", label, (shown,), rect, shown != label, 45.0, bounds))
    if shown != label:
        drawn.hits.append(Hit(bounds, label))


def _bars(painter, chart, style, drawn, plot, slot, y_of, colour_of, scale, fm, text) -> None:
    unit = chart.unit
    width = slot * 0.72 / max(1, len(chart.series))
    for i in range(len(chart.categories)):
        present = [j for j, s in enumerate(chart.series) if s.values[i] is not None]
        centre = plot.left() + (i + 0.5) * slot
        start = centre - width * len(present) / 2
        for k, j in enumerate(present):
            s = chart.series[j]
            value = s.values[i] * unit.scale
            role = s.colours[i] if s.colours else colour_of[j]
            x = start + k * width
            bar = QRectF(x + width * 0.06, y_of(value), width * 0.88, plot.bottom() - y_of(value))
            painter.fillRect(bar, style.colour(role))
            drawn.bars.append((j, i, bar))
            hover = QRectF(bar.left(), min(bar.top(), plot.bottom() - fm.height()), bar.width(),
                           max(bar.height(), fm.height()))
            drawn.hits.append(Hit(hover, figure(chart, j, i), j, i))
            label_top = bar.top()
            if s.intervals and s.intervals[i] is not None:
                low, high = (v * unit.scale for v in s.intervals[i])
                cx, cap = bar.center().x(), bar.width() * 0.2
                painter.setPen(QPen(style.text, 1.5 * scale))
                lines = [QLineF(cx, y_of(low), cx, y_of(high)), QLineF(cx - cap, y_of(low), cx + cap, y_of(low)),
                         QLineF(cx - cap, y_of(high), cx + cap, y_of(high))]
                for segment in lines:
                    painter.drawLine(segment)
                drawn.error_bars.append(lines[0])
                label_top = min(label_top, y_of(high))
            if chart.value_labels:
                label = unit.format(s.values[i])
                room = width if len(present) > 1 else slot
                gap = fm.lineSpacing() * 0.15
                if fm.horizontalAdvance(label) <= room and label_top - fm.lineSpacing() - gap >= plot.top() - 1:
                    box = QRectF(centre - room / 2 if len(present) == 1 else x, label_top - fm.lineSpacing() - gap,
                                 room, fm.lineSpacing())
                    text("value", label, [label], box, Qt.AlignmentFlag.AlignHCenter)


def _lines(painter, chart, style, drawn, plot, slot, y_of, colour_of, scale) -> None:
    unit = chart.unit
    radius = 3.0 * scale
    for j, s in enumerate(chart.series):
        colour = style.colour(colour_of[j])
        path = QPainterPath()
        started = False
        points = []
        for i, value in enumerate(s.values):
            if value is None:
                started = False
                continue
            point = QPointF(plot.left() + (i + 0.5) * slot, y_of(value * unit.scale))
            points.append((i, point))
            if started:
                path.lineTo(point)
            else:
                path.moveTo(point)
                started = True
        painter.setPen(QPen(colour, 2 * scale))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(QBrush(colour))
        for i, point in points:
            painter.drawEllipse(point, radius, radius)
            drawn.points.append((j, i, point))
            reach = radius * 2.5
            drawn.hits.append(Hit(QRectF(point.x() - reach, point.y() - reach, 2 * reach, 2 * reach),
                                  figure(chart, j, i), j, i))
