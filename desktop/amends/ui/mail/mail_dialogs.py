"""Mail in the app: the mailboxes (Preferences → Mailboxes: the list, one
mailbox's settings, Test connection, Fetch now) and the Outbox, where
replies wait while the server is away.

"none" (no encryption) is only offered while the host typed is this machine
(``security.is_loopback``): a password in clear to any other server is what
the core refuses (``InsecureMail``), so the dialog does not offer it, and
says why next to the field when a host change takes it away."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends.core import away, signatures
from amends.core.errors import AmendsError, MailProblem
from amends.core.mail import connection, fetch, mailboxes, outbox, secrets, security
from amends.core.mail.mailboxes import Mailbox
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES
from amends.ui.common import ops
from amends.ui.common.messages import show_error

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
        self.adjustSize()  # a wrapped problem gets its height

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


class MailboxesDialog(QDialog):
    """Preferences → Mailboxes: the list, add / edit / remove, Test
    connection and Fetch now (both in a worker; fetching shows progress)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mailboxesDialog")
        self.setWindowTitle(self.tr("Mailboxes"))
        self.setMinimumSize(560, 340)
        self._db = db
        self.op: ops.Operation | None = None
        self.editor: AccountDialog | None = None
        self.list = QListWidget()
        self.list.setObjectName("mailboxList")
        self.list.setAccessibleName(self.tr("Mailboxes"))
        self.add_button = QPushButton(self.tr("&Add…"))
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.remove_button = QPushButton(self.tr("&Remove"))
        self.test_button = QPushButton(self.tr("&Test connection"))
        self.fetch_button = QPushButton(self.tr("&Fetch now"))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.result = QLabel()
        self.result.setObjectName("mailboxResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button, self.test_button, self.fetch_button):
            side.addWidget(button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(side)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.result)
        layout.addWidget(buttons)
        self.add_button.clicked.connect(lambda: self.edit(None))
        self.edit_button.clicked.connect(lambda: self.edit(self.current()))
        self.list.itemDoubleClicked.connect(lambda _item: self.edit(self.current()))
        self.remove_button.clicked.connect(self.remove)
        self.test_button.clicked.connect(self.test)
        self.fetch_button.clicked.connect(self.fetch_now)
        self.list.currentRowChanged.connect(lambda _row: self._enable())
        self.reload()

    def reload(self) -> None:
        chosen = self.current()
        self.list.clear()
        for box in mailboxes.all_mailboxes(self._db):
            fetches = f"IMAP {box.imap_host} {box.imap_folder}" if box.imap_host else self.tr("sends only")
            item = QListWidgetItem(f"{box.label} — {box.name} <{box.from_address}> · {fetches}")
            item.setData(Qt.ItemDataRole.UserRole, box.id)
            self.list.addItem(item)
            if chosen is not None and box.id == chosen.id:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        self._enable()

    def _enable(self) -> None:
        chosen = self.current()
        busy = self.op is not None and not self.op.done
        for button in (self.edit_button, self.remove_button, self.test_button):
            button.setEnabled(chosen is not None and not busy)
        self.fetch_button.setEnabled(chosen is not None and bool(chosen.imap_host) and not busy)

    def current(self) -> Mailbox | None:
        item = self.list.currentItem() if hasattr(self, "list") else None
        if item is None:
            return None
        try:
            return mailboxes.get(self._db, item.data(Qt.ItemDataRole.UserRole))
        except AmendsError as error:  # removed meanwhile (another window): nothing chosen
            log.info("mailbox not read: %s", error)
            return None

    def edit(self, box: Mailbox | None) -> AccountDialog:
        self.editor = AccountDialog(self._db, self, box)
        self.editor.accepted.connect(self.reload)
        self.editor.open()
        return self.editor

    def remove(self) -> None:
        box = self.current()
        if box is None:
            return
        try:
            mailboxes.remove(self._db, box.id)
        except AmendsError as error:
            log.warning("mailbox %s not removed: %s", box.label, error)
            self.result.setText(f"⚠ {error}")
            return
        self.result.setText(self.tr("{0} removed; its tickets' replies go out from the first mailbox left.")
                            .format(box.label))
        self.reload()

    def test(self) -> ops.Operation | None:
        """Both servers of the chosen mailbox, in a worker; the verdict below the list."""
        box = self.current()
        if box is None:
            return None
        imap_secret, smtp_secret = secrets.load(box.login), secrets.load(box.smtp_login)
        self.result.setText(self.tr("Testing {0}…").format(box.label))

        def shown(report: connection.ConnectionReport) -> None:
            self.result.setText("\n".join(("✓ " if r.ok else "⚠ ") + r.message for r in report.results))
            self._enable()

        self.op = ops.run(self._db, lambda job: connection.check_mailbox(box, imap_secret, smtp_secret),
                          success=shown, failure=self._failed, parent=self)
        self._enable()
        return self.op

    def fetch_now(self) -> ops.Operation | None:
        box = self.current()
        if box is None or not box.imap_host:
            return None
        secret = secrets.load(box.login)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)

        def moved(done: int, total: int) -> None:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

        def fetched(report) -> None:
            self.progress.setVisible(False)
            again = self.tr(" (the server renumbered the folder: read again, nothing twice)") if report.resynced \
                else ""
            self.result.setText(self.tr("{0}: {1} new message(s){2}.").format(box.label, report.messages, again))
            self._enable()

        self.op = ops.run(self._db, lambda job: fetch.fetch(job.db, box.id, secret, progress=job.report,
                                                            cancelled=job.cancelled),
                          success=fetched, failure=self._failed, parent=self)
        self.op.progress.connect(moved)
        self._enable()
        return self.op

    def _failed(self, error: BaseException) -> None:
        log.warning("mailbox test or fetch failed: %s", error)
        self.progress.setVisible(False)
        self.result.setText(f"⚠ {error}")
        self._enable()


def outbox_html(entries: list[dict], now: str | None = None, link_colour: str | None = None) -> str:
    """The outbox as a table: what each mail is, why it waits, and for one
    held for later its time, with Change time / Cancel links."""
    from amends.core import clock

    if not entries:
        return "<p><i>Nothing waiting; no replies sent by mail yet.</i></p>"
    now = now or clock.now_iso()
    e = html.escape
    a = f"<a style='color:{link_colour};' " if link_colour else "<a "  # the palette's blue is unreadable on dark

    def waits(x: dict) -> str:
        if x["status"] == "queued" and x.get("not_before") and x["not_before"] > now:
            return (f"sends at {e(x['not_before'][:16].replace('T', ' '))} UTC · "
                    f"{a}href='amends-reschedule:{x['id']}'>Change time…</a> · "
                    f"{a}href='amends-cancel-send:{x['id']}'>Cancel</a>")
        return f"{e(x['last_error'] or '')}{'<br>next try ' + e(x['next_attempt_at'][11:16]) + ' UTC' if x['status'] == 'queued' else ''}"

    rows = "".join(
        f"<tr><td>{e(x['status'])}</td><td>#{x['ticket_id']}</td><td>{e(x.get('kind') or 'reply')}</td>"
        f"<td>{e(x['to_address'])}</td><td>{e(x['subject'])}</td><td>{x['attempts']}</td>"
        f"<td>{waits(x)}</td></tr>" for x in entries)
    return ("<table cellpadding='3'><tr><th>Status</th><th>Ticket</th><th>What</th><th>To</th><th>Subject</th>"
            f"<th>Tries</th><th>Why it waits</th></tr>{rows}</table>")


class OutboxDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxDialog")
        self.setWindowTitle(self.tr("Outbox"))
        self.setMinimumSize(720, 360)
        self._db = db
        self.view = QTextBrowser()
        self.view.setObjectName("outboxList")
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._clicked)
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
        from PySide6.QtGui import QPalette

        self.view.setHtml(outbox_html(outbox.entries(self._db),
                                      link_colour=self.view.palette().color(QPalette.ColorRole.Text).name()))

    def send_now(self) -> ops.Operation | None:
        self.op = send_due(self, self._db, self.reload, force=True)
        return self.op

    def _clicked(self, url) -> None:
        scheme, _, ident = url.toString().partition(":")
        if not ident.isdigit():
            return
        if scheme == "amends-cancel-send":
            self.cancel(int(ident))
        elif scheme == "amends-reschedule":
            self.change_time(int(ident))

    def cancel(self, outbox_id: int) -> None:
        """A reply held for later is not sent: its text becomes the ticket's
        reply draft again (nothing typed is lost)."""
        from amends.core import drafts

        ticket_id = next((x["ticket_id"] for x in outbox.entries(self._db) if x["id"] == outbox_id), None)
        try:
            text = outbox.take_back(self._db, outbox_id)
            if ticket_id is not None:
                drafts.save(self._db, ticket_id, "reply", text)
        except AmendsError as error:
            show_error(self, error)
        self.reload()

    def change_time(self, outbox_id: int) -> QDialog:
        from amends.ui.ticket.delivery_view import LaterDialog

        dialog = LaterDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def moved() -> None:
            try:
                outbox.reschedule(self._db, outbox_id, dialog.chosen())
            except AmendsError as error:
                show_error(self, error)
            self.reload()

        dialog.accepted.connect(moved)
        self.later_dialog = dialog
        dialog.open()
        return dialog


def send_due(parent: QWidget, db: Database, done, *, force: bool = False, reported=None) -> ops.Operation | None:
    """Deliver what is due (``force``: also what waits for its next try, but
    never a reply still held for Undo or Send later) in a worker, each
    mailbox signing in with its own secret. ``reported(report)``: after."""
    boxes = mailboxes.all_mailboxes(db)
    if not boxes:
        return None
    kept = {box.id: secrets.load(box.smtp_login) for box in boxes}  # read here: the keyring is not thread-safe

    def work(job: ops.Job):
        return outbox.deliver_due(job.db, lambda box: kept.get(box.id), force=force)

    def success(report) -> None:
        done()
        if reported is not None:
            reported(report)

    return ops.run(db, work, success=success, failure=lambda error: show_error(parent, error), parent=parent)


def fetch_mail(parent: QWidget, db: Database, done, only: list[int] | None = None) -> ops.Operation | None:
    """Fetch new mail for every mailbox with an IMAP server (or ``only``
    those), in one worker; one mailbox that fails does not stop the others."""
    boxes = [b for b in fetch.imap_mailboxes(db) if only is None or b.id in only]
    if not boxes:
        return None
    kept = {box.id: secrets.load(box.login) for box in boxes}

    def work(job: ops.Job) -> fetch.FetchReport:
        total = fetch.FetchReport()
        problems = []
        for box in boxes:
            try:
                report = fetch.fetch(job.db, box.id, kept[box.id], progress=job.report, cancelled=job.cancelled)
            except MailProblem as error:
                problems.append(f"{box.label}: {error}")
                continue
            total.messages += report.messages
            total.defective += report.defective
            total.unreadable += report.unreadable
            total.resynced = total.resynced or report.resynced
            total.answered += report.answered
        if problems and len(problems) == len(boxes):
            raise MailProblem(" ".join(problems))
        for problem in problems:
            log.warning("fetching: %s", problem)
        return total

    return ops.run(db, work, success=done, failure=lambda error: show_error(parent, error, parent.tr("Fetching mail")),
                   parent=parent)
