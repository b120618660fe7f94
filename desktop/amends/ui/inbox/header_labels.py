"""The inbox list's column titles, served to its header by a C++ model.

A Python model's ``headerData`` is called with a ``Qt.Orientation``: to hand
it over, PySide makes the whole ``Qt`` namespace type and its ~95 enums
(~120M instructions, ~13 ms of CPU at every start; the bare window never
makes it: issue 16). So the list's header reads its titles from a
QStandardItemModel that the inbox model keeps in step with its own
(:meth:`HeaderLabels.set_labels`), and no Python code runs to paint it.
The inbox model keeps its own headerData for what asks the list's model
(screen readers: Qt's accessible header cells); inbox_pane hides both
headers while the list takes its model, so nothing asks it before the paint.

The header highlights the titles of columns the list's selection touches
(bold where a whole column is selected). It only sees its own model's
selection, so :meth:`HeaderLabels.show_on` mirrors the list's: row 0 of the
labels model is selected while any ticket is, row 1 too while every listed
ticket is (the list selects whole rows, so every column is alike).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QObject
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QTableView


class HeaderLabels(QObject):
    """The titles of a table's columns as a C++ model (two rows, never shown)."""

    def __init__(self, labels: Sequence[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = QStandardItemModel(2, len(labels), self)
        self._labels: tuple[str, ...] = ()
        self._table: QTableView | None = None
        self._shown = (False, False)
        self.set_labels(labels)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def set_labels(self, labels: Sequence[str]) -> None:
        """Show ``labels`` as the titles (only those that changed are set)."""
        labels = tuple(labels)
        if labels != self._labels:
            self.model.setHorizontalHeaderLabels(list(labels))
            self._labels = labels

    def show_on(self, table: QTableView) -> None:
        """Give ``table``'s horizontal header these titles. Call it right
        after ``table.setModel`` (the header's sections are made again here,
        so before any width is set) and again after any later setModel."""
        self._table = table
        header = table.horizontalHeader()
        header.setModel(self.model)
        selection = table.selectionModel()
        selection.selectionChanged.connect(lambda *_args: self._mirror())
        model = table.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            signal.connect(lambda *_args: self._mirror())
        self._shown = (False, False)
        self._mirror()

    def _mirror(self) -> None:
        """The list's selection as the header sees it: any ticket selected
        (row 0), every ticket selected (row 1)."""
        table = self._table
        if table is None:
            return
        selection = table.selectionModel()
        model = table.model()
        rows = model.rowCount()
        some = selection.hasSelection() and rows > 0
        every = some and selection.isColumnSelected(0)  # (whole rows are selected: any column tells)
        if (some, every) == self._shown:
            return
        self._shown = (some, every)
        header_selection = table.horizontalHeader().selectionModel()
        chosen = QItemSelection()
        last = self.model.columnCount() - 1
        for row in ((0, 1) if every else (0,) if some else ()):
            chosen.select(self.model.index(row, 0), self.model.index(row, last))
        header_selection.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect)
