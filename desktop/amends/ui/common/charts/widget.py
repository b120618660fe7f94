"""A chart on screen: paints with :func:`.painter.paint` in paintEvent,
shows the exact figure under the mouse as a tooltip (and an elided label
in full), and emits ``clicked(series, index)`` for a bar or point, which
the Review uses to drill down to the tickets behind it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMetaMethod, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QHelpEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from amends.ui.common.charts.model import Chart
from amends.ui.common.charts.painter import Drawn, paint
from amends.ui.common.charts.style import ChartStyle


class ChartWidget(QWidget):
    """See the module's docstring; ``drawn`` is what the last paint drew."""

    #: (series index, category index) of the bar or point clicked
    clicked = Signal(int, int)

    def __init__(self, chart: Chart | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chart = chart
        self.drawn = Drawn()
        self.setMouseTracking(True)
        self.setMinimumHeight(260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def chart(self) -> Chart | None:
        return self._chart

    def set_chart(self, chart: Chart | None) -> None:
        self._chart = chart
        self.setAccessibleDescription(chart.title if chart is not None else "")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 300)

    def style_for(self) -> ChartStyle:
        return ChartStyle.from_palette(self.palette(), self.font())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            if self._chart is None:
                painter.fillRect(self.rect(), self.style_for().background)
                self.drawn = Drawn()
            else:
                self.drawn = paint(painter, QRectF(self.rect()), self._chart, self.style_for())
        finally:
            painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self.drawn.hit(QPointF(event.pos()))
            if hit is not None:
                QToolTip.showText(event.globalPos(), hit.tooltip, self, hit.rect.toRect())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hit = self.drawn.hit(event.position())
        clickable = hit is not None and hit.series >= 0 and self.isSignalConnected(QMetaMethod.fromSignal(self.clicked))
        self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        hit = self.drawn.hit(event.position())
        if event.button() == Qt.MouseButton.LeftButton and hit is not None and hit.series >= 0:
            self.clicked.emit(hit.series, hit.index)
            return
        super().mousePressEvent(event)
