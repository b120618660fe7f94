"""Mail in the app: the account (Preferences → Mail account) and the Outbox,
where replies wait while the server is away."""

from __future__ import annotations

import html
import logging
from dataclasses import replace

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

from amends.core.errors import AmendsError, ValidationError
from amends.core.mail import fetch, mailboxes, outbox, secrets
from amends.core.store import Database
from amends.ui.common import ops
from amends.ui.common.messages import show_error

log = logging.getLogger("amends.ui.mail")


class AccountDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountDialog")
        self.setWindowTitle(self.tr("Mail account"))
        self._db = db
        self.name = QLineEdit(self.tr("Support"))
        self.address = QLineEdit()
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.security = QComboBox()
        for key, label in (("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "none (local server only)")):
            self.security.addItem(label, key)
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.imap_host = QLineEdit()
        self.imap_host.setPlaceholderText(self.tr("leave empty to only send"))
        self.imap_port = QSpinBox()
        self.imap_port.setRange(1, 65535)
        self.imap_port.setValue(993)
        self.imap_security = QComboBox()
        for key, label in (("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", "none (local server only)")):
            self.imap_security.addItem(label, key)
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
        from amends.ui.mail.signin import SignInPanel

        self.sign_in = SignInPanel(db, lambda: self.user.text().strip() or self.address.text().strip(), self)
        form.addRow(self.sign_in)
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

    def accept(self) -> None:
        try:
            if self.sign_in.problems():  # named before anything is saved
                raise ValidationError(self.sign_in.problems())
            account_id = outbox.add_account(self._db, self.name.text(), self.address.text().strip(),
                                            smtp_host=self.host.text(), smtp_port=self.port.value(),
                                            smtp_security=self.security.currentData(),
                                            smtp_user=self.user.text().strip() or None)
            if self.imap_host.text().strip():
                fetch.set_imap(self._db, account_id, host=self.imap_host.text().strip(),
                               port=self.imap_port.value(), security=self.imap_security.currentData(),
                               user=self.user.text().strip() or self.address.text().strip(),
                               every_minutes=self.every.value())
            if self.sign_in.auth() != "password":
                box = mailboxes.get(self._db, account_id)
                mailboxes.update(self._db, replace(box, auth=self.sign_in.auth(), oauth=self.sign_in.client()))
        except AmendsError as error:
            log.warning("mail account not saved: %s", error)
            self.problem.setText(f"⚠ {error}")
            return
        if self.password.text():
            secrets.store(self.user.text().strip() or self.address.text().strip(), self.password.text())
        super().accept()

    def reject(self) -> None:
        self.sign_in.cancel()
        super().reject()


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
