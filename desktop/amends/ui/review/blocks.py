"""The Review pane's building blocks: its tables, charts and sections.

A mixin of :class:`~amends.ui.review.review_pane.ReviewPane`: every table
double-clicks into the pane's ``_row_drill`` (see drilling.py)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from amends.ui.common.charts import ChartWidget
from amends.ui.common.rows_model import RowsModel


class PaneBlocks:
    """Tables, charts and titled sections made the same way throughout the pane."""

    def _table(self, name: str, columns) -> QTableView:
        view = QTableView()
        view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        view.setObjectName(name)
        view.setAccessibleName(name)
        model = RowsModel(columns, view)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.setAlternatingRowColors(True)
        view.horizontalHeader().setStretchLastSection(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.setMinimumHeight(150)
        view.setToolTip(self.tr("Double-click a row to see its tickets in the inbox"))
        view.doubleClicked.connect(lambda index, v=view: self._row_drill(v, index.row()))
        return view

    def _chart(self, name: str) -> ChartWidget:
        view = ChartWidget()
        view.setObjectName(name)
        view.setAccessibleName(name)
        view.setMinimumHeight(280)
        view.setToolTip("")  # the figure under the mouse is the tooltip
        return view

    @staticmethod
    def _side_by_side(*widgets: QWidget) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget, 1)
        return row

    @staticmethod
    def _grid(*rows: tuple[QWidget, ...]) -> QWidget:
        """Widgets in rows of a grid; a row of one widget spans the whole width."""
        box = QWidget()
        layout = QGridLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        columns = max(len(row) for row in rows)
        for r, row in enumerate(rows):
            if len(row) == 1:
                layout.addWidget(row[0], r, 0, 1, columns)
            else:
                for c, widget in enumerate(row):
                    layout.addWidget(widget, r, c)
        return box

    def _section(self, title: str, text: str, widgets: list[QWidget]) -> QGroupBox:
        box = QGroupBox(self.tr(title))
        layout = QVBoxLayout(box)
        note = QLabel(self.tr(text))
        note.setWordWrap(True)
        note.setObjectName("secondary")
        layout.addWidget(note)
        for widget in widgets:
            layout.addWidget(widget)
        return box
