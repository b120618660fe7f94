"""Ctrl+K: every action of the window, found by typing a few letters in
order (fuzzy), with its shortcut; Enter runs it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


def fuzzy_score(query: str, text: str) -> int | None:
    """None when the letters of ``query`` do not appear in order in ``text``;
    otherwise lower is better (early, adjacent matches, word starts)."""
    query, text = query.lower().strip(), text.lower()
    if not query:
        return 0
    score, position, previous = 0, 0, -2
    for char in query:
        if char == " ":
            continue
        found = text.find(char, position)
        if found < 0:
            return None
        score += found - position + (0 if found == previous + 1 else 3)
        score -= 2 if found == 0 or text[found - 1] in " -(" else 0
        previous, position = found, found + 1
    return score


class CommandPalette(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("commandPalette")
        self.setWindowTitle(self.tr("Commands"))
        self.setMinimumWidth(480)
        self.actions_ = [a for a in actions if a.text() and a.isVisible()]
        self.query = QLineEdit()
        self.query.setObjectName("paletteQuery")
        self.query.setAccessibleName(self.tr("Type a command"))
        self.query.setPlaceholderText(self.tr("Type a command…"))
        self.list = QListWidget()
        self.list.setObjectName("paletteList")
        self.list.setAccessibleName(self.tr("Commands"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.list)
        self.query.textChanged.connect(self.refill)
        self.query.returnPressed.connect(self.run_current)
        self.list.itemActivated.connect(lambda _item: self.run_current())
        self.refill("")

    def refill(self, text: str) -> None:
        ranked = []
        for action in self.actions_:
            name = action.text().replace("&", "").rstrip("…")
            score = fuzzy_score(text, name)
            if score is not None:
                ranked.append((score, name, action))
        ranked.sort(key=lambda r: (r[0], r[1]))
        self.list.clear()
        for _score, name, action in ranked:
            shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            item = QListWidgetItem(f"{name}    {shortcut}" if shortcut else name, self.list)
            item.setData(Qt.ItemDataRole.UserRole, action)
        if self.list.count():
            self.list.setCurrentRow(0)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            self.list.setCurrentRow(max(0, min(self.list.count() - 1, self.list.currentRow() + step)))
            return
        super().keyPressEvent(event)

    def run_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        action = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        action.trigger()
