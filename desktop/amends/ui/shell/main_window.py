"""The main window assembles the features: the Inbox (service), Policies,
Review (relations) and Audit panes, menus with standard shortcuts, the
status bar, window state in QSettings.

It builds the feature controllers and gives each what it needs (the
database, the inbox, the :class:`DataBus`, itself only as the parent of
dialogs); they talk back through signals. The work lives with the features:
files/controller.py (import, export, report, backups), mail/controller.py,
resolve/flow.py, inbox/triage.py and view_dialogs.py, shell/live.py (other
people's changes and presence) and shell/banners.py; the window's own parts
in mixins beside it: shell/menus.py (actions, menus), shell/panes.py (the
panes, built on first use) and shell/window_dialogs.py (its dialogs)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from amends import settings_schema as schema
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import appearance, ops, settings
from amends.ui.common.databus import Changed, DataBus
from amends.ui.inbox.inbox_pane import InboxPane
from amends.ui.inbox.triage import Triage
from amends.ui.shell import recent
from amends.ui.shell.banners import Banners
from amends.ui.shell.connection_banner import ConnectionBanner
from amends.ui.shell.first_paint import after_first_paint
from amends.ui.shell.menus import WindowActions
from amends.ui.shell.panes import PaneStack, WindowPanes
from amends.ui.shell.window_dialogs import WindowDialogs
from amends.ui.shell.window_dialogs import db_url as _url

if TYPE_CHECKING:  # built on first use or right after the first paint (issue 16): imported then
    from PySide6.QtWidgets import QDialog  # (and the dialogs' types: made when one is shown)

    from amends.ui.files.controller import FilesController
    from amends.ui.inbox.view_dialogs import ViewDialogs
    from amends.ui.mail.controller import MailController
    from amends.ui.policies.propose import ProposeFlow
    from amends.ui.resolve.flow import ResolveFlow
    from amends.ui.shell.live import LiveUpdates, WaitIndicator
    from amends.ui.shell.tray import Tray

__all__ = ["MainWindow", "offer_demo_on_first_run"]  # and DEMO_TICKETS, POLL_MS: see __getattr__

log = logging.getLogger("amends.ui.window")
BACKUP_DELAY_MS = 10_000  # the daily backup waits until start-up is over


def __getattr__(name: str) -> Any:
    """``DEMO_TICKETS`` and ``POLL_MS``, kept importable from here without
    importing their features' modules at start-up (PEP 562)."""
    if name == "DEMO_TICKETS":
        from amends.ui.files.controller import DEMO_TICKETS

        return DEMO_TICKETS
    if name == "POLL_MS":
        from amends.ui.shell.live import POLL_MS

        return POLL_MS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MainWindow(WindowActions, WindowPanes, WindowDialogs, QMainWindow):
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
        # The feature controllers (resolving, files, mail, proposals, view dialogs) and the live
        # updates are built on first use, or right after the first paint (_decorate): their modules
        # were a third of every start (issue 16). Actions reach them through the properties below,
        # so every shortcut works from the moment the window is shown.
        self._resolver: ResolveFlow | None = None
        self._views: ViewDialogs | None = None
        self._files: FilesController | None = None
        self._mail: MailController | None = None
        self._proposer: ProposeFlow | None = None
        self._live: LiveUpdates | None = None
        self._waiting: WaitIndicator | None = None
        self.inbox.resolve_requested.connect(lambda ticket_id: self.resolver.resolve_ticket(ticket_id))
        self.banners.check_requested.connect(self._check_from_banner)
        self.inbox.when_ticket_view(self._ticket_view_built)  # built right after the first paint
        self._build_actions()
        self.triage.context_actions = ([self.act_resolve, self.act_reply], [self.act_propose])
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self._show_status()
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
        self.backup_timer.timeout.connect(lambda: self.files.rolling_backup())
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
        view.reply_stored.connect(lambda message_id: self.mail.reply_stored(message_id))
        view.send_requested.connect(lambda: self.mail.send_mail())
        view.mailbox_setup_requested.connect(self.setup_mailbox)
        state = settings.get(schema.TICKET_SPLITTER)
        if state is not None:
            view.splitter.restoreState(state)

    def _decorate(self) -> None:
        _ = self.inbox.ticket_view  # built now, the inbox being on screen
        self.inbox.release_ticket()  # first what the person looks at: the selected ticket
        recent.remember(_url(self.db) or self.db.path)  # File → Open Recent (it rewrites the settings file)
        if not self.isVisible():
            return  # closed before it was ever painted
        _ = self.live  # other people's changes and presence, and the lock-wait indicator
        _ = self.mail  # its chores and the reply signals of the ticket view
        self.banners.after_start()
        appearance.set_app_icon()  # the app's icon: made now, not before the paint
        self.apply_appearance()
        _ = self.tray  # created now: the tray icon and its counts

    # -- the features, built on first use (see __init__) ---------------------------
    @property
    def resolver(self) -> ResolveFlow:
        """Resolving with the checklist (resolve/flow.py)."""
        if self._resolver is None:
            from amends.ui.resolve.flow import ResolveFlow

            self._resolver = ResolveFlow(self.db, self.inbox, self.bus, self)
            self._resolver.finished.connect(self.triage.back_to_list)
        return self._resolver

    @property
    def views(self) -> ViewDialogs:
        """Saving, renaming and deleting views (inbox/view_dialogs.py)."""
        if self._views is None:
            from amends.ui.inbox.view_dialogs import ViewDialogs

            self._views = ViewDialogs(self.inbox, self.bus, self)
        return self._views

    @property
    def files(self) -> FilesController:
        """Import, export, report, backups and the doctor (files/controller.py)."""
        if self._files is None:
            from amends.ui.files.controller import FilesController

            self._files = FilesController(self.db, self.bus, self, current_query=self.inbox.current_query,
                                          report_defaults=self._report_defaults)
        return self._files

    @property
    def mail(self) -> MailController:
        """Mailboxes, fetching, the outbox (mail/controller.py)."""
        if self._mail is None:
            from amends.ui.mail.controller import MailController

            self._mail = MailController(self.db, self.bus, self)
        return self._mail

    @property
    def proposer(self) -> ProposeFlow:
        """"Propose policy change" from tickets (policies/propose.py)."""
        if self._proposer is None:
            from amends.ui.policies.propose import ProposeFlow

            self._proposer = ProposeFlow(self.db, self.bus, self)
        return self._proposer

    @property
    def live(self) -> LiveUpdates:
        """Other people's changes and presence (shell/live.py), with the
        status bar's lock-wait indicator (the store's waiter)."""
        if self._live is None:
            from amends.ui.shell.live import LiveUpdates, WaitIndicator

            self._waiting = WaitIndicator(self.statusBar(), self)
            self.db.waiter = self._waiting.wait_for_lock
            self._live = LiveUpdates(self.db, self.inbox, self.bus, self)
            self._live.schema_changed.connect(self.banners.show_schema_drift)
        return self._live

    @property
    def waiting(self) -> WaitIndicator:
        _ = self.live
        assert self._waiting is not None  # built with the live updates
        return self._waiting

    @property
    def poll(self):
        """The live updates' poll timer: tests stop it and call check_for_changes() themselves."""
        return self.live.poll

    @property
    def tray(self) -> Tray:
        """The system-tray icon with its counts, created on first use."""
        if self._tray is None:
            from amends.ui.shell.tray import Tray

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

    def show_search(self) -> None:
        self.show_pane(0)
        self.inbox.focus_search()

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
        if self._live is not None:  # not started yet: it reads the marks afresh when it is
            self._live.resync()

    def refresh(self) -> None:
        """F5: re-read what is shown."""
        self.bus.announce(Changed.TICKETS | Changed.POLICIES)

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
        if self._mail is not None:
            self._mail.stop_watching()  # the waits for new mail (IDLE) end with the window
        ops.stop_all()  # no worker outlives the window (an import is rolled back)
        if view is not None and view.draft_timer.isActive():
            view.save_draft()  # what was typed is kept
        if self._resolver is not None:
            self._resolver.save_pending_draft()
        if self._live is not None:
            self._live.stop()
        self.connection.stop()
        super().closeEvent(event)


def offer_demo_on_first_run(window: MainWindow) -> QDialog | None:
    """A brand-new, empty database: offer to load demo data once. (Read
    without the files controller: this runs before the first paint.)"""
    from PySide6.QtWidgets import QMessageBox

    from amends.core import tickets
    from amends.ui.files.controller import DEMO_TICKETS

    if settings.get(schema.DEMO_OFFERED, db=window.db.path):
        return None
    if tickets.page(window.db, tickets.InboxQuery(status="all"), limit=1)[0]:
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


