"""Preferences → Mailboxes: the list of mailboxes, add / edit / remove, Test
connection and Fetch now (both off the UI thread; fetching shows progress)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from amends.core.errors import AmendsError
from amends.core.mail import connection, fetch, mailboxes, secrets
from amends.core.mail.mailboxes import Mailbox
from amends.core.store import Database
from amends.ui.common import ops
from amends.ui.mail.account_dialog import AccountDialog

log = logging.getLogger("amends.ui.mail")

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
