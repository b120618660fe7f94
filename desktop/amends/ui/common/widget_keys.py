"""Keys that work in one widget only, as key events, not as shortcuts.

A QShortcut made with a callable (``QShortcut(keys, parent, slot,
context=...)``) ignores its ``context=`` in PySide6 and is a shortcut of the
whole window: Enter in the search box opened the current ticket instead of
searching, and Ctrl+Enter in the search box mailed the composer's
half-written reply (tests/ui/inbox/test_shortcut_reach.py). Setting the
context afterwards to a widget one is no better: Qt then checks only which
widget has the focus, not whether a window-modal dialog covers it.

A key press reaches only the widget with the focus (and, unhandled, its
parents), never a widget of a window a dialog blocks: :func:`on_keys` acts
on the widget's own key presses, before the widget's own handling, so the
key does what it said and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QWidget


class _WidgetKeys(QObject):
    """The event filter :func:`on_keys` installs on its widget."""

    def __init__(self, widget: QWidget, keys: dict[str, Callable[[], object]]) -> None:
        super().__init__(widget)
        self._keys = keys
        self._combined: dict[int, Callable[[], object]] | None = None  # made at the first key (after the paint)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # (only QEvent's own enum before a key is pressed: Qt's namespace is not made before the first paint)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if self._combined is None:
            # (QKeySequence[0]: its first key, which PySide's stubs do not declare)
            self._combined = {QKeySequence(keys)[0].toCombined(): slot  # type: ignore[index]
                              for keys, slot in self._keys.items()}
        slot = self._combined.get(event.keyCombination().toCombined())
        if slot is None:
            return False
        slot()
        return True


def on_keys(widget: QWidget, keys: dict[str, Callable[[], object]]) -> QObject:
    """Call ``keys[sequence]()`` when ``sequence`` (one key with its
    modifiers, ``"Ctrl+Return"``) is pressed in ``widget`` while it has the
    focus; the widget does not see that key. Returns the filter (owned by
    ``widget``)."""
    keys_filter = _WidgetKeys(widget, keys)
    widget.installEventFilter(keys_filter)
    return keys_filter
