"""A dialog that asks for a required note: why publish, what a review found,
why a proposal is declined, what a proposal is."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class NoteDialog(QDialog):
    """Asks for a required note (why publish, what a review found, why a
    proposal is declined); OK stays disabled until there is one."""

    def __init__(self, title: str, prompt: str, button: str, parent: QWidget | None = None,
                 name: str = "noteDialog") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        label = QLabel(prompt)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.note = QPlainTextEdit()
        self.note.setObjectName("note")
        self.note.setAccessibleName(title)
        layout.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton(button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled(False)
        self.note.textChanged.connect(lambda: self.ok.setEnabled(bool(self.note.toPlainText().strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def PublishDialog(name: str, parent: QWidget | None = None) -> NoteDialog:
    return NoteDialog(QCoreApplication.translate("Amends", "Publish {0}").format(name),
                      QCoreApplication.translate("Amends", "Why are you publishing this version? Everyone resolving "
                                                           "tickets from now on follows it; earlier resolutions keep "
                                                           "their version."),
                      QCoreApplication.translate("Amends", "Publish"), parent, "publishDialog")
