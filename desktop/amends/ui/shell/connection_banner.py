"""The database server went away (issue 19 point 6): a banner that says so
in plain words instead of an error per click, and the reconnection.

The PostgreSQL store tells its ``connection_listeners`` when the server stops
answering and when it answers again (store/postgres.py). While it is away
this banner shows, a timer tries the server every few seconds
(``db.ping()``, which reconnects), and what is typed is kept on this
computer (core/local_drafts.py). When it is back: the banner goes, the
drafts kept here go into the database, and everything shown is re-read.
A file database has no listeners: the banner never shows for it."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from amends.core.store import Database
from amends.ui.common.databus import Changed, DataBus

log = logging.getLogger("amends.ui.connection")
RETRY_MS = 2000


class ConnectionBanner(QObject):
    """Owns the label (the window lays it out) and the retry timer."""

    #: True when the server answers again, False when it was lost (queued: the
    #: store may tell from any thread that uses the window's connection)
    state = Signal(bool)

    def __init__(self, db: Database, bus: DataBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.bus = bus
        self.label = QLabel()
        self.label.setObjectName("connectionBanner")
        self.label.setWordWrap(True)
        self.label.hide()
        self.retry = QTimer(self)
        self.retry.setInterval(RETRY_MS)
        self.retry.timeout.connect(self.try_again)
        self._listeners = getattr(db, "connection_listeners", None)
        if self._listeners is not None:  # a server: a file never tells (and the Qt namespace, made here, waits)
            from PySide6.QtCore import Qt

            self.state.connect(self._show, Qt.ConnectionType.QueuedConnection)  # never inside a store call
            self._listeners.append(self._told)

    @property
    def lost(self) -> bool:
        return not self.label.isHidden() or self.retry.isActive()

    def _told(self, up: bool) -> None:
        self.state.emit(up)

    def _show(self, up: bool) -> None:
        if not up:
            import html  # (a server that went away: not needed at start)

            self.label.setText("⚠ " + self.tr(
                "The connection to {0} is lost. Nothing you type is lost: drafts are kept on this computer until "
                "the server is back. Amends reconnects by itself (trying every {1} s); changes made meanwhile are "
                "refused with a message.").format(html.escape(self.db.location), RETRY_MS // 1000))
            self.label.show()
            if not self.retry.isActive():
                self.retry.start()
            return
        self.retry.stop()
        if self.label.isHidden():
            return
        self.label.hide()
        try:
            from amends.core import local_drafts  # a server came back: not needed before

            moved = local_drafts.push(self.db)
        except OSError as error:
            log.warning("drafts kept on this computer not moved yet: %s", error)
            moved = 0
        self.bus.status.emit(self.tr("Connected again to {0}{1}.").format(
            self.db.location, self.tr("; {0} draft(s) kept here are saved").format(moved) if moved else ""), 8000)
        self.bus.announce(Changed.EVERYTHING)

    def try_again(self) -> None:
        """The timer: reconnect if the server answers (the store then tells us)."""
        ping = getattr(self.db, "ping", None)
        if ping is not None and ping():
            self._show(True)

    def stop(self) -> None:
        self.retry.stop()
        if self._listeners is not None and self._told in self._listeners:
            self._listeners.remove(self._told)
