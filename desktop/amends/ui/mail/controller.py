"""Mail in the window's rhythm: the account and outbox dialogs, sending
what is due every minute and right after a reply, fetching every N minutes,
and between fetches a watch on each mailbox that answered (IDLE where the
server offers it, else polling): new mail is fetched when it arrives.
Given the database, the bus and a parent for dialogs, not the window."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QDialog, QWidget

from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import ops
from amends.ui.common.databus import Changed, DataBus

log = logging.getLogger("amends.ui.mail")

#: How long one watch waits before it is begun again (servers drop an IDLE after 30 minutes).
WATCH_SECONDS = 25 * 60


class MailController(QObject):
    def __init__(self, db: Database, bus: DataBus, parent: QWidget) -> None:
        super().__init__(parent)
        self.db = db
        self.bus = bus
        self.parent_widget = parent
        self.minutes = 0
        self.account_dialog: QDialog | None = None
        self.mailboxes_dialog: QDialog | None = None
        self.outbox_dialog: QDialog | None = None
        self.fetch_op: ops.Operation | None = None
        self.mail_op: ops.Operation | None = None
        #: Mailbox id -> its running watch. Watches wait for minutes: they get a pool of their
        #: own, so that they never hold back the workers of fetches, imports and the rest.
        self.watches: dict[int, ops.Operation] = {}
        self.watch_pool = QThreadPool(self)
        self.watch_pool.setMaxThreadCount(32)

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_account(self) -> QDialog:
        from amends.ui.mail.account_dialog import AccountDialog

        self.account_dialog = self._open(AccountDialog(self.db, self.parent_widget))
        return self.account_dialog

    def open_mailboxes(self) -> QDialog:
        from amends.ui.mail.mailboxes_dialog import MailboxesDialog

        self.mailboxes_dialog = self._open(MailboxesDialog(self.db, self.parent_widget))
        return self.mailboxes_dialog

    def open_outbox(self) -> QDialog:
        from amends.ui.mail.outbox_dialog import OutboxDialog

        self.outbox_dialog = self._open(OutboxDialog(self.db, self.parent_widget))
        return self.outbox_dialog

    def reply_stored(self, message_id: int) -> None:
        """A reply was written. The ticket view hands it to the outbox itself
        (core outbox.send_reply, held for Undo): send it once its hold is
        over. A reply not in the outbox yet (older callers) is queued here."""
        from amends.core import clock
        from amends.core.mail import delivery, outbox

        try:
            state = delivery.for_messages(self.db, [message_id]).get(message_id)
            if state is not None and state.state == "not_sent":
                self.bus.say(self.tr("The reply is kept on the ticket but not mailed: {0}.").format(
                    state.reason), 10000)
                return
            if state is None:
                if outbox.account(self.db) is None:
                    return
                outbox.queue_reply(self.db, message_id)
        except AmendsError as error:
            log.warning("reply %s saved but not queued for mail: %s", message_id, error)
            self.bus.say(self.tr("The reply is saved but not mailed: {0}").format(error), 10000)
            return
        if state is not None and state.held_until:
            wait = (clock.parse_iso(state.held_until) - clock.now()).total_seconds()
            if wait > 0:
                if wait < 3600:  # later ones go with the minute chores
                    QTimer.singleShot(int(wait * 1000) + 500, self.send_mail)
                return
        self.send_mail()

    def chores(self) -> None:
        """Every minute: send what is due; each mailbox every N minutes: fetch."""
        from amends.core.mail import fetch

        self.minutes += 1
        self.send_mail()
        try:
            due = [box.id for box in fetch.imap_mailboxes(self.db) if self.minutes % box.fetch_minutes == 0]
        except AmendsError as error:
            log.warning("mailboxes not read (the next minute tries again): %s", error)
            return
        if due and (self.fetch_op is None or self.fetch_op.done):
            self.fetch_mail(due)

    def fetch_mail(self, only: list[int] | None = None) -> ops.Operation | None:
        from amends.ui.mail.mail_jobs import fetch_mail

        self.fetch_op = fetch_mail(self.parent_widget, self.db, self.fetched, only if isinstance(only, list) else None)
        if self.fetch_op is None:
            self.bus.say(self.tr("No IMAP server is set up (Edit → Mailboxes…)."), 6000)
        return self.fetch_op

    def fetched(self, report) -> None:
        """The fetch's status line: how many came in, how many of them were
        kept with defects (marked in the conversation), and what the server
        listed but did not hand over (nothing of it is in the database)."""
        if report.defective:
            text = self.tr("Fetched {0} new message(s), {1} kept with defects (see the notes under them).").format(
                report.messages, report.defective)
        else:
            text = self.tr("Fetched {0} new message(s).").format(report.messages)
        if report.unreadable:
            text += " " + self.tr("Not fetched: {0}.").format("; ".join(
                self.tr("message {0}: {1}").format(uid, why) for uid, why in report.unreadable))
        self.bus.say(text, 15000 if report.defective or report.unreadable else 6000)
        self.bus.announce(Changed.TICKETS)
        self.watch(report.answered)

    def watch(self, box_ids: list[int]) -> None:
        """Wait on these mailboxes' folders for new mail, each in its own
        worker (fetch.wait_for_mail: IDLE, else polling), and fetch a mailbox
        when its server says mail arrived. Only mailboxes that were just
        fetched are watched (their servers answer); a watch that fails is
        begun again after the mailbox's next fetch."""
        from amends.core.mail import fetch, secrets

        try:
            boxes = [b for b in fetch.imap_mailboxes(self.db) if b.id in box_ids and b.id not in self.watches]
            kept = {box.id: secrets.load(box.login) for box in boxes}
            # what was fetched: mail that comes before the watch begins is then not missed
            fetched = {box.id: fetch.folder_state(self.db, box)[1] or 0 for box in boxes}
        except AmendsError as error:
            log.info("mailboxes not watched (the next fetch tries again): %s", error)
            return
        for box in boxes:
            def work(job: ops.Job, box=box) -> bool | None:
                arrived = fetch.wait_for_mail(box, kept[box.id], WATCH_SECONDS, cancelled=job.cancelled,
                                              since_uid=fetched[box.id])
                return None if job.cancelled() else arrived

            self.watches[box.id] = ops.run(
                self.db, work, parent=self, pool=self.watch_pool,
                success=lambda arrived, box_id=box.id: self._watched(box_id, arrived),
                failure=lambda error, box_id=box.id: self._watch_failed(box_id, error))

    def _watched(self, box_id: int, arrived: bool | None) -> None:
        self.watches.pop(box_id, None)
        if arrived is None:  # stopped (the window closes)
            return
        if not arrived:
            self.watch([box_id])
        elif self.fetch_op is None or self.fetch_op.done:
            if self.fetch_mail([box_id]) is None:  # the mailbox is gone
                return
        else:  # a fetch is running: come back when it is done
            QTimer.singleShot(2000, self, lambda: self._watched(box_id, True))

    def stop_watching(self, timeout_ms: int = 5000) -> None:
        """Before the window goes: every watch is asked to stop (each notices
        within a second) and waited for."""
        for op in list(self.watches.values()):
            op.cancel()
        self.watches.clear()
        self.watch_pool.waitForDone(timeout_ms)

    def _watch_failed(self, box_id: int, error: BaseException) -> None:
        self.watches.pop(box_id, None)
        log.info("not waiting for new mail in mailbox %s (the next fetch tries again): %s", box_id, error)

    def _delivered(self, report) -> None:
        """Something was sent or failed: the bubbles and the list show it."""
        if report.sent or report.waiting or report.failed:
            self.bus.announce(Changed.TICKETS)

    def send_mail(self) -> ops.Operation | None:
        """Deliver due replies (every minute, and right after a reply)."""
        from amends.ui.mail.mail_jobs import send_due

        self.mail_op = send_due(self.parent_widget, self.db, lambda: None, reported=self._delivered)
        return self.mail_op
