"""The Outbox: replies waiting while the server is away or held for later,
why each waits, and Send now / Change time / Cancel (a cancelled reply's
text becomes the ticket's draft again)."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends.core.errors import AmendsError
from amends.core.mail import outbox
from amends.core.store import Database
from amends.ui.common import ops
from amends.ui.common.messages import show_error
from amends.ui.mail.mail_jobs import send_due

log = logging.getLogger("amends.ui.mail")

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
