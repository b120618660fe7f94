"""A small keyboard-first chooser: type a few letters (fuzzy, as in the
command palette), Up/Down, Enter. Used for assign, tag, category, priority,
status and snooze, on one ticket or a selection. With ``allow_new`` the
typed text itself is offered ("New tag “fragile”")."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget


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


NEW = "\x00new"  # marks the "use what I typed" row


def colour_icon(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class ChoiceDialog(QDialog):
    #: The chosen value (or, with allow_new, the typed text as a str).
    chosen = Signal(object)

    def __init__(self, title: str, prompt: str, choices: list[tuple], parent: QWidget | None = None, *,
                 new_label: str | None = None, colours: dict[str, str] | None = None,
                 name: str = "choiceDialog") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.choices = choices
        self.new_label = new_label
        self.colours = colours or {}
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.query = QLineEdit()
        self.query.setObjectName("choiceQuery")
        self.query.setAccessibleName(title)
        self.query.setAccessibleDescription(prompt)
        self.query.setPlaceholderText(self.tr("Type to filter, Enter to choose"))
        self.prompt.setBuddy(self.query)
        self.list = QListWidget()
        self.list.setObjectName("choiceList")
        self.list.setAccessibleName(self.tr("Choices"))
        # Long choices (Split's "time · author · the message's start") wrap instead of running off the
        # dialog behind a horizontal scroll bar; rows are laid out again when the dialog is resized.
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.query)
        layout.addWidget(self.list)
        self.query.textChanged.connect(self.refill)
        self.query.returnPressed.connect(self.choose_current)
        self.list.itemActivated.connect(lambda _item: self.choose_current())
        self.refill("")

    def refill(self, text: str) -> None:
        ranked = []
        for label, value, *match in self.choices:  # (label, value[, the text the letters must match])
            score = fuzzy_score(text, match[0] if match else label)
            if score is not None:
                ranked.append((score, label, value))
        ranked.sort(key=lambda r: r[0])
        self.list.clear()
        for _score, label, value in ranked:
            item = QListWidgetItem(label, self.list)
            item.setData(Qt.ItemDataRole.UserRole, value)
            if label in self.colours:
                item.setIcon(colour_icon(self.colours[label]))
        typed = text.strip()
        if self.new_label and typed and not any(choice[0].lower() == typed.lower() for choice in self.choices):
            item = QListWidgetItem(self.new_label.format(typed), self.list)
            item.setData(Qt.ItemDataRole.UserRole, NEW)
        if self.list.count():
            self.list.setCurrentRow(0)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            self.list.setCurrentRow(max(0, min(self.list.count() - 1, self.list.currentRow() + step)))
            return
        super().keyPressEvent(event)

    def choose_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        value = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        self.chosen.emit(self.query.text().strip() if value == NEW else value)
