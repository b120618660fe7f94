"""One mailbox's settings (Preferences → Mailboxes → Add / Edit): addresses,
servers, sign-in, signature, away reply, saved against the version read.

"none" (no encryption) is only offered while the host typed is this machine
(``security.is_loopback``): a password in clear to any other server is what
the core refuses (``InsecureMail``), so the dialog does not offer it, and
says why next to the field when a host change takes it away."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from amends.core import away, signatures
from amends.core.errors import AmendsError
from amends.core.mail import mailboxes, secrets, security
from amends.core.mail.mailboxes import Mailbox
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES

log = logging.getLogger("amends.ui.mail")

class AccountDialog(QDialog):
    """One mailbox: a new one, or ``mailbox`` to edit (saved against the
    version it was read at)."""

    def __init__(self, db: Database, parent: QWidget | None = None, mailbox: Mailbox | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountDialog")
        self.setWindowTitle(self.tr("Mailbox") if mailbox is None else self.tr("Mailbox {0}").format(mailbox.label))
        self.setMinimumWidth(520)  # wrapped notes and problems need the width to be read whole
        self._db = db
        self._mailbox = mailbox
        self.label = QLineEdit()
        self.label.setPlaceholderText(self.tr("a short name: hello, billing (default: the address before @)"))
        self.name = QLineEdit(self.tr("Support"))
        self.address = QLineEdit()
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.security = QComboBox()
        for key, label in (("starttls", "STARTTLS"), ("ssl", "SSL/TLS")):
            self.security.addItem(label, key)
        self.security_problem = self._problem_label("securityProblem")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.imap_host = QLineEdit()
        self.imap_host.setPlaceholderText(self.tr("leave empty to only send"))
        self.imap_port = QSpinBox()
        self.imap_port.setRange(1, 65535)
        self.imap_port.setValue(993)
        self.imap_security = QComboBox()
        for key, label in (("ssl", "SSL/TLS"), ("starttls", "STARTTLS")):
            self.imap_security.addItem(label, key)
        self.imap_security_problem = self._problem_label("imapSecurityProblem")
        #: core field name → (host field, security choice, where its problem shows)
        self._security_fields = {"smtp_security": (self.host, self.security, self.security_problem),
                                 "imap_security": (self.imap_host, self.imap_security, self.imap_security_problem)}
        for field, (host, _choice, _problem) in self._security_fields.items():
            host.textChanged.connect(lambda _text, field=field: self._offer_security(field))
        self.folder = QLineEdit("INBOX")
        self.every = QSpinBox()
        self.every.setRange(1, 1440)
        self.every.setValue(5)
        self.every.setSuffix(self.tr(" minutes"))
        self.signature = QPlainTextEdit()
        self.signature.setTabChangesFocus(True)
        self.signature.setMaximumHeight(70)
        self.signature.setToolTip(self.tr("Under every reply from this mailbox (after the person's own). "
                                          "Placeholders: {0}").format(
            ", ".join("{" + name + "}" for name in signatures.PLACEHOLDERS)))
        # Away replies (issue 17.7): never to auto-replies, bounces or lists; once per person a day.
        self.away_mode = QComboBox()
        self.away_mode.setObjectName("awayMode")
        for key, label in (("off", "Off"), ("hours", "Outside business hours"), ("on", "On (away now)")):
            self.away_mode.addItem(self.tr(label), key)
        self.away_text = QPlainTextEdit()
        self.away_text.setObjectName("awayText")
        self.away_text.setTabChangesFocus(True)
        self.away_text.setMaximumHeight(70)
        self.away_text.setPlaceholderText(away.DEFAULT_TEXT)
        self.category = QComboBox()
        self.category.addItem(self.tr("(none: Other)"), None)
        for key, label in CATEGORIES.items():
            self.category.addItem(self.tr(label), key)
        self.assignee = QLineEdit()
        self.assignee.setPlaceholderText(self.tr("nobody"))
        form = QFormLayout(self)
        for label, widget in (("Mailbox name", self.label), ("Display name", self.name),
                              ("From address", self.address), ("SMTP server", self.host),
                              ("Port", self.port), ("Security", self.security), ("User", self.user),
                              ("Password", self.password), ("IMAP server", self.imap_host),
                              ("IMAP port", self.imap_port), ("IMAP security", self.imap_security),
                              ("IMAP folder", self.folder), ("Fetch every", self.every),
                              ("Signature", self.signature), ("Away reply", self.away_mode),
                              ("Away text", self.away_text), ("New tickets: category", self.category),
                              ("New tickets: assignee", self.assignee)):
            widget.setAccessibleName(self.tr(label))
            form.addRow(self.tr(label), widget)
            if widget is self.security:
                form.addRow("", self.security_problem)
            elif widget is self.imap_security:
                form.addRow("", self.imap_security_problem)
        from amends.ui.mail.signin import SignInPanel

        self.sign_in = SignInPanel(db, lambda: self.user.text().strip() or self.address.text().strip(), self)
        form.addRow(self.sign_in)
        note = QLabel(self.tr("The password goes to your system's keyring, or is kept for this session only. It is "
                              "never written into the database."))
        note.setWordWrap(True)
        form.addRow(note)
        self.problem = QLabel()
        self.problem.setObjectName("problems")
        self.problem.setWordWrap(True)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        if mailbox is not None:
            self._fill(mailbox)

    def _fill(self, box: Mailbox) -> None:
        self.label.setText(box.label)
        self.name.setText(box.name)
        self.address.setText(box.from_address)
        self.host.setText(box.smtp_host or "")
        self.port.setValue(box.smtp_port or 587)
        self.security.setCurrentIndex(max(0, self.security.findData(box.smtp_security)))
        self.user.setText(box.smtp_user or box.imap_user or "")
        self.imap_host.setText(box.imap_host or "")
        self.imap_port.setValue(box.imap_port or 993)
        self.imap_security.setCurrentIndex(max(0, self.imap_security.findData(box.imap_security)))
        self.folder.setText(box.imap_folder)
        self.every.setValue(box.fetch_minutes)
        self.signature.setPlainText(box.signature or "")
        settings = away.get(self._db, box.id)
        self.away_mode.setCurrentIndex(max(0, self.away_mode.findData(settings.mode)))
        self.away_text.setPlainText("" if settings.text == away.DEFAULT_TEXT else settings.text)
        self.category.setCurrentIndex(max(0, self.category.findData(box.default_category)))
        self.assignee.setText(box.default_assignee or "")
        self.sign_in.set_mailbox(box)

    def mailbox(self) -> Mailbox:
        """What the fields say, as a mailbox record."""
        user = self.user.text().strip() or None
        imap = self.imap_host.text().strip() or None
        old = self._mailbox
        return Mailbox(old.id if old else 0, self.label.text().strip(), self.name.text(), self.address.text().strip(),
                       self.host.text(), self.port.value(), self.security.currentData(), user,
                       imap_host=imap, imap_port=self.imap_port.value() if imap else None,
                       imap_security=self.imap_security.currentData(),
                       imap_user=(user or self.address.text().strip()) if imap else None,
                       imap_folder=self.folder.text().strip() or "INBOX", fetch_minutes=self.every.value(),
                       signature=self.signature.toPlainText().strip() or None,
                       default_category=self.category.currentData(),
                       default_assignee=self.assignee.text().strip() or None,
                       auth=self.sign_in.auth(), oauth=self.sign_in.client(), version=old.version if old else 1)

    def _problem_label(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.hide()
        return label

    def _offer_security(self, field: str) -> None:
        """"none" while the host is this machine; when the host stops being
        it under a chosen "none", the choice goes back to encrypted and the
        core's reason is shown under the field (nothing changes silently)."""
        host, choice, problem = self._security_fields[field]
        at = choice.findData("none")
        if security.is_loopback(host.text()):
            if at < 0:
                choice.addItem(self.tr("none (local server only)"), "none")
            problem.hide()
            return
        if at < 0:
            return
        chosen = choice.currentData() == "none"
        choice.removeItem(at)
        if chosen:
            try:
                security.check(host.text().strip(), "none", field)
            except security.InsecureMail as error:
                self._show_problems(error, self.tr("Set back to {0}: ").format(choice.currentText()))

    def _show_problems(self, error: security.InsecureMail, prefix: str = "") -> None:
        for field, reason in error.problems:
            if field in self._security_fields:
                label = self._security_fields[field][2]
                label.setText(f"⚠ {prefix}{reason}")
                label.show()
        self.adjustSize()  # a wrapped problem gets its height...
        layout = self.layout()  # ...at the width it is shown at (adjustSize alone took a narrower one and
        if layout is not None and layout.hasHeightForWidth():  # clipped its last line)
            self.resize(self.width(), max(self.height(), layout.totalHeightForWidth(self.width())))

    def accept(self) -> None:
        for _host, _choice, problem in self._security_fields.values():
            problem.hide()
        box = self.mailbox()
        try:
            # both servers checked before anything is written (the core checks again)
            security.check(box.smtp_host or "", box.smtp_security, "smtp_security")
            if box.imap_host:
                security.check(box.imap_host, box.imap_security, "imap_security")
            signatures.check(box.signature or "")
            with self._db.transaction():  # the mailbox and its away reply: one write
                if self._mailbox is None:
                    box = mailboxes.get(self._db, mailboxes.add(self._db, box))
                else:
                    mailboxes.update(self._db, box)
                away.set_away(self._db, box.id, self.away_mode.currentData(), self.away_text.toPlainText())
        except security.InsecureMail as error:
            log.warning("mailbox not saved: %s", error)
            self._show_problems(error)
            self.problem.setText(self.tr("⚠ Not saved: see the security choice above."))
            return
        except AmendsError as error:
            log.warning("mailbox not saved: %s", error)
            self.problem.setText(f"⚠ {error}")
            return
        if self.password.text():
            secrets.store(box.login, self.password.text())
            if box.smtp_login != box.login:
                secrets.store(box.smtp_login, self.password.text())
        super().accept()

    def reject(self) -> None:
        self.sign_in.cancel()
        super().reject()
