"""A row of buttons that goes onto two lines when the pane is too narrow
for one, so that no button's text is ever cut (a 1,280 px laptop leaves the
ticket pane about 320 px: "Saved reply…", "Add internal note", "Send
later…" and "Send reply" did not fit and were clipped to "aved reply..")."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget


class ButtonRow(QWidget):
    """``left`` buttons start the row, ``right`` ones end it (the main
    action last); when both do not fit, ``right`` moves to a second line,
    right-aligned, and each line keeps its buttons whole."""

    def __init__(self, left: list[QWidget], right: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._left, self._right = left, right
        self._lines = QVBoxLayout(self)
        self._lines.setContentsMargins(0, 0, 0, 0)
        self._two_lines: bool | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._arrange(False)

    def _width(self, widgets: list[QWidget]) -> int:
        spacing = max(0, self._lines.spacing())
        return sum(w.sizeHint().width() for w in widgets if not w.isHidden()) + spacing * max(0, len(widgets) - 1)

    def one_line_width(self) -> int:
        """The width the buttons need on one line (with a gap between the groups)."""
        return self._width(self._left) + self._width(self._right) + 24

    def _arrange(self, two_lines: bool) -> None:
        if two_lines == self._two_lines:
            return
        self._two_lines = two_lines
        while (item := self._lines.takeAt(0)) is not None:
            line = item.layout()
            while line is not None and line.takeAt(0) is not None:
                pass  # the buttons stay children of this widget; only the line goes
            if line is not None:
                line.deleteLater()
        first = QHBoxLayout()
        for widget in self._left:
            first.addWidget(widget)
        first.addStretch(1)
        second = QHBoxLayout() if two_lines else first
        if two_lines:
            second.addStretch(1)
        for widget in self._right:
            second.addWidget(widget)
        self._lines.addLayout(first)
        if two_lines:
            self._lines.addLayout(second)
        self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(event.size().width() < self.one_line_width())
        super().resizeEvent(event)

    def minimumSizeHint(self) -> QSize:
        """Never narrower than the widest line of the two-line layout."""
        hint = super().minimumSizeHint()
        return QSize(max(self._width(self._left), self._width(self._right)), hint.height())
