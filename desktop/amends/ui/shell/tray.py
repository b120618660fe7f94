"""The system-tray icon: how many follow-ups are due and how many tickets
arrived since you last looked, and a desktop notification when a follow-up
falls due (Preferences turns it off).

Where the platform has no tray (some Linux desktops, the offscreen test
platform) the counts and notices are still computed and kept in
``last_notice``; they just have nowhere to show.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from amends import settings_schema as schema
from amends.core import clock, followups, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import appearance, settings

log = logging.getLogger("amends.ui.tray")

NOTIFY_SETTING = schema.NOTIFY_FOLLOWUPS
TRAY_SETTING = schema.SHOW_TRAY


def notifications_on() -> bool:
    return settings.get(NOTIFY_SETTING)


def badge_icon(count: int) -> QIcon:
    """The app icon with the number of due follow-ups in a corner."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    base = appearance.app_icon()
    base.paint(painter, 0, 0, 64, 64)
    if count:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor("#c62828"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(28, 0, 36, 36)
        painter.setPen(QColor("#ffffff"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(20 if count < 100 else 14)
        painter.setFont(font)
        painter.drawText(28, 0, 36, 36, Qt.AlignmentFlag.AlignCenter, str(count) if count < 1000 else "999+")
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """Given the database; asks the shell through signals to show the window,
    the due follow-ups, or to quit."""

    show_requested = Signal()
    due_requested = Signal()
    quit_requested = Signal()

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.due = 0
        self.new = 0
        self.last_notice: tuple[str, str] | None = None
        self._since = clock.now_iso()
        self._seen_id = tickets.latest_id(self.db)
        self.icon = QSystemTrayIcon(self)
        self.icon.setObjectName("trayIcon")
        menu = QMenu()
        self.menu = menu  # a context menu has no parent widget here: the tray keeps it
        menu.addAction(self.tr("Show Amends"), self.show_requested.emit)
        menu.addAction(self.tr("Due follow-ups"), self.due_requested.emit)
        menu.addSeparator()
        menu.addAction(self.tr("Quit"), self.quit_requested.emit)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(lambda reason: self.show_requested.emit()
                                    if reason == QSystemTrayIcon.ActivationReason.Trigger else None)
        self.icon.messageClicked.connect(self.due_requested.emit)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        if self.available and settings.get(TRAY_SETTING):
            self.icon.show()
        self.update()

    def seen(self) -> None:
        """The person looked at the inbox: nothing is new any more."""
        try:
            self._seen_id = tickets.latest_id(self.db)
        except AmendsError as error:
            log.info("tray: newest ticket not read (the next look tries again): %s", error)
            return
        self.update()

    def update(self, now: str | None = None) -> None:
        """Re-count, and announce follow-ups that fell due since the last check."""
        now = now or clock.now_iso()
        try:
            self.due = followups.due_count(self.db, now)
            self.new = tickets.newer_than(self.db, self._seen_id)
            fresh = followups.became_due(self.db, self._since, now)
        except AmendsError as error:
            log.info("tray counts not updated (busy or gone: the next minute tries again): %s", error)
            return
        self._since = now
        tip = self.tr("Amends: {0} follow-up(s) due, {1} new ticket(s)").format(self.due, self.new)
        self.icon.setToolTip(tip)
        self.icon.setIcon(badge_icon(self.due))
        if fresh and notifications_on():
            title = self.tr("Follow-up due") if len(fresh) == 1 else self.tr("{0} follow-ups due").format(len(fresh))
            body = "; ".join(f"#{f.ticket_id}: {f.note or f.kind}" for f in fresh[:3])
            self.last_notice = (title, body)
            if self.icon.isVisible() and self.icon.supportsMessages():
                self.icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 10_000)

    def set_visible(self, visible: bool) -> None:
        settings.put(TRAY_SETTING, visible)
        self.icon.setVisible(visible and self.available)
