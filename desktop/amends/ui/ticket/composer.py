"""The composer under a ticket's conversation: replies and internal notes,
saved replies with their placeholders, drafts kept as you type, the
"someone else answered" check, Send later and Undo send.

A controller, not a widget: it makes the composer's widgets and the view
lays them out (the layout is the view's). It gets the database and the
widget its dialogs open over, is told which ticket is shown (``ticket``,
``shown``), and answers through signals: ``stored`` (a message went in:
re-read and tell the others), ``reload_requested`` (show the ticket again),
``reply_stored``, ``mailbox_setup_requested``, ``send_requested``."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QPlainTextEdit, QPushButton, QWidget

from amends.core import drafts, local_drafts, replies, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common.button_row import ButtonRow
from amends.ui.common.messages import show_error
from amends.ui.common.widget_keys import on_keys

log = logging.getLogger("amends.ui.ticket")

DRAFT_SAVE_MS = 600


class Composer(QObject):
    """What is typed for one ticket, and what becomes of it."""

    #: A reply or a note was stored on (or a held reply taken back from) this ticket.
    stored = Signal(int)
    #: The ticket should be shown again (a refusal, a retry, "don't send").
    reload_requested = Signal()
    #: A reply (not a note) was stored: its message id (the outbox mails it).
    reply_stored = Signal(int)
    #: "Set up a mailbox…" (composer banner or a "not sent" reply): open the Mailboxes dialog.
    mailbox_setup_requested = Signal()
    #: A mail was made due again (Retry): the outbox should send now.
    send_requested = Signal()
    #: Text began to be (or stopped being) typed: presence says "replying".
    composing_changed = Signal()

    def __init__(self, db: Database, host: QWidget) -> None:
        super().__init__(host)
        self._db = db
        self._host = host  # dialogs and menus open over it
        self.ticket: tickets.Ticket | None = None
        self.loading = False  # the view is filling the ticket in: no draft saved for that
        self.signature = ""
        self.composer = QPlainTextEdit()
        self.composer.setObjectName("composer")
        self.composer.setAccessibleName(self.tr("Reply or note"))
        self.composer.setPlaceholderText(self.tr("Write a reply (Ctrl+Enter) or an internal note (Ctrl+Shift+Enter)…"))
        self.composer.setMaximumHeight(120)
        self.reply_button = QPushButton(self.tr("Send reply"))
        self.reply_button.setObjectName("sendReply")
        self.note_button = QPushButton(self.tr("Add internal note"))
        self.note_button.setObjectName("addNote")
        self.saved_reply_button = QPushButton(self.tr("Saved reply…"))
        self.saved_reply_button.setObjectName("savedReplyButton")
        self.saved_reply_button.setToolTip(self.tr("Insert a saved reply with its placeholders filled (Ctrl+Shift+I)"))
        self.saved_reply_button.clicked.connect(lambda: self.choose_saved_reply())
        self.placeholder_warning = QLabel()
        self.placeholder_warning.setObjectName("placeholderWarning")
        self.placeholder_warning.setWordWrap(True)
        self.placeholder_warning.hide()
        from amends.ui.ticket.delivery_view import ComposerStatus

        self.composer_status = ComposerStatus()
        self.composer_status.setup_requested.connect(self.mailbox_setup_requested)
        self.composer_status.undo_requested.connect(self.undo_send)
        self.later_button = QPushButton(self.tr("Send later…"))
        self.later_button.setObjectName("sendLater")
        self.later_button.setToolTip(self.tr("Send the reply at a time you choose (it waits in the outbox)"))
        self.later_button.clicked.connect(self.choose_later)
        self.composer_buttons = ButtonRow([self.saved_reply_button, self.note_button],
                                          [self.later_button, self.reply_button])
        self.reply_button.clicked.connect(lambda: self.send("out"))
        self.note_button.clicked.connect(lambda: self.send("note"))
        self.composer.textChanged.connect(self._composer_changed)
        self.composer.textChanged.connect(self._check_placeholders)
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(DRAFT_SAVE_MS)
        self.draft_timer.timeout.connect(self.save_draft)
        self.composer.textChanged.connect(lambda: None if self.loading else self.draft_timer.start())
        self._composing = False
        self._seen_message_id = 0  # the newest message the person had seen when they began to write
        self._seen_status = ""
        self.mode = "out"  # what Ctrl+Enter does: a reply, or (after N) an internal note
        # The composer's own keys, not window shortcuts: those mailed the draft on Ctrl+Enter in the search box
        # or any field of the window (ui/common/widget_keys.py, tests/ui/inbox/test_shortcut_reach.py).
        on_keys(self.composer, {"Ctrl+Return": lambda: self.send(self.mode),
                                "Ctrl+Shift+Return": lambda: self.send("note")})

    def shown(self, ticket: tickets.Ticket, keep_draft: bool, has_mailbox: bool, signature: str) -> None:
        """The view shows ``ticket`` (again, if ``keep_draft``): the mailbox
        banner and signature follow it; another ticket brings its own draft."""
        self.ticket = ticket
        self.signature = signature
        self.composer_status.show_mailbox(has_mailbox)
        self.composer_status.show_signature(signature, self.mode == "out")
        if not keep_draft:
            self.set_mode("out")
            self.draft_timer.stop()
            self.composer.setPlainText(local_drafts.load_any(self._db, ticket.id, "reply") or "")
            self._mark_seen(ticket)

    @property
    def composing(self) -> bool:
        """Is something typed (for presence: "replying" rather than "viewing")?"""
        return bool(self.composer.toPlainText().strip())

    def _composer_changed(self) -> None:
        composing = self.composing
        if composing and not self._composing and self.ticket is not None:
            self._mark_seen(self.ticket)
        if composing != self._composing:
            self._composing = composing
            self.composing_changed.emit()

    def _mark_seen(self, ticket: tickets.Ticket) -> None:
        self._seen_message_id = max((m.id for m in ticket.messages), default=0)
        self._seen_status = ticket.status

    def send(self, direction: str, send_at: str | None = None) -> None:
        if self.ticket is None:
            return
        text = self.composer.toPlainText()
        if not text.strip():
            self.composer.setFocus()
            return
        self._send_at = send_at if direction == "out" else None
        if direction == "out" and self._refuse_placeholders(text):
            return
        if direction == "out" and self._warn_if_overtaken(text):
            return
        self.store(direction, text)

    def has_unsent_draft(self) -> bool:
        """Is there text in the composer that was neither sent nor added as a
        note? (Resolving asks send / keep as draft / discard.)"""
        return self.ticket is not None and bool(self.composer.toPlainText().strip())

    def choose_later(self):
        """Send later: a menu of times (and "Pick a time…")."""
        from amends.ui.ticket.delivery_view import later_menu

        self.later_menu = later_menu(self._host, lambda when: self.send("out", when))
        self.later_menu.popup(self.later_button.mapToGlobal(self.later_button.rect().bottomLeft()))
        return self.later_menu

    def undo_send(self, outbox_id: int) -> None:
        """Take a held reply back: it leaves the ticket and its text returns
        to the composer (after what is being typed there, if anything)."""
        from amends.core.mail import outbox  # sending (smtplib) is imported when a reply is sent, not at start-up

        try:
            text = outbox.take_back(self._db, outbox_id)
        except AmendsError as error:
            self.composer_status.release()
            show_error(self._host, error, self.tr("The reply could not be taken back"))
            self.reload_requested.emit()
            return
        self.composer_status.release()
        if self.ticket is not None:
            current = self.composer.toPlainText()
            self.composer.setPlainText(f"{current.rstrip()}\n\n{text}" if current.strip() else text)
            self.composer.setFocus()
            self.stored.emit(self.ticket.id)

    def delivery_link(self, url) -> None:
        from amends.core.mail import outbox
        from amends.ui.ticket.delivery_view import CANCEL, RETRY, SETUP

        scheme, _, ident = url.toString().partition(":")
        if scheme == SETUP:
            self.mailbox_setup_requested.emit()
        elif scheme == RETRY and ident.isdigit():
            try:
                outbox.retry(self._db, int(ident))
            except AmendsError as error:
                show_error(self._host, error)
            self.reload_requested.emit()
            self.send_requested.emit()
        elif scheme == CANCEL and ident.isdigit():
            self.undo_send(int(ident))

    def compose(self, mode: str) -> None:
        """Start writing a reply ("out") or an internal note ("note")."""
        self.set_mode(mode)
        self.composer.setFocus()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.composer.setPlaceholderText(
            self.tr("Write an internal note — only your team sees it (Ctrl+Enter adds it)…") if mode == "note"
            else self.tr("Write a reply (Ctrl+Enter) or an internal note (Ctrl+Shift+Enter)…"))
        self.composer.setAccessibleDescription(self.tr("Internal note") if mode == "note" else self.tr("Reply"))
        self.note_button.setDefault(mode == "note")
        self.reply_button.setDefault(mode == "out")
        self.composer_status.show_signature(self.signature, mode == "out")

    # -- saved replies -----------------------------------------------------------
    def choose_saved_reply(self, step_type: str | None = None):
        """A menu of saved replies (those for ``step_type`` first); the chosen
        one goes into the composer with its placeholders filled."""
        from PySide6.QtWidgets import QMenu

        if self.ticket is None:
            return None
        try:
            available = replies.all_replies(self._db)
        except AmendsError as error:
            show_error(self._host, error)
            return None
        menu = QMenu(self._host)
        menu.setObjectName("savedRepliesMenu")
        menu.setAccessibleName(self.tr("Saved replies"))
        ordered = sorted(available, key=lambda r: (r.step_type != step_type, r.name.lower()))
        for reply in ordered:
            action = menu.addAction(reply.name)
            action.triggered.connect(lambda _c=False, r=reply: self.insert_reply(r))
        if not ordered:
            menu.addAction(self.tr("No saved replies yet (Edit → Saved replies…)")).setEnabled(False)
        self.replies_menu = menu
        menu.popup(self.saved_reply_button.mapToGlobal(self.saved_reply_button.rect().topLeft()))
        return menu

    def insert_reply(self, reply: replies.SavedReply, offer: str | None = None) -> replies.Rendered | None:
        if self.ticket is None:
            return None
        try:
            rendered = replies.render_for(self._db, reply, self.ticket.id, offer=offer)
        except AmendsError as error:
            show_error(self._host, error)
            return None
        cursor = self.composer.textCursor()
        cursor.insertText(rendered.text)
        self.composer.setFocus()
        return rendered

    def _check_placeholders(self) -> None:
        left = replies.unfilled(self.composer.toPlainText())
        self.placeholder_warning.setText(self.tr("⚠ Fill in before sending: {0}").format(replies.braced(left)))
        self.placeholder_warning.setVisible(bool(left))

    def _refuse_placeholders(self, text: str) -> bool:
        left = replies.unfilled(text)
        if not left:
            return False
        QMessageBox.warning(self._host, self.tr("Placeholders left in the reply"), self.tr(
            "The reply still contains {0}. Replace them with the real words before sending; "
            "a customer should never read a placeholder.").format(replies.braced(left)))
        self.composer.setFocus()
        return True

    def _warn_if_overtaken(self, text: str) -> bool:
        """Someone else replied to or resolved the ticket since the person
        began writing: show it and ask before sending. True = wait."""
        ticket_id = self.ticket.id
        try:
            fresh = tickets.get(self._db, ticket_id)
        except AmendsError as error:
            show_error(self._host, error)
            return True
        theirs = [m for m in fresh.messages if m.id > self._seen_message_id and m.direction in ("out", "note")
                  and m.author != self._db.actor]
        resolved = fresh.status == "resolved" and self._seen_status != "resolved"
        if not theirs and not resolved:
            return False
        lines = [f"{m.author} wrote at {m.created_at[11:16]}:\n“{m.body[:400]}”" for m in theirs[-3:]]
        if resolved:
            lines.append(self.tr("The ticket was resolved meanwhile."))
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Someone else answered"),
                          self.tr("Since you began writing:") + "\n\n" + "\n\n".join(lines), parent=self._host)
        box.setObjectName("overtakenBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        send = box.addButton(self.tr("Send mine anyway"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("Don't send"), QMessageBox.ButtonRole.RejectRole)

        def chosen(button) -> None:
            if self.ticket is None or self.ticket.id != ticket_id:
                return
            self._mark_seen(fresh)
            if button is send:
                self.store("out", text)
            else:
                self.reload_requested.emit()

        box.buttonClicked.connect(chosen)
        self.overtaken_box = box
        box.open()
        return True

    def send_unsent(self) -> bool:
        """Send what is in the composer (as the mode says); True when it went.
        The person was just asked about this ticket they resolved: that is no
        news to warn about (someone else's reply still is)."""
        if self.ticket is not None:
            try:
                self._seen_status = tickets.get(self._db, self.ticket.id, with_messages=False).status
            except AmendsError as error:
                show_error(self._host, error)
                return False
        self.send(self.mode)
        return not self.has_unsent_draft()

    def discard_unsent(self) -> None:
        """Throw the composer's text away, and its stored draft."""
        if self.ticket is None:
            return
        self.draft_timer.stop()
        self.composer.clear()
        try:
            drafts.clear(self._db, self.ticket.id, "reply")
        except AmendsError as error:  # a stale draft comes back as text to delete, nothing worse
            log.info("discarded draft of ticket %s still stored: %s", self.ticket.id, error)

    def save_draft(self) -> None:
        """What is being typed survives a crash or restart."""
        self.draft_timer.stop()
        if self.ticket is None:
            return
        try:  # on this computer while the server is away (local_drafts): nothing typed is lost
            local_drafts.save(self._db, self.ticket.id, "reply", self.composer.toPlainText())
        except AmendsError as error:
            log.info("reply draft not saved yet (busy: tried again shortly; the text is on screen): %s", error)
            self.draft_timer.start()

    def store(self, direction: str, text: str) -> None:
        from amends import settings_schema
        from amends.core.mail import outbox
        from amends.ui.common import settings

        hold = int(settings.get(settings_schema.UNDO_SEND_SECONDS)) if direction == "out" else 0
        send_at, self._send_at = getattr(self, "_send_at", None), None
        stored = None
        try:
            if direction == "out":  # the reply and its outbox entry (or "not sent") in one write
                stored = outbox.send_reply(self._db, self.ticket.id, text, hold_seconds=hold, send_at=send_at)
                message_id = stored.message_id
            else:
                message_id = tickets.add_message(self._db, self.ticket.id, direction, text)
        except AmendsError as error:  # the text stays in the composer
            show_error(self._host, error, self.tr("Your reply was not saved") if direction == "out"
                       else self.tr("Your note was not saved"))
            return
        self.draft_timer.stop()
        self.composer.clear()
        if self.mode != "out":
            self.set_mode("out")
        ticket_id = self.ticket.id
        try:
            drafts.clear(self._db, ticket_id, "reply")
        except AmendsError as error:
            # the message is stored; a stale draft only comes back as text to delete
            log.info("draft of ticket %s not cleared: %s", ticket_id, error)
        self.stored.emit(ticket_id)
        if stored is not None and stored.outbox_id is not None and stored.not_before and send_at is None:
            self.composer_status.held(stored.outbox_id, hold)
        if direction == "out":
            self.reply_stored.emit(message_id)
