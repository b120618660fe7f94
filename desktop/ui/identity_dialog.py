"""First run: who you are (the name on your changes) and what you mostly do
(which pane opens first). Not a login: anyone with the file can change it."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core import identity

ROLES = (("service", "Service: I answer today's tickets (opens the Inbox)"),
         ("relations", "Relations: I set the policies and review them (opens the Review)"),
         ("both", "Both, for now (opens the Inbox)"))


class IdentityDialog(QDialog):
    def __init__(self, current: identity.Identity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identityDialog")
        self.setWindowTitle(self.tr("Welcome to Amends"))
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Your name is recorded on every change you make and shown to others working on the "
                               "same file. It is not a password or a login."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.name = QLineEdit(current.display_name)
        self.name.setObjectName("displayName")
        self.name.setAccessibleName(self.tr("Display name"))
        layout.addWidget(self.name)
        self.roles = QButtonGroup(self)
        for key, label in ROLES:
            button = QRadioButton(self.tr(label))
            button.setObjectName(f"role_{key}")
            button.setProperty("role", key)
            button.setChecked(key == current.role)
            self.roles.addButton(button)
            layout.addWidget(button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.name.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))

    def identity(self) -> identity.Identity:
        checked = self.roles.checkedButton()
        return identity.Identity(" ".join(self.name.text().split()), checked.property("role") if checked else "both")
