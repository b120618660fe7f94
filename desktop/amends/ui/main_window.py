"""The main window: the Inbox (service) and Policies (relations) panes,
menus with standard shortcuts, window state in QSettings, and a cheap poll
of ``PRAGMA data_version`` so that changes made by other app instances on
the same file show up without pressing anything."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from amends import __version__
from amends.core import audit, identity, presence, resolution, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui import ops
from amends.ui.inbox_pane import InboxPane
from amends.ui.messages import show_error

POLL_MS = 1000
HEARTBEAT_MS = 5000
WAIT_VISIBLE_AFTER = 1.0
BACKUP_DELAY_MS = 10_000  # the daily backup waits until start-up is over
DEMO_TICKETS = 2000


class MainWindow(QMainWindow):
    #: Emitted with the path the person chose in File → Open (app.py reopens).
    open_requested = Signal(Path)

    def __init__(self, db: Database, parent: QWidget | None = None, *, role: str = "both") -> None:
        super().__init__(parent)
        self.db = db
        self.role = role
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("Amends — {0}").format(db.path.name))
        self.resize(1500, 900)

        self.inbox = InboxPane(db)
        self.inbox.setObjectName("inboxPane")
        self._policies = None  # built on first use: start-up shows the inbox only
        self._review = None
        self._audit = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.inbox)
        self.hint = QLabel()
        self.hint.setObjectName("roleHint")
        self.hint.setWordWrap(True)
        self.hint.linkActivated.connect(self._dismiss_hint)
        self.hint.hide()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.hint)
        self.location_warning = QLabel()
        self.location_warning.setObjectName("locationWarning")
        self.location_warning.setWordWrap(True)
        self.location_warning.hide()
        central_layout.addWidget(self.location_warning)
        central_layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        from amends.ui.triage import Triage

        self.triage = Triage(self)
        self._build_actions()
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self._show_status()
        self.inbox.resolve_requested.connect(self.resolve_ticket)

        self.instance = presence.new_instance()
        self._data_version = db.data_version()
        self._audit_mark = audit.latest_id(db)
        self.heartbeat_enabled = not db.readonly
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.check_for_changes)
        self.poll.start()
        self.heartbeat = QTimer(self)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self.beat)
        self.heartbeat.start()
        self.inbox.ticket_view.activity_changed.connect(self.beat)
        self._build_wait_indicator()
        # Icons (QtSvg) and the tray (two counts on the whole file) wait until
        # the first page is painted: start-up time is measured to that moment.
        self._tray = None
        from amends.ui.first_paint import after_first_paint

        self._first_paint = after_first_paint(self.inbox.table.viewport(), self._decorate)
        QApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: self.apply_appearance())
        db.waiter = self.wait_for_lock
        self._restore_state()
        # Banners need queries (active subscribers, the folder's parents): after
        # the first paint, not before it (see _decorate).
        if db.readonly:
            self.location_warning.setText(self.tr(
                "🔒 Read-only: this file cannot be changed from here (its permissions, or the folder's, do not allow "
                "writing). You can read, search and review; changes are refused with a message."))
            self.location_warning.setObjectName("readOnlyBanner")
            self.location_warning.show()
        self.inbox.table.setFocus()
        self.backup_timer = QTimer(self)  # a child: it dies with the window
        self.backup_timer.setSingleShot(True)
        self.backup_timer.setInterval(BACKUP_DELAY_MS)
        self.backup_timer.timeout.connect(self.rolling_backup)
        self.backup_timer.start()
        self.mail_timer = QTimer(self)
        self.mail_timer.setInterval(60_000)
        self.mail_timer.timeout.connect(self.minute_chores)
        self._minutes = 0
        self.mail_timer.start()
        self.inbox.ticket_view.reply_stored.connect(self._reply_stored)

        if role == "relations":
            QTimer.singleShot(0, lambda: self.show_pane(2))  # the relations role starts in the Review

    def _decorate(self) -> None:
        self._after_start()
        self.apply_appearance()
        _ = self.tray  # created now: the tray icon and its counts

    @property
    def tray(self):
        """The system-tray icon with its counts, created on first use."""
        if self._tray is None:
            from amends.ui.tray import Tray

            self._tray = Tray(self)
        return self._tray

    def apply_appearance(self) -> None:
        """Light or dark: banners, icons and the conversation follow the scheme."""
        from amends.ui import appearance

        dark = appearance.is_dark(self)
        self.setStyleSheet(appearance.stylesheet(dark))
        for action, name in ((self.act_inbox, "inbox"), (self.act_policies, "policies"), (self.act_review, "review"),
                             (self.act_audit, "audit"), (self.act_resolve, "resolve"), (self.act_new, "new"),
                             (self.triage.act_snooze, "snooze"), (self.triage.act_tag, "tag"),
                             (self.triage.act_merge, "merge")):
            action.setIcon(appearance.icon(name, self))
        if self.inbox.ticket_view.dark != dark:  # the conversation's colours: only when the scheme changed
            self.inbox.ticket_view.dark = dark
            self.inbox.ticket_view.reload()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "triage"):
            self.apply_appearance()
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() \
                and getattr(self, "_tray", None) is not None and self.stack.currentWidget() is self.inbox:
            self.tray.seen()
        super().changeEvent(event)

    def _after_start(self) -> None:
        if not self.isVisible():
            return  # closed before it was ever painted
        try:
            self.show_role_hint()
        except AmendsError:
            self.hint.hide()  # a hint is not worth an error message
        if not self.db.readonly:
            self.show_location_warning()

    def show_role_hint(self) -> bool:
        """Past about 1,000 active subscribers: suggest splitting the service
        and relations roles (once per database, dismissable)."""
        from amends.core import policy_history

        key = f"roleHintDismissed/{self.db.path}"
        if QSettings().value(key, False, type=bool) or not policy_history.should_split_roles(self.db):
            self.hint.hide()
            return False
        self.hint.setText(self.tr(
            "Your store has passed {0:,} active subscribers. Time to split the roles: someone answers today's "
            "tickets in the Inbox, someone else owns the policies and the Review every quarter. "
            "<a href='dismiss'>Got it</a>").format(policy_history.ACTIVE_SUBSCRIBERS_HINT))
        self.hint.show()
        return True

    def show_location_warning(self) -> bool:
        """A database inside a sync folder can fork when two people write:
        say so plainly (it stays until the file is moved)."""
        from amends.core.store import location

        service = location.sync_folder(self.db.path)
        if service is None:
            self.location_warning.hide()
            return False
        self.location_warning.setText(self.tr(
            "⚠ This database is inside a {0} folder. Sync services copy files instead of locking them: if two "
            "people work at the same time the database can split into two copies and changes get lost. Keep it "
            "on one computer's disk or a network share instead (see “Sharing a database” in the README).").format(
            service))
        self.location_warning.show()
        return True

    def _dismiss_hint(self, _link: str = "") -> None:
        QSettings().setValue(f"roleHintDismissed/{self.db.path}", True)
        self.hint.hide()

    def _show_status(self) -> None:
        journal = self.tr("shared-memory journal (local disk)") if self.db.journal_mode == "wal" else \
            self.tr("rollback journal (network share)")
        self.status_label.setText(self.tr("{0} · {1} · you are {2}{3}").format(
            self.db.path, journal, self.db.actor, self.tr(" · read-only") if self.db.readonly else ""))

    def choose_display_name(self) -> None:
        """The name recorded on every change you make (not a login)."""
        name, ok = QInputDialog.getText(self, self.tr("Your display name"),
                                        self.tr("Shown to others and recorded on every change you make:"),
                                        text=self.db.actor)
        if ok:
            self.set_display_name(name)

    def set_display_name(self, name: str) -> bool:
        name = " ".join(name.split())
        if not name:
            self.statusBar().showMessage(self.tr("A display name cannot be empty; it was not changed."), 5000)
            return False
        current = identity.load()
        current.display_name = name
        try:
            identity.save(current)
        except OSError as error:
            QMessageBox.warning(self, self.tr("Display name"),
                                self.tr("Could not save your display name: {0}").format(error.strerror))
            return False
        self.db.actor = name
        self._show_status()
        return True

    # -- actions -----------------------------------------------------------
    def _open(self, dialog, name: str):
        """Open a window-modal dialog that deletes itself when closed; keep a
        reference under ``name`` (tests and the next call find it there)."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        setattr(self, name, dialog)
        dialog.open()
        return dialog

    def _action(self, text: str, slot, shortcut=None, name: str = "") -> QAction:
        """A window action; ``shortcut`` is a key, a standard key, or a list of keys (all of them work)."""
        action = QAction(self.tr(text), self)
        if isinstance(shortcut, list):
            action.setShortcuts([QKeySequence(key) for key in shortcut])
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        action.setObjectName(name or text)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.act_open = self._action("&Open database…", self.choose_database, QKeySequence.StandardKey.Open, "open")
        self.act_new = self._action("&New ticket…", self.new_ticket, QKeySequence.StandardKey.New, "newTicket")
        self.act_demo = self._action("Load &demo data…", self.offer_demo, None, "loadDemo")
        self.act_import = self._action("&Import…", self.ask_import, "Ctrl+I", "import")
        self.act_export = self._action("&Export…", self.ask_export, "Ctrl+Shift+E", "export")
        self.act_report = self._action("Quarterly relations &report…", self.ask_report, None, "report")
        self.act_restore = self._action("&Backups and restore…", self.open_restore, None, "restore")
        self.act_check = self._action("&Check database…", self.open_check, None, "checkDatabase")
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, "quit")
        self.act_find = self._action("&Find tickets", self.show_search,
                                     [*QKeySequence.keyBindings(QKeySequence.StandardKey.Find), "/"], "find")
        self.act_name = self._action("Your display &name…", self.choose_display_name, None, "displayName")
        self.act_preferences = self._action(
            "&Preferences…", self.open_preferences,
            QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) or ["Ctrl+,"], "preferences")
        self.act_preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.act_saved_replies = self._action("Saved &replies…", self.open_saved_replies, None, "savedReplies")
        self.act_tags = self._action("&Tags…", self.open_tags, None, "tags")
        self.act_insert_reply = self._action("&Insert saved reply…", self.insert_saved_reply, "Ctrl+Shift+I",
                                             "insertReply")
        self.act_save_view = self._action("&Save search as view…", self.ask_save_view,
                                          QKeySequence.StandardKey.SaveAs, "saveView")
        self.act_update_view = self._action("Save search into this &view", self.update_view, None, "updateView")
        self.act_rename_view = self._action("Re&name view…", self.ask_rename_view, "F2", "renameView")
        self.act_delete_view = self._action("&Delete view", self.ask_delete_view, None, "deleteView")
        self.act_view_up = self._action("Move view &up", lambda: self.inbox.move_view(-1), "Alt+Up", "viewUp")
        self.act_view_down = self._action("Move view do&wn", lambda: self.inbox.move_view(1), "Alt+Down", "viewDown")
        self.act_refresh = self._action("&Refresh", self.refresh, QKeySequence.StandardKey.Refresh, "refresh")
        self.act_inbox = self._action("&Inbox", lambda: self.show_pane(0), "Ctrl+1", "showInbox")
        self.act_policies = self._action("&Policies", lambda: self.show_pane(1), "Ctrl+2", "showPolicies")
        self.act_review = self._action("Re&view", lambda: self.show_pane(2), "Ctrl+3", "showReview")
        self.act_audit = self._action("&Audit", lambda: self.show_pane(3), "Ctrl+4", "showAudit")
        self.act_resolve = self._action("&Resolve…", self.resolve_selection, ["Ctrl+E", "E"], "resolve")
        self.act_reply = self._action("Re&ply", self.focus_composer, ["Ctrl+R", "R"], "reply")
        self.act_take = self._action("&Take (assign to me)", lambda: self.inbox.ticket_view.take(), "Ctrl+Shift+T",
                                     "take")
        self.act_propose = self._action("Propose &policy change…", self.propose_change, "Ctrl+Shift+P", "propose")
        self.act_about = self._action("&About Amends", self.about, None, "about")
        self.act_account = self._action("&Mail account…", self.open_account, None, "mailAccount")
        self.act_outbox = self._action("&Outbox…", self.open_outbox, None, "outbox")
        self.act_fetch = self._action("Fetch &mail", self.fetch_mail, "F9", "fetchMail")
        # Keyboard-first triage: single keys while the ticket list has focus
        # (text fields keep their letters: Qt gives typed text priority).
        self.act_next = self._action("&Next ticket", lambda: self.inbox.move(1), "J", "nextTicket")
        self.act_previous = self._action("&Previous ticket", lambda: self.inbox.move(-1), "K", "previousTicket")
        self.act_note = self._action("Internal &note", self.compose_note, "N", "note")
        self.act_keys = self._action("&Keyboard shortcuts", self.show_keys, "?", "keys")
        self.act_palette = self._action("&Command palette…", self.open_palette,
                                        "Meta+K" if sys.platform == "darwin" else "Ctrl+K", "palette")
        group = QActionGroup(self)
        for action in (self.act_inbox, self.act_policies, self.act_review, self.act_audit):
            action.setCheckable(True)
            group.addAction(action)
        self.act_inbox.setChecked(True)

        menus = self.menuBar()
        file_menu = menus.addMenu(self.tr("&File"))
        file_menu.addActions([self.act_new, self.act_open, self.act_demo])
        file_menu.addSeparator()
        file_menu.addActions([self.act_import, self.act_export])
        file_menu.addSeparator()
        file_menu.addAction(self.act_report)
        file_menu.addAction(self.act_restore)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = menus.addMenu(self.tr("&Edit"))
        edit_menu.addActions([self.triage.undo_action, self.triage.redo_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.act_find)
        edit_menu.addSeparator()
        edit_menu.addAction(self.act_saved_replies)
        edit_menu.addAction(self.act_tags)
        edit_menu.addAction(self.act_name)
        edit_menu.addAction(self.act_account)
        edit_menu.addAction(self.act_preferences)
        view_menu = menus.addMenu(self.tr("&View"))
        view_menu.addActions([self.act_inbox, self.act_policies, self.act_review, self.act_audit])
        view_menu.addSeparator()
        view_menu.addActions([self.act_save_view, self.act_update_view, self.act_rename_view, self.act_delete_view, self.act_view_up,
                              self.act_view_down])
        view_menu.addSeparator()
        view_menu.addAction(self.act_fetch)
        view_menu.addAction(self.act_outbox)
        view_menu.addAction(self.act_refresh)
        ticket_menu = menus.addMenu(self.tr("&Ticket"))
        ticket_menu.addActions([self.act_new, self.triage.act_open, self.act_next, self.act_previous, self.act_reply,
                                self.act_note,
                                self.act_insert_reply, self.act_take, self.act_resolve])
        ticket_menu.addSeparator()
        ticket_menu.addActions(self.triage.menu_actions)
        ticket_menu.addSeparator()
        ticket_menu.addAction(self.act_propose)
        help_menu = menus.addMenu(self.tr("&Help"))
        help_menu.addAction(self.act_palette)
        help_menu.addAction(self.act_keys)
        help_menu.addAction(self.act_check)
        help_menu.addAction(self.act_about)

        toolbar = QToolBar(self.tr("Panes"))
        toolbar.setObjectName("panesToolbar")
        toolbar.setMovable(False)
        toolbar.addActions([self.act_inbox, self.act_policies, self.act_review, self.act_audit])
        toolbar.addSeparator()
        toolbar.addActions([self.act_new, self.act_resolve, self.triage.act_snooze, self.triage.act_tag,
                            self.triage.act_merge])
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(toolbar)

    @property
    def policies(self):
        """The Policies pane, created the first time it is needed."""
        if self._policies is None:
            from amends.ui.policies_pane import PoliciesPane

            self._policies = PoliciesPane(self.db)
            self._policies.setObjectName("policiesPane")
            self.stack.addWidget(self._policies)
        return self._policies

    @property
    def review(self):
        """The Review pane, created the first time it is needed."""
        if self._review is None:
            from amends.ui.review_pane import ReviewPane

            self._review = ReviewPane(self.db)
            self._review.setObjectName("reviewPane")
            self._review.drill_requested.connect(self.drill_down)
            self.stack.addWidget(self._review)
        return self._review

    @property
    def audit(self):
        """The Audit pane, created the first time it is needed."""
        if self._audit is None:
            from amends.ui.audit_pane import AuditPane

            self._audit = AuditPane(self.db)
            self._audit.setObjectName("auditPane")
            self._audit.open_ticket.connect(lambda ticket_id: self.drill_down(f"ticket #{ticket_id}", [ticket_id]))
            self.stack.addWidget(self._audit)
        return self._audit

    def show_pane(self, index: int) -> None:
        refresh = (index == 1 and self._policies is not None) or (index == 3 and self._audit is not None)
        pane = (lambda: self.inbox, lambda: self.policies, lambda: self.review, lambda: self.audit)[index]()
        self.stack.setCurrentWidget(pane)
        (self.act_inbox, self.act_policies, self.act_review, self.act_audit)[index].setChecked(True)
        if refresh and index == 3:
            self._audit.refresh()
        if refresh:
            self._policies.refresh()
        if index == 0:
            self.inbox.ticket_view.reload()  # decisions made in other panes show on the ticket
        if index == 2 and self._review.data is None:
            self._review.compute()

    def drill_down(self, label: str, ids: list) -> None:
        """A number in the Review pane was clicked: its tickets in the inbox."""
        self.show_pane(0)
        self.inbox.show_ids(label, ids)

    def show_search(self) -> None:
        self.show_pane(0)
        self.inbox.focus_search()

    def open_palette(self):
        from amends.ui.command_palette import CommandPalette

        palette = CommandPalette([a for a in self.actions() if a is not self.act_palette], self)
        palette.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.command_palette = palette
        palette.open()
        palette.query.setFocus()
        return palette

    def show_keys(self) -> QMessageBox:
        """The cheat sheet: every action with its shortcut."""
        def typed(key: str) -> bool:  # keys a person types, not the platform's dedicated Undo/F14 keys
            return "+" in key or len(key) == 1 or re.fullmatch(r"F([1-9]|1[0-2])", key) is not None

        rows = [(a.text().replace("&", "").rstrip("…"),
                 ", ".join(k for k in (s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts())
                           if typed(k)))
                for a in self.actions() if not a.shortcut().isEmpty()]
        rows.append((self.tr("Open ticket (in the list)"), self.tr("Enter")))
        rows.sort(key=lambda r: r[0].lower())
        half = (len(rows) + 1) // 2  # two columns: the sheet fits a laptop screen
        cells = [rows[:half], rows[half:]]
        text = "".join(
            "<tr>" + "".join(f"<td style='white-space:nowrap'><b>{html.escape(column[i][1])}</b></td>"
                             f"<td style='white-space:nowrap'>{html.escape(column[i][0])}</td>"
                             if i < len(column) else "<td></td><td></td>" for column in cells) + "</tr>"
            for i in range(half))
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Keyboard shortcuts"),
                          f"<table cellpadding='3'>{text}</table>", parent=self)
        box.setObjectName("keysBox")
        return self._open(box, "keys_box")

    def focus_composer(self) -> None:
        """R: write a reply to the current ticket."""
        self.show_pane(0)
        if self.inbox.ticket_view.ticket is not None:
            self.inbox.ticket_view.compose("out")

    def compose_note(self) -> None:
        """N: write an internal note (Ctrl+Enter adds it as a note)."""
        self.show_pane(0)
        if self.inbox.ticket_view.ticket is not None:
            self.inbox.ticket_view.compose("note")

    def new_ticket(self):
        from amends.ui.new_ticket_dialog import NewTicketDialog

        dialog = NewTicketDialog(self.db, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.new_ticket_dialog = dialog

        def created() -> None:
            self.show_pane(0)
            self.inbox.show_query(self.inbox.current_query())
            if not self.inbox.select_ticket(dialog.ticket_id):
                self.statusBar().showMessage(
                    self.tr("Ticket #{0} created; it is not in the current view.").format(dialog.ticket_id), 6000)

        dialog.accepted.connect(created)
        dialog.open()
        return dialog

    def propose_change(self):
        """File a proposal for the Relations side, linked to the selected
        tickets: service feeds relations."""
        from amends.ui.policies_pane import NoteDialog

        ids = self.inbox.selected_ticket_ids()
        if not ids:
            self.statusBar().showMessage(self.tr("Select the tickets that show why the policy should change."), 5000)
            return None
        dialog = NoteDialog(self.tr("Propose a policy change"),
                            self.tr("What should change in the policy, and why? The {0} selected ticket(s) are "
                                    "linked to the proposal.").format(len(ids)),
                            self.tr("File proposal"), self, "proposeDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.file_proposal(dialog.note.toPlainText(), ids))
        self.propose_dialog = dialog
        dialog.open()
        return dialog

    def file_proposal(self, text: str, ids: list[int]) -> int | None:
        from amends.core import proposals

        try:
            proposal_id = proposals.file(self.db, text, ids)
        except AmendsError as error:
            show_error(self, error)
            return None
        self.statusBar().showMessage(self.tr("Proposal #{0} filed for the Policies pane.").format(proposal_id), 6000)
        self.inbox.ticket_view.reload()
        if self._policies is not None:
            self._policies.proposals.reload()
        return proposal_id

    # -- views, replies, preferences -------------------------------------------
    def ask_save_view(self):
        dialog = QInputDialog(self)
        dialog.setObjectName("saveViewDialog")
        dialog.setWindowTitle(self.tr("Save view"))
        dialog.setLabelText(self.tr("Name of the view (it keeps the search, filters and sort shown now):"))
        dialog.setTextValue(self.inbox.search.text().strip()[:60])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(self.inbox.save_current_view)
        dialog.finished.connect(lambda _result: self.activateWindow())
        self.view_dialog = dialog
        dialog.open()
        return dialog

    def update_view(self) -> bool:
        """The saved view chosen now keeps the search as it reads now."""
        view = self.inbox.current_saved_view()
        if view is None:
            self.statusBar().showMessage(self.tr("Choose one of your saved views first."), 5000)
            return False
        return self.inbox.update_view(view)

    def ask_rename_view(self):
        view = self.inbox.current_saved_view()
        if view is None:
            self.statusBar().showMessage(self.tr("Only your saved views can be renamed; choose one first."), 5000)
            return None
        dialog = QInputDialog(self)
        dialog.setObjectName("renameViewDialog")
        dialog.setWindowTitle(self.tr("Rename view"))
        dialog.setLabelText(self.tr("New name:"))
        dialog.setTextValue(view.name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(lambda name: self.inbox.rename_view(view.id, name))
        dialog.finished.connect(lambda _result: self.activateWindow())
        self.view_dialog = dialog
        dialog.open()
        return dialog

    def ask_delete_view(self):
        view = self.inbox.current_saved_view()
        if view is None:
            self.statusBar().showMessage(self.tr("Only your saved views can be deleted; choose one first."), 5000)
            return None
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete view"),
                          self.tr("Delete the view “{0}”? Its tickets are not touched.").format(view.name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("deleteViewBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.inbox.delete_view(view.id))
        box.finished.connect(lambda _result: self.activateWindow())
        self.view_dialog = box
        box.open()
        return box

    def open_saved_replies(self):
        from amends.ui.saved_replies_dialog import SavedRepliesDialog

        dialog = SavedRepliesDialog(self.db, self)
        return self._open(dialog, "replies_dialog")

    def open_tags(self):
        from amends.ui.tags_dialog import TagsDialog

        return self._open(TagsDialog(self.db, self), "tags_dialog")

    def insert_saved_reply(self):
        self.show_pane(0)
        return self.inbox.ticket_view.choose_saved_reply()

    def open_preferences(self):
        from amends.ui.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self, self)
        return self._open(dialog, "preferences_dialog")

    # -- resolving ---------------------------------------------------------
    def resolve_selection(self) -> None:
        """E / Ctrl+E: the current ticket, or the selection (once per policy)."""
        self.show_pane(0)
        self.triage.resolve_selection()

    def resolve_ticket(self, ticket_id: int):
        """Open the recovery checklist; on Resolve the core writes everything
        in one transaction, on Cancel nothing changes."""
        try:
            checklist = resolution.checklist_for(self.db, ticket_id)
            ticket = tickets.get(self.db, ticket_id, with_messages=False)
        except AmendsError as error:
            show_error(self, error)
            return None
        if checklist.ticket_status == "resolved":
            self.statusBar().showMessage(self.tr("Ticket #{0} is already resolved.").format(ticket_id), 4000)
            return None
        from amends.ui.checklist_dialog import ChecklistDialog

        dialog = ChecklistDialog(self.db, checklist, self, subject=ticket.subject)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reply_chosen.connect(lambda reply, offer: self._reply_from_checklist(ticket_id, reply, offer))
        self.checklist_dialog = dialog
        dialog.accepted.connect(lambda: self._resolved(ticket_id))
        dialog.finished.connect(lambda _result: self.triage.back_to_list())
        dialog.open()
        return dialog

    def _reply_from_checklist(self, ticket_id: int, reply, offer) -> None:
        """A checklist step's saved reply goes into that ticket's composer."""
        if self.inbox.current_ticket_id() != ticket_id:
            self.inbox.select_ticket(ticket_id)
        if self.inbox.ticket_view.ticket is not None and self.inbox.ticket_view.ticket.id == ticket_id:
            self.inbox.ticket_view.insert_reply(reply, offer)
            self.statusBar().showMessage(self.tr("“{0}” is in the composer; send it when the checklist is done.")
                                         .format(reply.name), 6000)

    def _resolved(self, ticket_id: int) -> None:
        self.statusBar().showMessage(self.tr("Ticket #{0} resolved.").format(ticket_id), 5000)
        self.inbox.refresh()  # it leaves the active views: the next ticket takes its place

    # -- live refresh --------------------------------------------------------
    def check_for_changes(self) -> None:
        """Another connection committed: re-read what is visible if the data
        changed (the audit log moved), and who is where."""
        try:
            version = self.db.data_version()
            if version == self._data_version:
                return
            self._data_version = version
            mark = audit.latest_id(self.db)
        except AmendsError:
            return
        if mark != self._audit_mark:
            self._audit_mark = mark
            self.refresh()
        self.show_presence()

    # -- presence ----------------------------------------------------------
    def beat(self) -> None:
        """Tell the others which ticket I have open (every few seconds and
        whenever it changes); a busy database just skips a beat."""
        if not self.heartbeat_enabled:
            return
        ticket_id, activity = self.inbox.ticket_view.presence_state()
        if self.stack.currentWidget() is not self.inbox:
            ticket_id, activity = None, "idle"
        try:
            presence.beat(self.db, self.instance, ticket_id, activity)
        except AmendsError:
            pass  # busy or read-only: presence is best effort, the data is not at stake
        self._data_version = self.db.data_version()
        self.show_presence()

    def show_presence(self) -> None:
        try:
            people = presence.others(self.db, self.instance)
        except AmendsError:
            return
        self.inbox.model.set_presence(presence.by_ticket(people))
        self.inbox.ticket_view.show_presence(people)

    # -- waiting for another writer -----------------------------------------
    def _build_wait_indicator(self) -> None:
        self.wait_label = QLabel(self.tr("Waiting for another user to finish saving…"))
        self.wait_label.setObjectName("waitLabel")
        self.wait_cancel = QPushButton(self.tr("Stop waiting"))
        self.wait_cancel.setObjectName("stopWaiting")
        self.wait_cancel.clicked.connect(lambda: setattr(self, "_stop_waiting", True))
        self.statusBar().addWidget(self.wait_label)
        self.statusBar().addWidget(self.wait_cancel)
        self.wait_label.hide()
        self.wait_cancel.hide()
        self._stop_waiting = False
        # The store only calls while it waits: when the calls stop, the wait is over.
        self._wait_over = QTimer(self)
        self._wait_over.setSingleShot(True)
        self._wait_over.setInterval(600)
        self._wait_over.timeout.connect(self._done_waiting)

    def wait_for_lock(self, elapsed: float) -> bool:
        """Called by the store while another writer holds the lock: after a
        second, say so and offer to stop; keep the window alive meanwhile."""
        if elapsed >= WAIT_VISIBLE_AFTER and not self.wait_label.isVisible():
            self._stop_waiting = False
            self.wait_label.show()
            self.wait_cancel.show()
        self._wait_over.start()
        QApplication.processEvents()
        if self._stop_waiting:
            self._done_waiting()
            return False
        return True

    def _done_waiting(self) -> None:
        self.wait_label.hide()
        self.wait_cancel.hide()
        self._stop_waiting = False

    def refresh(self) -> None:
        self.inbox.refresh()
        if self._policies is not None and self.stack.currentWidget() is self._policies \
                and not self._policies.editor.dirty:
            self._policies.refresh()

    # -- files ---------------------------------------------------------------
    def choose_database(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open an Amends database"), str(self.db.path.parent),
                                              self.tr("Amends databases (*.db *.sqlite *.amends);;All files (*)"))
        if path:
            self.open_requested.emit(Path(path))

    def offer_demo(self) -> None:
        """Fill an empty database with demo data, in a worker with progress
        and cancel (cancel leaves the database as it was)."""
        if tickets.page(self.db, tickets.InboxQuery(status="all"), limit=1)[0]:
            QMessageBox.information(self, self.tr("Demo data"),
                                    self.tr("Demo data can only go into an empty database. Open a new file "
                                            "(File → Open, then type a new name) to try it."))
            return
        self.load_demo(DEMO_TICKETS)

    def load_demo(self, count: int) -> ops.Operation:
        from amends.core import demo

        progress = QProgressDialog(self.tr("Creating demo data…"), self.tr("Cancel"), 0, 100, self)
        progress.setObjectName("demoProgress")
        progress.setWindowTitle(self.tr("Demo data"))
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)

        def work(job: ops.Job):
            return demo.generate(job.db, count, progress=job.report, cancelled=job.cancelled)

        def done(summary) -> None:
            progress.close()
            self.statusBar().showMessage(self.tr("Loaded {0:,} demo tickets.").format(summary.tickets), 6000)
            self._data_version = self.db.data_version()
            self.inbox.show_query(self.inbox.current_query())
            if self._policies is not None:
                self._policies.refresh()

        def failed(error: BaseException) -> None:
            progress.close()
            if not isinstance(error, demo.Cancelled):
                show_error(self, error)

        op = ops.run(self.db, work, success=done, failure=failed, parent=self)
        op.progress.connect(lambda done_, total: progress.setValue(int(100 * done_ / max(total, 1))))
        progress.canceled.connect(op.cancel)
        self._demo_op = op
        return op

    # -- import and export ---------------------------------------------------
    def ask_import(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Import"), str(Path.home()),
            self.tr("Supported files (*.json *.csv *.tsv *.txt *.eml *.mbox);;All files (*)"))
        if names:
            self.import_files([Path(n) for n in names])

    def import_files(self, paths: list[Path], skip_invalid: bool = False):
        """CSV files get the column mapping first; then everything imports in
        a worker and a report lists what came in and every problem."""
        from amends.core import importers
        from amends.ui.import_dialogs import MappingDialog

        mappings = {}
        for path in paths:
            try:
                fmt = importers.detect(path)
            except AmendsError as error:
                show_error(self, error)
                return None
            if fmt == "csv":
                dialog = MappingDialog(path, self)
                self.mapping_dialog = dialog
                if dialog.exec() != QDialog.DialogCode.Accepted:
                    return None
                mappings[path] = dialog.mapping()
        return self._import_and_report(paths, mappings, skip_invalid)

    def _import_and_report(self, paths: list[Path], mappings: dict, skip_invalid: bool) -> ops.Operation:
        from amends.ui.import_dialogs import ImportReportDialog, run_import

        def done(reports) -> None:
            self._audit_mark = -1
            self.refresh()
            report = ImportReportDialog(reports, self)
            report.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            report.retry_skipping.connect(lambda: self._import_and_report(paths, mappings, True))
            self.import_report = report
            report.open()

        self._import_op = run_import(self, self.db, paths, mappings, skip_invalid, done)
        return self._import_op

    def ask_export(self) -> None:
        name, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export"), str(Path.home() / "amends-export.csv"),
            self.tr("CSV, the current view (*.csv);;JSON, the current view (*.json);;"
                    "Amends exchange format, everything (*.amends.json)"))
        if name:
            kind = "amends" if "exchange" in chosen else ("json" if name.endswith(".json") else "csv")
            self.export_to(Path(name), kind)

    def export_to(self, path: Path, kind: str) -> ops.Operation:
        """The current inbox view (csv, json) or everything (amends), in a worker."""
        from amends.core.exporters import amends, tables

        query = self.inbox.current_query() if kind != "amends" else None

        def work(job: ops.Job) -> int:
            if kind == "amends":
                import json

                doc = amends.document(job.db)
                path.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
                return len(doc["tickets"])
            return (tables.write_json if kind == "json" else tables.write_csv)(job.db, path, query)

        def done(count: int) -> None:
            self.statusBar().showMessage(self.tr("Exported {0:,} tickets to {1}").format(count, path), 8000)
            self.exported = (path, count)

        self._export_op = ops.run(self.db, work, success=done, failure=lambda error: show_error(self, error),
                                  parent=self)
        return self._export_op

    def ask_report(self) -> None:
        from amends.core.insights.period import last_full_quarter

        period = self._review.period if self._review is not None else last_full_quarter()
        suggested = str(Path.home() / f"amends-report-{period.since}-{period.until}.pdf")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the relations report"), suggested,
                                              self.tr("PDF files (*.pdf)"))
        if path:
            self.write_report(Path(path), period)

    def write_report(self, path: Path, period, settings=None) -> ops.Operation:
        """Compute the figures in a worker, then draw the PDF (charts must be
        drawn on the UI thread)."""
        from amends.core import insights
        from amends.ui.report import write_report

        settings = settings or (self._review.settings() if self._review is not None else insights.Settings())
        self.statusBar().showMessage(self.tr("Computing the report for {0}…").format(period.label()))

        def done(data: dict) -> None:
            try:
                written = write_report(self.db, period, path, settings, data=data)
            except (AmendsError, OSError) as error:
                show_error(self, error)
                return
            self.statusBar().showMessage(self.tr("Report written to {0}").format(written), 8000)
            self.report_written = written

        def work(job: ops.Job) -> dict:
            return insights.compute(job.db, period, settings, progress=job.report, cancelled=job.cancelled).to_json()

        self._report_op = ops.run(self.db, work, success=done, failure=lambda error: show_error(self, error),
                                  parent=self)
        return self._report_op

    def open_check(self):
        from amends.ui.database_dialogs import CheckDialog

        dialog = CheckDialog(self.db, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished_check.connect(self.refresh)
        self.check_dialog = dialog
        dialog.open()
        dialog.run()
        return dialog

    def open_restore(self):
        from amends.ui.database_dialogs import RestoreDialog

        dialog = RestoreDialog(self.db, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restored.connect(self._after_restore)
        self.restore_dialog = dialog
        dialog.open()
        return dialog

    def _after_restore(self) -> None:
        self.statusBar().showMessage(self.tr("Restored; a copy of the previous data was kept."), 8000)
        self._audit_mark = -1  # re-read everything
        self.refresh()
        if self._policies is not None:
            self._policies.refresh()

    def rolling_backup(self) -> ops.Operation | None:
        """The daily backup, in a worker, a little after start-up."""
        from amends.core import backups

        if self.db.readonly:
            return None
        self._backup_op = ops.run(self.db, lambda job: backups.rolling(job.db),
                                  failure=lambda error: self.statusBar().showMessage(
                                      self.tr("The daily backup failed: {0}").format(error), 10000), parent=self)
        return self._backup_op

    def open_account(self):
        from amends.ui.mail_dialogs import AccountDialog

        dialog = AccountDialog(self.db, self)
        return self._open(dialog, "account_dialog")

    def open_outbox(self):
        from amends.ui.mail_dialogs import OutboxDialog

        dialog = OutboxDialog(self.db, self)
        return self._open(dialog, "outbox_dialog")

    def _reply_stored(self, message_id: int) -> None:
        """A reply was written: if mail is set up, it goes to the outbox."""
        from amends.core.mail import outbox

        if outbox.account(self.db) is None:
            return
        try:
            outbox.queue_reply(self.db, message_id)
        except AmendsError as error:
            self.statusBar().showMessage(self.tr("The reply is saved but not mailed: {0}").format(error), 10000)
            return
        self.send_mail()

    def minute_chores(self) -> None:
        """Every minute: wake snoozed tickets that are due, update the tray
        (and notify of follow-ups that fell due), then the mail."""
        from amends.core import snooze

        try:
            woken = snooze.wake_due(self.db)
        except AmendsError:
            woken = None  # busy: the next minute wakes them (the views show them anyway)
        if woken and woken.ticket_ids:
            self.statusBar().showMessage(self.tr("{0} snoozed ticket(s) are back in the inbox.").format(
                len(woken.ticket_ids)), 8000)
            self.inbox.refresh()
        self.tray.update()
        self.mail_chores()

    def mail_chores(self) -> None:
        """Every minute: send what is due; every N minutes: fetch."""
        from amends.core.mail import fetch

        self._minutes += 1
        self.send_mail()
        try:
            account = fetch.imap_account(self.db)
        except AmendsError:
            return  # the next minute tries again
        if account is not None and self._minutes % account.every_minutes == 0:
            self.fetch_mail()

    def fetch_mail(self):
        from amends.ui.mail_dialogs import fetch_mail

        def done(report) -> None:
            self.statusBar().showMessage(self.tr("Fetched {0} new message(s).").format(report.messages), 6000)
            self._audit_mark = -1
            self.refresh()

        self._fetch_op = fetch_mail(self, self.db, done)
        if self._fetch_op is None:
            self.statusBar().showMessage(self.tr("No IMAP server is set up (Edit → Mail account…)."), 6000)
        return self._fetch_op

    def send_mail(self):
        """Deliver due replies (every minute, and right after a reply)."""
        from amends.ui.mail_dialogs import send_due

        self._mail_op = send_due(self, self.db, lambda: None)
        return self._mail_op

    def about(self) -> None:
        QMessageBox.about(self, self.tr("About Amends"), self.tr(
            "<h3>Amends {0}</h3><p>Support console for subscription businesses: the Inbox for what we do for "
            "this customer now, Policies for what we do for the next thousand.</p><p>Database: {1}</p>").format(
            __version__, self.db.path))

    # -- window state --------------------------------------------------------
    def _restore_state(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for splitter, key in ((self.inbox.splitter, "window/inboxSplitter"),
                              (self.inbox.ticket_view.splitter, "window/ticketSplitter")):
            state = settings.value(key)
            if state is not None:
                splitter.restoreState(state)
        header = settings.value("window/inboxHeader")
        if header is not None:
            self.inbox.table.horizontalHeader().restoreState(header)
        # The view and sort are per database (another file has other saved views).
        view = settings.value(f"inbox/{self.db.path}/view", "")
        if view and view != self.inbox.current_view_key():
            self.inbox.select_view(view)
        sort = settings.value(f"inbox/{self.db.path}/sort", "")
        if sort and sort != self.inbox.sort.currentData() and self.inbox.sort.findData(sort) >= 0:
            self.inbox.sort.setCurrentIndex(self.inbox.sort.findData(sort))
            self.inbox.apply_filters()

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/inboxSplitter", self.inbox.splitter.saveState())
        settings.setValue("window/ticketSplitter", self.inbox.ticket_view.splitter.saveState())
        settings.setValue("window/inboxHeader", self.inbox.table.horizontalHeader().saveState())
        settings.setValue(f"inbox/{self.db.path}/sort", self.inbox.sort.currentData())
        settings.setValue(f"inbox/{self.db.path}/view", self.inbox.current_view_key() or "")
        self.inbox.stop_timers()
        if self._tray is not None:
            self._tray.icon.hide()
        self.poll.stop()
        self.heartbeat.stop()
        self.backup_timer.stop()
        self.mail_timer.stop()
        ops.stop_all()  # no worker outlives the window (an import is rolled back)
        if self.inbox.ticket_view.draft_timer.isActive():
            self.inbox.ticket_view.save_draft()  # what was typed is kept
        try:
            presence.leave(self.db, self.instance)
        except AmendsError:
            pass  # it expires by itself within 30 s
        super().closeEvent(event)


def offer_demo_on_first_run(window: MainWindow) -> QDialog | None:
    """A brand-new, empty database: offer to load demo data once."""
    if tickets.page(window.db, tickets.InboxQuery(status="all"), limit=1)[0]:
        return None
    settings = QSettings()
    key = f"demoOffered/{window.db.path}"
    if settings.value(key, False, type=bool):
        return None
    settings.setValue(key, True)
    box = QMessageBox(QMessageBox.Icon.Question, window.tr("Welcome to Amends"),
                      window.tr("This database is empty. Load demo data ({0:,} tickets with customers, "
                                "policies and resolutions) to look around? You can also start with your own "
                                "tickets.").format(DEMO_TICKETS),
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
    box.setObjectName("demoOffer")
    box.button(QMessageBox.StandardButton.Yes).setText(window.tr("Load demo data"))
    box.button(QMessageBox.StandardButton.No).setText(window.tr("Start empty"))
    box.accepted.connect(lambda: window.load_demo(DEMO_TICKETS))
    box.open()
    return box
