"""Preferences: who you are, what you mostly do, notifications, appearance,
and the mailboxes (their own dialog, desktop/amends/ui/mail/mailboxes_dialog.py).
The name and role live with the CLI's (desktop/amends/core/identity.py); the rest
are this machine's settings (QSettings)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from amends.core import attachments, identity, signatures
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import appearance, settings
from amends.ui.shell import tray
from amends.ui.shell.identity_dialog import chosen_role, role_buttons

log = logging.getLogger("amends.ui.preferences")
MB = 1024 * 1024


class PreferencesDialog(QDialog):
    """Given the database (whose actor it changes) and whether there is a
    tray; tells the shell what changed through signals."""

    #: The display name was saved: the status bar shows it.
    name_changed = Signal(str)
    #: Show the tray icon or not.
    tray_chosen = Signal(bool)
    #: The colour scheme was applied: the window redraws its icons.
    appearance_changed = Signal()

    def __init__(self, db: Database, tray_available: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle(self.tr("Preferences"))
        self._db = db
        current = identity.load()
        self.name = QLineEdit(db.actor)
        self.name.setObjectName("prefName")
        self.name.setAccessibleName(self.tr("Display name"))
        self.name.setAccessibleDescription(self.tr("Recorded on every change you make and shown to others"))
        role_box = QVBoxLayout()
        self.roles = role_buttons(self, role_box, current.role, "prefRole_")
        self.notify = QCheckBox(self.tr("Notify me when a follow-up falls due"))
        self.notify.setObjectName("prefNotify")
        self.notify.setChecked(tray.notifications_on())
        self.show_tray = QCheckBox(self.tr("Show Amends in the system tray with the due and new counts"))
        self.show_tray.setObjectName("prefTray")
        self.show_tray.setChecked(settings.get(tray.TRAY_SETTING))
        if not tray_available:
            self.show_tray.setToolTip(self.tr("This desktop has no system tray."))
        self.scheme = QComboBox()
        self.scheme.setObjectName("prefScheme")
        self.scheme.setAccessibleName(self.tr("Colour scheme"))
        for key, label in appearance.SCHEMES.items():
            self.scheme.addItem(self.tr(label), key)
        self.scheme.setCurrentIndex(max(0, self.scheme.findData(settings.get(appearance.SETTING))))
        # For everyone using this database file (a setting in it), not this machine only.
        self.attachment_limit = QSpinBox()
        self.attachment_limit.setObjectName("prefAttachmentLimit")
        self.attachment_limit.setRange(0, 2000)
        self.attachment_limit.setSuffix(self.tr(" MB"))
        self.attachment_limit.setValue(attachments.limit(db.conn) // MB)
        self.attachment_limit.setAccessibleName(self.tr("Largest attachment kept"))
        self.attachment_limit.setEnabled(not db.readonly)
        self.attachment_limit.setToolTip(self.tr("Larger files are listed on their message but not kept. "
                                                 "This applies to everyone using this database."))
        form = QFormLayout()
        name_label = QLabel(self.tr("&Your name"))
        name_label.setBuddy(self.name)
        form.addRow(name_label, self.name)
        form.addRow(QLabel(self.tr("You mostly do")), role_box)
        form.addRow(QLabel(self.tr("Notifications")), self.notify)
        form.addRow(QLabel(""), self.show_tray)
        scheme_label = QLabel(self.tr("&Appearance"))
        scheme_label.setBuddy(self.scheme)
        form.addRow(scheme_label, self.scheme)
        limit_label = QLabel(self.tr("&Keep attachments up to"))
        limit_label.setBuddy(self.attachment_limit)
        form.addRow(limit_label, self.attachment_limit)
        self.mailboxes_button = QPushButton(self.tr("&Mailboxes…"))
        self.mailboxes_button.setObjectName("prefMailboxes")
        self.mailboxes_button.setToolTip(self.tr("The addresses mail comes in on and goes out from"))
        self.mailboxes_button.clicked.connect(self.open_mailboxes)
        self.mailboxes_dialog: QDialog | None = None
        form.addRow(QLabel(self.tr("Mail")), self.mailboxes_button)
        # Your own signature, under every reply you send (not under notes); stored in the file.
        self.signature = QPlainTextEdit(signatures.person(db))
        self.signature.setObjectName("prefSignature")
        self.signature.setTabChangesFocus(True)
        self.signature.setMaximumHeight(70)
        self.signature.setAccessibleName(self.tr("Your signature"))
        self.signature.setEnabled(not db.readonly)
        self.signature.setToolTip(self.tr("Placeholders: {0}. The mailbox's own signature follows it.").format(
            ", ".join("{" + name + "}" for name in signatures.PLACEHOLDERS)))
        signature_label = QLabel(self.tr("Your &signature"))
        signature_label.setBuddy(self.signature)
        form.addRow(signature_label, self.signature)
        self.targets_button = QPushButton(self.tr("Reply &targets and business hours…"))
        self.targets_button.setObjectName("prefTargets")
        self.targets_button.setToolTip(self.tr("How soon customers should hear back, per category and priority "
                                               "(for everyone using this database)"))
        self.targets_button.clicked.connect(self.open_targets)
        self.targets_dialog: QDialog | None = None
        form.addRow(QLabel(self.tr("Service")), self.targets_button)
        self.problem = QLabel()
        self.problem.setObjectName("replyProblem")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def open_mailboxes(self) -> QDialog:
        from amends.ui.mail.mailboxes_dialog import MailboxesDialog

        self.mailboxes_dialog = MailboxesDialog(self._db, self)
        self.mailboxes_dialog.open()
        return self.mailboxes_dialog

    def open_targets(self) -> QDialog:
        from amends.ui.shell.targets_dialog import TargetsDialog

        self.targets_dialog = TargetsDialog(self._db, self)
        self.targets_dialog.open()
        return self.targets_dialog

    def accept(self) -> None:
        name = " ".join(self.name.text().split())
        if not name:
            self.problem.setText(self.tr("⚠ A display name cannot be empty."))
            return
        person = identity.load()
        person.display_name = name
        person.role = chosen_role(self.roles)
        try:
            identity.save(person)
        except OSError as error:
            log.warning("identity not saved: %s", error)
            self.problem.setText(self.tr("⚠ Could not save your name and role: {0}").format(error.strerror))
            return
        if name != self._db.actor:
            self._db.actor = name
            self.name_changed.emit(name)
        if self.signature.isEnabled() and self.signature.toPlainText().strip() != signatures.person(self._db):
            try:
                signatures.set_person(self._db, self.signature.toPlainText())
            except AmendsError as error:
                log.warning("signature not saved: %s", error)
                self.problem.setText(self.tr("⚠ Your signature was not saved: {0}").format(error))
                return
        if self.attachment_limit.value() != attachments.limit(self._db.conn) // MB:
            try:
                attachments.set_limit(self._db, self.attachment_limit.value() * MB)
            except AmendsError as error:
                log.warning("attachment limit not saved: %s", error)
                self.problem.setText(self.tr("⚠ Could not save the attachment limit: {0}").format(error))
                return
        settings.put(tray.NOTIFY_SETTING, self.notify.isChecked())
        settings.put(appearance.SETTING, self.scheme.currentData())
        appearance.apply_scheme(self.scheme.currentData())
        self.tray_chosen.emit(self.show_tray.isChecked())
        self.appearance_changed.emit()
        super().accept()
