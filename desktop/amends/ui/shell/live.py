"""Working on a shared file: see others' changes without pressing anything,
tell others where I am, and show it when another writer holds the lock.

* :class:`LiveUpdates` polls ``PRAGMA data_version`` (cheap) every second;
  when it moved and the newest audit id moved too (presence heartbeats are
  not audited) it announces :attr:`Changed.EVERYTHING` on the bus. When the
  file was restored from a backup (``backups.ReplacementWatch``) it announces
  ``EVERYTHING | REPLACED`` instead: the panes drop what they hold. It also
  sends the presence heartbeat and shows who else is where. When the
  schema itself changed (``PRAGMA schema_version``: another tool dropped a
  trigger, rebuilt a table …) it emits :attr:`LiveUpdates.schema_changed`
  (the schema banner looks again).
  On a PostgreSQL server the database also *tells* the window (LISTEN/NOTIFY,
  core/store/pg_listen.py): each commit by someone else is checked for at
  once, a presence heartbeat only redraws who is where, and the poll slows
  to a safety net (``AMENDS_LISTEN_POLL_MS``); when the LISTEN connection is
  lost the poll runs at its usual pace again until listening resumes.
* :class:`WaitIndicator` is the store's waiter: "Waiting for another user…"
  and a Stop button in the status bar while a write waits for the lock.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QStatusBar, QWidget

from amends import settings_schema
from amends.core import audit, backups, presence
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common.databus import Changed, DataBus
from amends.ui.inbox.inbox_pane import InboxPane

log = logging.getLogger("amends.ui.live")

POLL_MS = 1000
HEARTBEAT_MS = 5000
WAIT_VISIBLE_AFTER = 1.0


class LiveUpdates(QObject):
    schema_changed = Signal()
    #: emitted on the listener's thread, delivered (queued) on this object's
    _noticed = Signal(object)
    _listen_state = Signal(bool, str)

    def __init__(self, db: Database, inbox: InboxPane, bus: DataBus, parent: QObject) -> None:
        super().__init__(parent)
        self.poll_ms = settings_schema.environment(settings_schema.AMENDS_POLL_MS)
        self.listening_poll_ms = settings_schema.environment(settings_schema.AMENDS_LISTEN_POLL_MS)
        #: how the last change by others arrived: "notify" (a server told us) or "poll"
        self.last_change_via = ""
        self.listening = False
        self.stopped = False  # stop_listening() was called: notices still on their way are dropped
        self.db = db
        self.inbox = inbox
        self.bus = bus
        self.instance = presence.new_instance()
        self.data_version = db.data_version()
        self.audit_mark = audit.latest_id(db)
        self.schema_cookie = db.scalar("PRAGMA schema_version")
        self.watch = backups.ReplacementWatch(db)  # its own data_version memory
        self.heartbeat_enabled = not db.readonly
        self.away = False  # another pane is shown: my presence says idle
        self.poll = QTimer(self)
        self.poll.setInterval(self.poll_ms)
        self.poll.timeout.connect(self.check_for_changes)
        self.poll.start()
        self._noticed.connect(self._on_notice)
        self._listen_state.connect(self._on_listen_state)
        self.listener = db.listen(self._noticed.emit, self._listen_state.emit,
                                  retry_seconds=settings_schema.environment(
                                      settings_schema.AMENDS_LISTEN_RETRY_SECONDS))
        self.heartbeat = QTimer(self)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self.beat)
        self.heartbeat.start()
        inbox.when_ticket_view(lambda view: view.activity_changed.connect(self.beat))

    def _on_notice(self, notice: object) -> None:
        """A server said someone committed: look now rather than at the next poll. A notice still queued
        from the listener's thread when listening stopped is dropped: stopped means no more notices."""
        if self.stopped:
            return
        if getattr(notice, "only_presence", False):
            self.show_presence()
            return
        self.check_for_changes(via="notify")

    def _on_listen_state(self, listening: bool, why: str) -> None:
        """Listening (again): the poll slows to a safety net, and what came
        while nobody listened is looked for once. Lost: poll as on a file."""
        self.listening = listening
        self.poll.setInterval(self.listening_poll_ms if listening else self.poll_ms)
        if listening:
            self.check_for_changes(via="poll")
        else:
            self.bus.say(self.tr("Live updates from the server were interrupted; looking for changes every "
                                 "{seconds:g} s until they are back.").format(seconds=self.poll_ms / 1000), 10000)
            log.warning("%s", why)

    def stop_listening(self) -> None:
        """No more notifications (the window closes; tests freeze a window)."""
        self.stopped = True
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
        self.listening = False

    def check_for_changes(self, via: str = "poll") -> None:
        """Another connection committed: announce it if the data changed (the
        audit log moved), and show who is where. ``via`` says what made us
        look (kept in :attr:`last_change_via` when something had changed)."""
        try:
            if self.watch.replaced():
                self.bus.announce(Changed.EVERYTHING | Changed.REPLACED)  # the shell calls resync()
                return
            version = self.db.data_version()
            if version == self.data_version:
                if self.db.data_version_skips_presence:  # a server's counter: heartbeats do not move it
                    self.show_presence()
                return
            self.data_version = version
            mark = audit.latest_id(self.db)
            cookie = self.db.scalar("PRAGMA schema_version")
        except AmendsError as error:
            log.warning("could not look for changes by others (the next poll tries again): %s", error)
            return
        if cookie != self.schema_cookie:
            self.schema_cookie = cookie
            self.schema_changed.emit()
        # On a server the audit ids of two writers of different tickets need not come in commit
        # order (a smaller id can commit after a larger one was seen): its change counter, which
        # presence does not move, decides there.
        if mark != self.audit_mark or self.db.data_version_skips_presence:
            self.audit_mark = mark
            self.last_change_via = via
            self.bus.announce(Changed.EVERYTHING)
        self.show_presence()

    def resync(self) -> None:
        """After a restore (seen here or made by this window): start again
        from the file as it is now. The restore is consumed (the next poll
        does not announce it again) and my presence row, gone with the old
        data, is written anew."""
        try:
            self.watch.replaced()
            self.data_version = self.db.data_version()
            self.audit_mark = audit.latest_id(self.db)
        except AmendsError as error:
            log.warning("after the restore, the change marks were not read (the next poll tries again): %s", error)
        self.beat()

    def beat(self) -> None:
        """Tell the others which ticket I have open (every few seconds and
        whenever it changes); a busy database just skips a beat."""
        if not self.heartbeat_enabled:
            return
        view = self.inbox.built_ticket_view  # not built yet: no ticket open
        ticket_id, activity = view.presence_state() if view is not None else (None, "idle")
        if self.away:
            ticket_id, activity = None, "idle"
        try:
            presence.beat(self.db, self.instance, ticket_id, activity)
        except AmendsError as error:
            # busy or read-only: presence is best effort, the data is not at stake
            log.info("presence heartbeat skipped: %s", error)
        try:
            self.data_version = self.db.data_version()
        except AmendsError as error:  # a server that went away: the connection banner says so
            log.info("change mark not read after the heartbeat: %s", error)
            return
        self.show_presence()

    def show_presence(self) -> None:
        try:
            people = presence.others(self.db, self.instance)
        except AmendsError as error:
            log.info("presence of others not read: %s", error)
            return
        self.inbox.model.set_presence(presence.by_ticket(people))
        if self.inbox.built_ticket_view is not None:
            self.inbox.built_ticket_view.show_presence(people)

    def stop(self) -> None:
        """The window closes: no more polls, and I leave."""
        self.poll.stop()
        self.heartbeat.stop()
        self.stop_listening()
        try:
            presence.leave(self.db, self.instance)
        except AmendsError as error:
            log.info("presence not cleared (it expires by itself within 30 s): %s", error)


class WaitIndicator(QObject):
    def __init__(self, status_bar: QStatusBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.label = QLabel(self.tr("Waiting for another user to finish saving…"))
        self.label.setObjectName("waitLabel")
        self.cancel = QPushButton(self.tr("Stop waiting"))
        self.cancel.setObjectName("stopWaiting")
        self.cancel.clicked.connect(lambda: setattr(self, "_stop_waiting", True))
        status_bar.addWidget(self.label)
        status_bar.addWidget(self.cancel)
        self.label.hide()
        self.cancel.hide()
        self._stop_waiting = False
        # The store only calls while it waits: when the calls stop, the wait is over.
        self._wait_over = QTimer(self)
        self._wait_over.setSingleShot(True)
        self._wait_over.setInterval(600)
        self._wait_over.timeout.connect(self._done_waiting)

    def wait_for_lock(self, elapsed: float) -> bool:
        """Called by the store while another writer holds the lock: after a
        second, say so and offer to stop; keep the window alive meanwhile."""
        if elapsed >= WAIT_VISIBLE_AFTER and not self.label.isVisible():
            self._stop_waiting = False
            self.label.show()
            self.cancel.show()
        self._wait_over.start()
        QApplication.processEvents()
        if self._stop_waiting:
            self._done_waiting()
            return False
        return True

    def _done_waiting(self) -> None:
        self.label.hide()
        self.cancel.hide()
        self._stop_waiting = False
