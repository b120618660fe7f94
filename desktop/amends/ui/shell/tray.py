"""The system-tray icon: how many follow-ups are due and how many tickets
arrived since you last looked, and a desktop notification when a follow-up
falls due (Preferences turns it off).

Where the platform has no tray (some Linux desktops, the offscreen test
platform) the counts and notices are still computed and kept in
``last_notice``; they just have nowhere to show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from amends import paths
from amends.core import clock, followups, tickets
from amends.core.errors import AmendsError

if TYPE_CHECKING:
    from amends.ui.shell.main_window import MainWindow

NOTIFY_SETTING = "notifications/followups"
TRAY_SETTING = "notifications/tray"


def notifications_on() -> bool:
    return QSettings().value(NOTIFY_SETTING, True, type=bool)


def badge_icon(count: int) -> QIcon:
    """The app icon with the number of due follow-ups in a corner."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    base = QIcon(str(paths.resources_dir() / "icons" / "amends.svg"))
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
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.db = window.db
        self.due = 0
        self.new = 0
        self.last_notice: tuple[str, str] | None = None
        self._since = clock.now_iso()
        self._seen_id = tickets.latest_id(self.db)
        self.icon = QSystemTrayIcon(self)
        self.icon.setObjectName("trayIcon")
        menu = QMenu(window)
        menu.addAction(self.tr("Show Amends"), self.show_window)
        menu.addAction(self.tr("Due follow-ups"), self.show_due)
        menu.addSeparator()
        menu.addAction(self.tr("Quit"), window.close)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(lambda reason: self.show_window()
                                    if reason == QSystemTrayIcon.ActivationReason.Trigger else None)
        self.icon.messageClicked.connect(self.show_due)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        if self.available and QSettings().value(TRAY_SETTING, True, type=bool):
            self.icon.show()
        self.update()

    def seen(self) -> None:
        """The person looked at the inbox: nothing is new any more."""
        try:
            self._seen_id = tickets.latest_id(self.db)
        except AmendsError:
            return
        self.update()

    def update(self, now: str | None = None) -> None:
        """Re-count, and announce follow-ups that fell due since the last check."""
        now = now or clock.now_iso()
        try:
            self.due = followups.due_count(self.db, now)
            self.new = tickets.newer_than(self.db, self._seen_id)
            fresh = followups.became_due(self.db, self._since, now)
        except AmendsError:
            return  # busy or gone: the next minute tries again
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

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def show_due(self) -> None:
        self.show_window()
        self.window.show_pane(0)
        self.window.inbox.select_view("builtin:Due follow-ups")

    def set_visible(self, visible: bool) -> None:
        QSettings().setValue(TRAY_SETTING, visible)
        self.icon.setVisible(visible and self.available)
