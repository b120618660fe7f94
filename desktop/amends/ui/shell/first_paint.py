"""Run something once a widget has been painted for the first time.

Start-up is measured to the first painted inbox page, and a zero-timeout
timer fires *before* that paint; work that can wait (icons, the tray's
counts, banners that need queries) waits for the paint instead."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)  # after this paint has finished
        return False


def after_first_paint(widget: QWidget, callback: Callable[[], None]) -> QObject:
    """Call ``callback`` (once) right after ``widget``'s first paint."""
    return _FirstPaint(widget, callback)
