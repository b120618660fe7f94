"""First run: who you are (the name on your changes) and what you mostly do
(which pane opens first). Not a login: anyone with the file can change it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from amends.core import identity
from amends.ui.common import file_dialogs

ROLES = (("service", "Service: I answer today's tickets (opens the Inbox)"),
         ("relations", "Relations: I set the policies and review them (opens the Review)"),
         ("both", "Both, for now (opens the Inbox)"))


def role_buttons(owner: QWidget, layout, current: str, prefix: str) -> QButtonGroup:
    """The three roles as radio buttons in ``layout`` (first run and Preferences)."""
    group = QButtonGroup(owner)
    for key, label in ROLES:
        button = QRadioButton(owner.tr(label))
        button.setObjectName(f"{prefix}{key}")
        button.setProperty("role", key)
        button.setChecked(key == current)
        group.addButton(button)
        layout.addWidget(button)
    return group


def chosen_role(group: QButtonGroup) -> str:
    checked = group.checkedButton()
    return checked.property("role") if checked else "both"


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
        self.roles = role_buttons(self, layout, current.role, "role_")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.name.textChanged.connect(lambda text: self.ok.setEnabled(bool(text.strip())))

    def identity(self) -> identity.Identity:
        return identity.Identity(" ".join(self.name.text().split()), chosen_role(self.roles))


class WelcomeDialog(IdentityDialog):
    """The first run: who you are, which database (the default one, or open
    or create another — on a network share for a team), and whether to
    load demo data to look around."""

    def __init__(self, current: identity.Identity, default_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(current, parent)
        self.path = default_path
        layout = self.layout()
        where = QLabel(self.tr("<b>Database</b>"))
        self.path_label = QLabel()
        self.path_label.setObjectName("welcomePath")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose = QPushButton(self.tr("Open or create another file…"))
        self.choose.setObjectName("welcomeChoose")
        self.choose.setToolTip(self.tr("For a team: choose a file on a shared folder that everyone opens."))
        self.demo = QCheckBox(self.tr("Load demo data into it (2,000 tickets with customers, policies and history)"))
        self.demo.setObjectName("welcomeDemo")
        for widget in (where, self.path_label, self.choose, self.demo):
            layout.insertWidget(layout.count() - 1, widget)
        self.choose.clicked.connect(self.pick_file)
        self.ok.setText(self.tr("Start"))
        self._show_path()

    def _show_path(self) -> None:
        state = self.tr("exists — it will be opened") if self.path.exists() else self.tr("new — it will be created")
        self.path_label.setText(f"{self.path}  ({state})")
        self.demo.setEnabled(not self.path.exists())
        if self.path.exists():
            self.demo.setChecked(False)

    def pick_file(self) -> None:
        picked, _ = file_dialogs.get_save_file_name(self, self.tr("Open or create an Amends database"), str(self.path),
                                                    self.tr("Amends databases (*.db)"),
                                                    options=QFileDialog.Option.DontConfirmOverwrite)
        if picked:
            self.set_path(Path(picked))

    def set_path(self, path: Path) -> None:
        self.path = path
        self._show_path()
