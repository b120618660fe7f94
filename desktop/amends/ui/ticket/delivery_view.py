"""What the composer says about sending, before and after Send: the "no
mailbox" banner (before: the reply would only be recorded), the signature
the reply will get (before), the Undo bar while a sent reply is held
(after), and Send later. Also the delivery line under each reply's bubble.

Kept beside ticket_view.py so that the ticket view only wires it in; all
the writes go through core/mail/outbox.py."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from amends.core import clock
from amends.core.mail import delivery

#: Links in the conversation for a reply's delivery.
RETRY = "amends-retry"
CANCEL = "amends-cancel-send"
SETUP = "amends-setup-mailbox"


def delivery_html(state: delivery.Delivery | None, foreground: str) -> str:
    """The line under a reply: its state in words, and what can be done."""
    if state is None:
        return ""
    words = html.escape(state.words())
    link = f'<a style="color:{foreground};" href="{{0}}">{{1}}</a>'
    actions = ""
    if state.state == "failed" and state.outbox_id is not None:
        actions = " · " + link.format(f"{RETRY}:{state.outbox_id}", "Retry")
    elif state.state == "not_sent":
        actions = " · " + link.format(f"{SETUP}:", "Set up a mailbox…")
    elif state.state == "queued" and state.held_until and state.held_until > clock.now_iso():
        actions = " · " + link.format(f"{CANCEL}:{state.outbox_id}", "Cancel sending")
    # Marks every desktop font has (an emoji clock showed as a box on Linux).
    mark = {"sent": "✓", "failed": "⚠", "not_sent": "⚠", "queued": "…"}[state.state]
    return f'<br><small style="color:{foreground};"><b>{mark} {words}</b>{actions}</small>'


def later_choices(now: datetime) -> list[tuple[str, datetime]]:
    """Send later presets, in local time: in an hour, tomorrow 09:00, Monday 09:00."""
    local = now.astimezone()
    tomorrow = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    monday = (local + timedelta(days=(7 - local.weekday()) or 7)).replace(hour=9, minute=0, second=0, microsecond=0)
    return [("In 1 hour", local + timedelta(hours=1)), (f"Tomorrow {tomorrow:%H:%M}", tomorrow),
            (f"Monday {monday:%d %b %H:%M}", monday)]


class LaterDialog(QDialog):
    """Pick the time a reply goes out (local time)."""

    def __init__(self, parent: QWidget, start: datetime | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sendLaterDialog")
        self.setWindowTitle(self.tr("Send later"))
        self.when = QDateTimeEdit(QDateTime(start or (datetime.now().astimezone() + timedelta(hours=1))))
        self.when.setObjectName("sendLaterTime")
        self.when.setCalendarPopup(True)
        self.when.setMinimumDateTime(QDateTime.currentDateTime())
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setAccessibleName(self.tr("Send at (local time)"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Send the reply at (your local time, {0}):").format(
            datetime.now().astimezone().tzname())))
        layout.addWidget(self.when)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        return clock.to_iso(self.when.dateTime().toPython().astimezone())


class ComposerStatus(QWidget):
    """The banner, the signature preview and the Undo bar under the composer."""

    #: "Set up a mailbox…" was clicked: the window opens Preferences → Mailboxes.
    setup_requested = Signal()
    #: Undo was clicked for this outbox entry.
    undo_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.banner = QWidget()
        self.banner.setObjectName("noMailboxBanner")
        self.banner_text = QLabel(self.tr("⚠ No mailbox is set up: a reply is kept on the ticket but NOT mailed "
                                          "(it shows as “not sent — no mailbox”)."))
        self.banner_text.setWordWrap(True)
        self.setup_button = QPushButton(self.tr("Set up a mailbox…"))
        self.setup_button.setObjectName("setupMailbox")
        self.setup_button.clicked.connect(self.setup_requested)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.setup_button)
        self.signature = QLabel()
        self.signature.setObjectName("signaturePreview")
        self.signature.setWordWrap(True)
        self.signature.setTextFormat(Qt.TextFormat.PlainText)
        self.signature.setAccessibleName(self.tr("Signature added to the reply"))
        self.undo_bar = QWidget()
        self.undo_bar.setObjectName("undoSendBar")
        self.undo_text = QLabel()
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setObjectName("undoSend")
        self.undo_button.clicked.connect(lambda: self.undo_requested.emit(self._held_id) if self._held_id else None)
        bar = QHBoxLayout(self.undo_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.undo_text, 1)
        bar.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.signature)
        layout.addWidget(self.undo_bar)
        self.banner.hide()
        self.signature.hide()
        self.undo_bar.hide()
        self._held_id: int | None = None
        self._left = 0
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._count_down)

    def show_mailbox(self, can_send: bool) -> None:
        self.banner.setVisible(not can_send)

    def show_signature(self, text: str, reply: bool) -> None:
        self.signature.setText(self.tr("Signed:") + " " + text.replace("\n", " / ") if text else "")
        self.signature.setVisible(bool(text) and reply)

    def held(self, outbox_id: int, seconds: int) -> None:
        """A reply was sent with a hold: offer Undo for ``seconds``."""
        self._held_id, self._left = outbox_id, seconds
        self._show_left()
        self.undo_bar.show()
        self.tick.start()

    def _count_down(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self.release()
            return
        self._show_left()

    def _show_left(self) -> None:
        self.undo_text.setText(self.tr("Reply queued — it goes out in {0} s.").format(self._left))

    def release(self) -> None:
        self.tick.stop()
        self._held_id = None
        self.undo_bar.hide()

    @property
    def held_id(self) -> int | None:
        return self._held_id


def later_menu(parent: QWidget, chosen) -> QMenu:
    """The Send later menu: presets and "Pick a time…"; ``chosen(iso)``."""
    menu = QMenu(parent)
    menu.setObjectName("sendLaterMenu")
    for label, when in later_choices(datetime.now().astimezone()):
        menu.addAction(label).triggered.connect(lambda _c=False, w=when: chosen(clock.to_iso(w)))
    menu.addSeparator()

    def pick() -> None:
        dialog = LaterDialog(parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: chosen(dialog.chosen()))
        parent.later_dialog = dialog  # type: ignore[attr-defined]  # tests find it
        dialog.open()

    menu.addAction(parent.tr("Pick a time…")).triggered.connect(pick)
    return menu
