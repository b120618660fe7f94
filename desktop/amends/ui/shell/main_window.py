"""The main window assembles the features: the Inbox (service), Policies,
Review (relations) and Audit panes, menus with standard shortcuts, the
status bar, window state in QSettings.

It builds the feature controllers and gives each what it needs (the
database, the inbox, the :class:`DataBus`, itself only as the parent of
dialogs); they talk back through signals. The work lives with the features:
files/controller.py (import, export, report, backups), mail/controller.py,
resolve/flow.py, inbox/triage.py and view_dialogs.py, shell/live.py (other
people's changes and presence) and shell/banners.py."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from amends import __version__
from amends import settings_schema as schema
from amends.core import identity
from amends.core.errors import AmendsError
from amends.core.store import Database, pg_access
from amends.core.store.location import is_server_url
from amends.ui.common import appearance, file_dialogs, ops, settings
from amends.ui.common.databus import Changed, DataBus
from amends.ui.files.controller import DEMO_TICKETS, FilesController
from amends.ui.inbox.inbox_pane import InboxPane
from amends.ui.inbox.triage import Triage
from amends.ui.inbox.view_dialogs import ViewDialogs
from amends.ui.mail.controller import MailController
from amends.ui.policies.propose import ProposeFlow
from amends.ui.resolve.flow import ResolveFlow
from amends.ui.shell import recent
from amends.ui.shell.banners import Banners
from amends.ui.shell.connection_banner import ConnectionBanner
from amends.ui.shell.first_paint import after_first_paint
from amends.ui.shell.live import POLL_MS, LiveUpdates, WaitIndicator
from amends.ui.shell.menus import WindowActions
from amends.ui.shell.tray import Tray

__all__ = ["DEMO_TICKETS", "POLL_MS", "MainWindow", "offer_demo_on_first_run"]

log = logging.getLogger("amends.ui.window")
BACKUP_DELAY_MS = 10_000  # the daily backup waits until start-up is over
PANES = ("inbox", "policies", "review", "audit")


class MainWindow(WindowActions, QMainWindow):
    #: Emitted with the path the person chose in File → Open (app.py reopens).
    open_requested = Signal(Path)
    #: Emitted with a server's address (no password) from File → Connect to server… or Open Recent.
    connect_requested = Signal(str)

    def __init__(self, db: Database, parent: QWidget | None = None, *, role: str = "both") -> None:
        super().__init__(parent)
        self.db = db
        self.role = role
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("Amends — {0}").format(recent.label(db.url) if _url(db) else db.path.name))
        recent.remember(_url(db) or db.path)
        self.resize(1500, 900)
        self.bus = DataBus(self)
        self.bus.status.connect(lambda text, ms: self.statusBar().showMessage(text, ms))

        self.inbox = InboxPane(db)
        self.inbox.setObjectName("inboxPane")
        self.bus.changed.connect(self.inbox.on_data_changed)  # each pane subscribes to what it shows
        self._policies = None  # built on first use: start-up shows the inbox only
        self._review = None
        self._audit = None
        self.stack = PaneStack()
        self.stack.addWidget(self.inbox)
        self.banners = Banners(db, self)
        self.connection = ConnectionBanner(db, self.bus, self)  # a server that went away (PostgreSQL)
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.connection.label)
        central_layout.addWidget(self.banners.hint)
        central_layout.addWidget(self.banners.location_warning)
        central_layout.addWidget(self.banners.restored)
        central_layout.addWidget(self.banners.schema)
        central_layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.triage = Triage(db, self.inbox, self.bus, self)
        self.resolver = ResolveFlow(db, self.inbox, self.bus, self)
        self.resolver.finished.connect(self.triage.back_to_list)
        self.inbox.resolve_requested.connect(self.resolver.resolve_ticket)
        self.views = ViewDialogs(self.inbox, self.bus, self)
        self.files = FilesController(db, self.bus, self, current_query=self.inbox.current_query,
                                     report_defaults=self._report_defaults)
        self.mail = MailController(db, self.bus, self)
        self.banners.check_requested.connect(self._check_from_banner)
        self.proposer = ProposeFlow(db, self.bus, self)
        self.inbox.when_ticket_view(self._ticket_view_built)  # built right after the first paint
        self._build_actions()
        self.triage.context_actions = ([self.act_resolve, self.act_reply], [self.act_propose])
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self._show_status()
        self.waiting = WaitIndicator(self.statusBar(), self)
        db.waiter = self.waiting.wait_for_lock
        self.live = LiveUpdates(db, self.inbox, self.bus, self)
        self.poll = self.live.poll  # tests stop it and call check_for_changes() themselves
        self.live.schema_changed.connect(self.banners.show_schema_drift)
        self.bus.changed.connect(self._on_changed)

        # Icons (QtSvg), banners and the tray (two counts on the whole file) wait
        # until the first page is painted: start-up time is measured to that moment.
        self._tray: Tray | None = None
        self.inbox.hold_ticket()  # and so does opening the selected ticket: it opens right after the paint
        self._first_paint = after_first_paint(self.inbox.table.viewport(), self._decorate)
        QApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: self.apply_appearance())
        self._restore_state()
        self.inbox.table.setFocus()
        self.backup_timer = QTimer(self)  # a child: it dies with the window
        self.backup_timer.setSingleShot(True)
        self.backup_timer.setInterval(BACKUP_DELAY_MS)
        self.backup_timer.timeout.connect(self.files.rolling_backup)
        self.backup_timer.start()
        self.mail_timer = QTimer(self)
        self.mail_timer.setInterval(60_000)
        self.mail_timer.timeout.connect(self.minute_chores)
        self.mail_timer.start()
        if role == "relations":
            QTimer.singleShot(0, lambda: self.show_pane(2))  # the relations role starts in the Review

    # -- what other features ask of the shell ------------------------------------
    def _report_defaults(self):
        from amends.core import insights
        from amends.core.insights.period import last_full_quarter

        if self._review is not None:
            return self._review.period, self._review.settings()
        return last_full_quarter(), insights.Settings()

    def _ticket_view_built(self, view) -> None:
        view.reply_stored.connect(self.mail.reply_stored)
        view.send_requested.connect(self.mail.send_mail)
        view.mailbox_setup_requested.connect(self.setup_mailbox)
        state = settings.get(schema.TICKET_SPLITTER)
        if state is not None:
            view.splitter.restoreState(state)

    def _decorate(self) -> None:
        _ = self.inbox.ticket_view  # built now, the inbox being on screen
        self.inbox.release_ticket()  # first what the person looks at: the selected ticket
        if not self.isVisible():
            return  # closed before it was ever painted
        self.banners.after_start()
        self.apply_appearance()
        _ = self.tray  # created now: the tray icon and its counts

    @property
    def tray(self) -> Tray:
        """The system-tray icon with its counts, created on first use."""
        if self._tray is None:
            self._tray = Tray(self.db, self)
            self._tray.show_requested.connect(self._show_window)
            self._tray.due_requested.connect(self._show_due)
            self._tray.quit_requested.connect(self.close)
        return self._tray

    def _check_from_banner(self) -> None:
        """The schema banner's "Check now": the doctor, and the banner goes
        once a check (or a repair) finds the schema as the app defines it."""
        dialog = self.files.open_check()
        dialog.finished_check.connect(self.banners.show_schema_drift)

    def _show_window(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def _show_due(self) -> None:
        self._show_window()
        self.show_pane(0)
        self.inbox.select_view("builtin:Due follow-ups")

    # kept for the screenshots and tests written against the window
    hint = property(lambda self: self.banners.hint)
    location_warning = property(lambda self: self.banners.location_warning)
    _fetch_op = property(lambda self: self.mail.fetch_op)

    def open_account(self):
        return self.mail.open_account()

    def open_mailboxes(self):
        return self.mail.open_mailboxes()

    def setup_mailbox(self):
        """From the composer's "no mailbox" banner: the Mailboxes dialog; the
        ticket shows again when it closes (the banner goes once one is set up)."""
        dialog = self.mail.open_mailboxes()
        dialog.finished.connect(lambda _r: self.bus.announce(Changed.TICKETS))
        return dialog

    def apply_appearance(self) -> None:
        """Light or dark: banners, icons and the conversation follow the scheme."""
        dark = appearance.is_dark()  # the application's palette: the window's may not have followed yet
        readable = appearance.readable_links(QApplication.palette())
        if readable is not None:  # once: the palette change comes back here with links that read
            QApplication.setPalette(readable)
        self.setStyleSheet(appearance.stylesheet(dark))
        for banner in (self.banners.hint, self.banners.restored, self.banners.schema):
            appearance.link_on_banner(banner, dark)
        self.banners.render_schema()
        appearance.relayout_links(self)
        for action, name in ((self.act_inbox, "inbox"), (self.act_policies, "policies"), (self.act_review, "review"),
                             (self.act_audit, "audit"), (self.act_resolve, "resolve"), (self.act_new, "new"),
                             (self.triage.act_snooze, "snooze"), (self.triage.act_tag, "tag"),
                             (self.triage.act_merge, "merge")):
            action.setIcon(appearance.icon(name, self))
        self.inbox.ticket_view.set_dark(dark)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "act_inbox"):
            self.apply_appearance()
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() \
                and getattr(self, "_tray", None) is not None and self.stack.currentWidget() is self.inbox:
            self.tray.seen()
        super().changeEvent(event)

    def _show_status(self) -> None:
        journal = self.tr("shared-memory journal (local disk)") if self.db.journal_mode == "wal" else \
            self.tr("rollback journal (network share)")
        if _url(self.db):
            journal = self.tr("PostgreSQL server, encrypted (TLS)") if getattr(self.db, "tls", False) else \
                self.tr("PostgreSQL server, not encrypted")
        self.status_label.setText(self.tr("{0} · {1} · you are {2}{3}").format(
            _url(self.db) or self.db.path, journal, self.db.actor, self.tr(" · read-only") if self.db.readonly else ""))

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
            log.warning("display name not saved: %s", error)
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

    # -- panes -------------------------------------------------------------------
    @property
    def policies(self):
        """The Policies pane, created the first time it is needed."""
        if self._policies is None:
            from amends.ui.policies.policies_pane import PoliciesPane

            self._policies = PoliciesPane(self.db)
            self._policies.setObjectName("policiesPane")
            self.bus.changed.connect(self._policies.on_data_changed)
            self.stack.addWidget(self._policies)
        return self._policies

    @property
    def review(self):
        """The Review pane, created the first time it is needed."""
        if self._review is None:
            from amends.ui.review.review_pane import ReviewPane

            self._review = ReviewPane(self.db)
            self._review.setObjectName("reviewPane")
            self._review.drill_requested.connect(self.drill_down)
            self._review.wrote.connect(lambda what: self.bus.announce(Changed(what)))
            self.stack.addWidget(self._review)
        return self._review

    @property
    def audit(self):
        """The Audit pane, created the first time it is needed."""
        if self._audit is None:
            from amends.ui.audit.audit_pane import AuditPane

            self._audit = AuditPane(self.db)
            self._audit.setObjectName("auditPane")
            self.bus.changed.connect(self._audit.on_data_changed)
            self._audit.open_ticket.connect(lambda ticket_id: self.drill_down(f"ticket #{ticket_id}", [ticket_id]))
            self.stack.addWidget(self._audit)
        return self._audit

    def show_pane(self, index: int) -> None:
        refresh = (index == 1 and self._policies is not None) or (index == 3 and self._audit is not None)
        pane = getattr(self, PANES[index])
        self.stack.setCurrentWidget(pane)
        self.live.away = index != 0
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
        from amends.ui.shell.command_palette import CommandPalette

        palette = CommandPalette([a for a in self.actions() if a is not self.act_palette], self)
        palette.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.command_palette = palette
        palette.open()
        palette.query.setFocus()
        return palette

    def show_keys(self) -> QMessageBox:
        """The cheat sheet: every action with its shortcut."""
        from amends.ui.shell.command_palette import keys_box

        return self._open(keys_box(self.actions(), self), "keys_box")

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
        from amends.ui.inbox.new_ticket_dialog import NewTicketDialog

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
        return self.proposer.ask(self.inbox.selected_ticket_ids())

    def open_saved_replies(self):
        from amends.ui.ticket.saved_replies_dialog import SavedRepliesDialog

        return self._open(SavedRepliesDialog(self.db, self), "replies_dialog")

    def open_tags(self):
        from amends.ui.inbox.tags_dialog import TagsDialog

        return self._open(TagsDialog(self.db, self), "tags_dialog")

    def insert_saved_reply(self):
        self.show_pane(0)
        return self.inbox.ticket_view.choose_saved_reply()

    def open_preferences(self):
        from amends.ui.shell.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self.db, self.tray.available, self)
        dialog.name_changed.connect(lambda _name: self._show_status())
        dialog.tray_chosen.connect(self.tray.set_visible)
        dialog.appearance_changed.connect(self.apply_appearance)
        return self._open(dialog, "preferences_dialog")

    # -- resolving (resolve/flow.py) -------------------------------------------------
    def resolve_selection(self) -> None:
        """E / Ctrl+E: the current ticket, or the selection (once per policy)."""
        self.show_pane(0)
        self.resolver.resolve_selection()

    def resolve_ticket(self, ticket_id: int):
        return self.resolver.resolve_ticket(ticket_id)

    @property
    def checklist_dialog(self):
        return self.resolver.checklist_dialog

    # -- live refresh (shell/live.py) ----------------------------------------------
    def check_for_changes(self) -> None:
        self.live.check_for_changes()

    def _on_changed(self, what: int) -> None:
        """The one place a restore is handled, however it was seen (the
        poll, or this window's Restore dialog): the banner, the review's
        figures and the live marks; the panes and the undo stack handle
        REPLACED themselves on the bus."""
        if not what & Changed.REPLACED:
            return
        self.banners.show_restored()
        if self._review is not None:
            self._review.data = None  # figures of the old data
            if self.stack.currentWidget() is self._review:
                self._review.compute()
        self.live.resync()

    def refresh(self) -> None:
        """F5: re-read what is shown."""
        self.bus.announce(Changed.TICKETS | Changed.POLICIES)

    # -- files and chores ----------------------------------------------------------
    def choose_database(self) -> None:
        path, _ = file_dialogs.get_open_file_name(self, self.tr("Open an Amends database"), str(self.db.path.parent),
                                              self.tr("Amends databases (*.db *.sqlite *.amends);;All files (*)"))
        if path:
            self.open_requested.emit(Path(path))

    def connect_to_server(self, url: str = ""):
        """File → Connect to server…: the dialog, filled from ``url`` or the server in use."""
        from amends.ui.shell.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self, url or _url(self.db))
        dialog.connect_to.connect(self.connect_requested.emit)
        return self._open(dialog, "connect_dialog")

    def fill_recent_menu(self) -> None:
        """File → Open Recent, read again each time it opens (another window may have added one)."""
        self.recent_menu.clear()
        current = _url(self.db) or str(self.db.path)
        for entry in recent.entries():
            if entry == current:
                continue
            action = self.recent_menu.addAction(recent.label(entry))
            action.setData(entry)
            action.triggered.connect(lambda _checked=False, target=entry: self.open_recent(target))
        self.recent_menu.setEnabled(not self.recent_menu.isEmpty())

    def open_recent(self, entry: str) -> None:
        """A file opens; a server connects, or, when no password is kept for it
        (it was for that session only), the Connect dialog asks, filled in."""
        if is_server_url(entry):
            if pg_access.password_for(entry) is None:
                self.connect_to_server(entry)
                return
            self.connect_requested.emit(entry)
        else:
            self.open_requested.emit(Path(entry))

    def load_demo(self, count: int) -> ops.Operation:
        return self.files.load_demo(count)

    def minute_chores(self) -> None:
        """Every minute: wake snoozed tickets that are due, update the tray
        (and notify of follow-ups that fell due), then the mail."""
        from amends.core import snooze

        try:
            woken = snooze.wake_due(self.db)
        except AmendsError as error:
            log.info("snoozed tickets not woken (busy: the next minute wakes them): %s", error)
            woken = None
        if woken and woken.ticket_ids:
            self.statusBar().showMessage(self.tr("{0} snoozed ticket(s) are back in the inbox.").format(
                len(woken.ticket_ids)), 8000)
            self.bus.announce(Changed.TICKETS)
        self.tray.update()
        self.mail.chores()

    def about(self) -> None:
        QMessageBox.about(self, self.tr("About Amends"), self.tr(
            "<h3>Amends {0}</h3><p>Support console for subscription businesses: the Inbox for what we do for "
            "this customer now, Policies for what we do for the next thousand.</p><p>Database: {1}</p>").format(
            __version__, self.db.location))

    # -- window state --------------------------------------------------------
    def _restore_state(self) -> None:
        geometry = settings.get(schema.WINDOW_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.get(schema.INBOX_SPLITTER)  # the ticket view's: when it is built
        if state is not None:
            self.inbox.splitter.restoreState(state)
        header = settings.get(schema.INBOX_HEADER)
        if header is not None:
            self.inbox.table.horizontalHeader().restoreState(header)
            self.inbox.place_new_columns()
        # The view and sort are per database (another file has other saved views).
        view = settings.get(schema.INBOX_VIEW, db=self.db.path)
        if view and view != self.inbox.current_view_key():
            self.inbox.select_view(view)
        sort = settings.get(schema.INBOX_SORT, db=self.db.path)
        if sort and sort != self.inbox.sort.currentData() and self.inbox.sort.findData(sort) >= 0:
            self.inbox.sort.setCurrentIndex(self.inbox.sort.findData(sort))
            self.inbox.apply_filters()

    def closeEvent(self, event: QCloseEvent) -> None:
        settings.put(schema.WINDOW_GEOMETRY, self.saveGeometry())
        settings.put(schema.INBOX_SPLITTER, self.inbox.splitter.saveState())
        view = self.inbox.built_ticket_view  # None: closed before it was built (its state is unchanged)
        if view is not None:
            settings.put(schema.TICKET_SPLITTER, view.splitter.saveState())
        settings.put(schema.INBOX_HEADER, self.inbox.table.horizontalHeader().saveState())
        settings.put(schema.INBOX_SORT, self.inbox.sort.currentData(), db=self.db.path)
        settings.put(schema.INBOX_VIEW, self.inbox.current_view_key() or "", db=self.db.path)
        self.inbox.stop_timers()
        if self._tray is not None:
            self._tray.icon.hide()
        self.backup_timer.stop()
        self.mail_timer.stop()
        self.mail.stop_watching()  # the waits for new mail (IDLE) end with the window
        ops.stop_all()  # no worker outlives the window (an import is rolled back)
        if view is not None and view.draft_timer.isActive():
            view.save_draft()  # what was typed is kept
        self.resolver.save_pending_draft()
        self.live.stop()
        self.connection.stop()
        super().closeEvent(event)


def _url(db: Database) -> str:
    """The server address (no password) of a PostgreSQL database, "" for a file."""
    return str(getattr(db, "url", "") or "")


def offer_demo_on_first_run(window: MainWindow) -> QDialog | None:
    """A brand-new, empty database: offer to load demo data once."""
    if not window.files.is_empty():
        return None
    if settings.get(schema.DEMO_OFFERED, db=window.db.path):
        return None
    settings.put(schema.DEMO_OFFERED, True, db=window.db.path)
    box = QMessageBox(QMessageBox.Icon.Question, window.tr("Welcome to Amends"),
                      window.tr("This database is empty. Load demo data ({0:,} tickets with customers, "
                                "policies and resolutions) to look around? You can also start with your own "
                                "tickets.").format(DEMO_TICKETS),
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
    box.setObjectName("demoOffer")
    box.button(QMessageBox.StandardButton.Yes).setText(window.tr("Load demo data"))
    box.button(QMessageBox.StandardButton.No).setText(window.tr("Start empty"))
    box.accepted.connect(lambda: window.files.load_demo(DEMO_TICKETS))
    box.open()
    return box


class PaneStack(QStackedWidget):
    """The panes, of which only the one shown sets the window's minimum size:
    a QStackedWidget takes the largest of all, so the Policies pane's height
    and the Review's controls kept the window from a 1,280 × 720 laptop."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(self._fit)

    def addWidget(self, widget: QWidget) -> int:
        index = super().addWidget(widget)
        self._fit()
        return index

    def _fit(self, *_args) -> None:
        shown = self.currentWidget()
        for number in range(self.count()):
            pane = self.widget(number)
            policy = QSizePolicy.Policy.Preferred if pane is shown else QSizePolicy.Policy.Ignored
            pane.setSizePolicy(policy, policy)
        self.updateGeometry()

