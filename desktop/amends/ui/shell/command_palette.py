"""Ctrl+K: every action of the window, found by typing a few letters in
order (fuzzy), with its shortcut; Enter runs it. And ? : the cheat sheet."""

from __future__ import annotations

import html
import re

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from amends.ui.inbox.choice_dialog import ChoiceDialog, fuzzy_score  # noqa: F401 (fuzzy_score lives there now)


class CommandPalette(ChoiceDialog):
    """The window's actions as choices; choosing one runs it."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        choices = []
        for action in sorted((a for a in actions if a.text() and a.isVisible()),
                             key=lambda a: a.text().replace("&", "").lower()):
            name = action.text().replace("&", "").rstrip("…")
            shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            choices.append((f"{name}    {shortcut}" if shortcut else name, action, name))
        super().__init__(parent.tr("Commands") if parent else "Commands", "", choices, parent,
                         name="commandPalette")
        self.prompt.hide()
        self.setMinimumWidth(480)
        self.query.setObjectName("paletteQuery")
        self.query.setAccessibleName(self.tr("Type a command"))
        self.query.setPlaceholderText(self.tr("Type a command…"))
        self.list.setObjectName("paletteList")
        self.list.setAccessibleName(self.tr("Commands"))
        self.chosen.connect(lambda action: action.trigger())


def keys_box(actions: list[QAction], parent: QWidget) -> QMessageBox:
    """The cheat sheet: every action with the shortcuts a person types."""
    def typed(key: str) -> bool:  # keys a person types, not the platform's dedicated Undo/F14 keys
        return "+" in key or len(key) == 1 or re.fullmatch(r"F([1-9]|1[0-2])", key) is not None

    rows = [(a.text().replace("&", "").rstrip("…"),
             ", ".join(k for k in (s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts())
                       if typed(k)))
            for a in actions if not a.shortcut().isEmpty()]
    rows.append((parent.tr("Open ticket (in the list)"), parent.tr("Enter")))
    rows.sort(key=lambda r: r[0].lower())
    half = (len(rows) + 1) // 2  # two columns: the sheet fits a laptop screen
    cells = [rows[:half], rows[half:]]
    text = "".join(
        "<tr>" + "".join(f"<td style='white-space:nowrap'><b>{html.escape(column[i][1])}</b></td>"
                         f"<td style='white-space:nowrap'>{html.escape(column[i][0])}</td>"
                         if i < len(column) else "<td></td><td></td>" for column in cells) + "</tr>"
        for i in range(half))
    box = QMessageBox(QMessageBox.Icon.Information, parent.tr("Keyboard shortcuts"),
                      f"<table cellpadding='3'>{text}</table>", parent=parent)
    box.setObjectName("keysBox")
    return box
