"""The inbox list's subject column gives way on a narrow list.

A stretched subject filled what the other columns left, but never went
below its own width: on a 1,280 px laptop (a list ~540 px wide) the
Customer column began at the right edge, cut to "Tess", behind a scroll bar.
Here the subject fills the width when every column fits, and otherwise
shrinks (to MIN_SUBJECT at least: it is elided, the whole subject on hover)
so that the columns up to the customer are whole; the rest is a scroll away
and shown in the ticket pane anyway."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHeaderView, QTableView

MIN_SUBJECT = 150
#: a subject this wide is left as it is rather than squeezed for the columns after the customer
ROOMY_SUBJECT = 250


class SubjectFit(QObject):
    """Watches the list's viewport (resizes) and header (columns dragged)."""

    def __init__(self, table: QTableView, subject: int, last_whole: int) -> None:
        super().__init__(table)
        self._table = table
        self._subject = subject
        self._last_whole = last_whole  # the logical column that must end inside the list (the customer)
        self._fitting = False
        header = table.horizontalHeader()
        table.viewport().installEventFilter(self)
        header.sectionResized.connect(lambda index, _old, _new: index != self._subject and self.fit())
        header.sectionMoved.connect(lambda *_args: self.fit())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        if self._fitting:
            return
        header = self._table.horizontalHeader()
        if header.sectionResizeMode(self._subject) == QHeaderView.ResizeMode.Stretch:
            # (a layout saved before this had the subject stretched: it is fitted here instead)
            header.setSectionResizeMode(self._subject, QHeaderView.ResizeMode.Interactive)
        width = self._table.viewport().width()
        visible = [header.logicalIndex(v) for v in range(header.count())
                   if not header.isSectionHidden(header.logicalIndex(v))]
        others = sum(header.sectionSize(c) for c in visible if c != self._subject)
        if width - others >= ROOMY_SUBJECT:
            wanted = width - others  # everything fits: the subject takes what is left
        else:
            last = visible.index(self._last_whole) if self._last_whole in visible else len(visible) - 1
            before = sum(header.sectionSize(c) for c in visible[:last + 1] if c != self._subject)
            wanted = max(MIN_SUBJECT, width - before)
        if wanted != header.sectionSize(self._subject):
            self._fitting = True
            try:
                header.resizeSection(self._subject, wanted)
            finally:
                self._fitting = False
