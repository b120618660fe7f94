"""Mail in the app: the account (Preferences → Mail account) and the Outbox,
where replies wait while the server is away.

"none" (no encryption) is only offered while the host typed is this machine
(``security.is_loopback``): a password in clear to any other server is what
the core refuses (``InsecureMail``), so the dialog does not offer it, and
says why next to the field when a host change takes it away."""

from __future__ import annotations

import html
import logging

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends.core.errors import AmendsError
from amends.core.mail import fetch, outbox, secrets, security
from amends.core.store import Database
from amends.ui.common import ops
from amends.ui.common.messages import show_error

log = logging.getLogger("amends.ui.mail")


class AccountDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountDialog")
        self.setWindowTitle(self.tr("Mail account"))
        self.setMinimumWidth(520)  # wrapped notes and problems need the width to be read whole
        self._db = db
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
        self.every = QSpinBox()
        self.every.setRange(1, 1440)
        self.every.setValue(5)
        self.every.setSuffix(self.tr(" minutes"))
        form = QFormLayout(self)
        for label, widget in (("Name", self.name), ("From address", self.address), ("SMTP server", self.host),
                              ("Port", self.port), ("Security", self.security), ("User", self.user),
                              ("Password", self.password), ("IMAP server", self.imap_host),
                              ("IMAP port", self.imap_port), ("IMAP security", self.imap_security),
                              ("Fetch every", self.every)):
            widget.setAccessibleName(self.tr(label))
            form.addRow(self.tr(label), widget)
            if widget is self.security:
                form.addRow("", self.security_problem)
            elif widget is self.imap_security:
                form.addRow("", self.imap_security_problem)
        note = QLabel(self.tr("The password goes to your system's keyring, or is kept for this session only. It is "
                              "never written into the database."))
        note.setWordWrap(True)
        form.addRow(note)
        self.problem = QLabel()
        self.problem.setObjectName("problems")
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

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
        self.adjustSize()  # a wrapped problem gets its height

    def accept(self) -> None:
        for _host, _choice, problem in self._security_fields.values():
            problem.hide()
        try:
            # checked for both servers before anything is written: a refused IMAP
            # setting must not leave the SMTP account saved (Save again would add a second)
            security.check(self.host.text().strip(), self.security.currentData(), "smtp_security")
            if self.imap_host.text().strip():
                security.check(self.imap_host.text().strip(), self.imap_security.currentData(), "imap_security")
            account_id = outbox.add_account(self._db, self.name.text(), self.address.text().strip(),
                                            smtp_host=self.host.text(), smtp_port=self.port.value(),
                                            smtp_security=self.security.currentData(),
                                            smtp_user=self.user.text().strip() or None)
            if self.imap_host.text().strip():
                fetch.set_imap(self._db, account_id, host=self.imap_host.text().strip(),
                               port=self.imap_port.value(), security=self.imap_security.currentData(),
                               user=self.user.text().strip() or self.address.text().strip(),
                               every_minutes=self.every.value())
        except security.InsecureMail as error:
            log.warning("mail account not saved: %s", error)
            self._show_problems(error)
            self.problem.setText(self.tr("⚠ Not saved: see the security choice above."))
            return
        except AmendsError as error:
            log.warning("mail account not saved: %s", error)
            self.problem.setText(f"⚠ {error}")
            return
        if self.password.text():
            secrets.store(self.user.text().strip() or self.address.text().strip(), self.password.text())
        super().accept()


def outbox_html(entries: list[dict]) -> str:
    if not entries:
        return "<p><i>Nothing waiting; no replies sent by mail yet.</i></p>"
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(x['status'])}</td><td>#{x['ticket_id']}</td><td>{e(x['to_address'])}</td>"
        f"<td>{e(x['subject'])}</td><td>{x['attempts']}</td>"
        f"<td>{e(x['last_error'] or '')}{'<br>next try ' + e(x['next_attempt_at'][11:16]) if x['status'] == 'queued' else ''}"
        f"</td></tr>" for x in entries)
    return ("<table cellpadding='3'><tr><th>Status</th><th>Ticket</th><th>To</th><th>Subject</th><th>Tries</th>"
            f"<th>Why it waits</th></tr>{rows}</table>")


class OutboxDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxDialog")
        self.setWindowTitle(self.tr("Outbox"))
        self.setMinimumSize(720, 360)
        self._db = db
        self.view = QTextBrowser()
        self.view.setObjectName("outboxList")
        self.send_button = QPushButton(self.tr("Send now"))
        self.send_button.setObjectName("sendNow")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.send_button.clicked.connect(self.send_now)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.view.setHtml(outbox_html(outbox.entries(self._db)))

    def send_now(self) -> ops.Operation | None:
        self.op = send_due(self, self._db, self.reload, force=True)
        return self.op


def send_due(parent: QWidget, db: Database, done, *, force: bool = False) -> ops.Operation | None:
    """Deliver what is due (``force``: everything queued) in a worker."""
    sender = outbox.account(db)
    if sender is None:
        return None
    password = secrets.load(sender.smtp_user or sender.from_address)

    def work(job: ops.Job):
        from amends.core import clock

        now = "9999-12-31T23:59:59Z" if force else clock.now_iso()
        return outbox.deliver_due(job.db, password, now=now)

    return ops.run(db, work, success=lambda report: done(), failure=lambda error: show_error(parent, error),
                   parent=parent)


def fetch_mail(parent: QWidget, db: Database, done) -> ops.Operation | None:
    """Fetch new mail for the first account with an IMAP server, in a worker."""
    account = fetch.imap_account(db)
    if account is None:
        return None
    password = secrets.load(account.login)
    return ops.run(db, lambda job: fetch.fetch(job.db, account.id, password, progress=job.report,
                                               cancelled=job.cancelled),
                   success=done, failure=lambda error: show_error(parent, error, parent.tr("Fetching mail")),
                   parent=parent)
