"""Ctrl+K: every action of the window, found by typing a few letters in
order (fuzzy), with its shortcut; Enter runs it."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

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
