"""Qt's item roles and alignments as plain ints, for code that runs before the first paint.

PySide6 makes a class's Python type, with every enum in it, the first time
Python needs it. The ``Qt`` namespace is the largest of them (~95 enums:
~120M instructions, ~13 ms of CPU, a fifth of what the start spent beyond a
bare window, issue 16), and a model's roles and alignments are only ints to
Qt: ``data()`` receives the role as an int and an int alignment is taken as
it is. So the inbox's first page is answered with these, and ``Qt`` itself is
imported by what runs after the paint (dialogs, icons, the ticket view).
An enum-typed Qt *property* takes an int through the meta-object system
(:func:`set_property`): a completer's case sensitivity, a toolbar's button style.
tests/ui/common/test_qt_values.py checks each value against Qt's own.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

# Qt::ItemDataRole
DISPLAY_ROLE = 0
DECORATION_ROLE = 1
TOOLTIP_ROLE = 3
FONT_ROLE = 6
TEXT_ALIGNMENT_ROLE = 7
BACKGROUND_ROLE = 8
FOREGROUND_ROLE = 9
CHECK_STATE_ROLE = 10
ACCESSIBLE_TEXT_ROLE = 11
USER_ROLE = 0x0100

# Qt::AlignmentFlag
ALIGN_LEFT = 0x0001
ALIGN_RIGHT = 0x0002
ALIGN_H_CENTER = 0x0004
ALIGN_V_CENTER = 0x0080

# Qt::CaseSensitivity
CASE_INSENSITIVE = 0

# Qt::ContextMenuPolicy
CUSTOM_CONTEXT_MENU = 3

# Qt::ToolButtonStyle
TOOL_BUTTON_TEXT_BESIDE_ICON = 2


def set_property(target: QObject, name: str, value: int) -> None:
    """Set ``target``'s enum-typed Qt property ``name`` to the int ``value``
    (Qt converts it; no Python enum is made). A property Qt refuses (a
    misspelt name) is an error, not a silent no-op."""
    if not target.setProperty(name, value):
        raise ValueError(f"{type(target).__name__} has no writable property {name!r}")


def set_keys(action: QAction, keys: list[str | QKeySequence] | str | QKeySequence.StandardKey) -> None:
    """Give ``action`` its keys (a key, a standard key, or a list of keys: all
    of them work) through ``setShortcuts``: ``setShortcut``'s overloads, and
    copying a QKeySequence through ``QKeySequence()``, make the Qt namespace.
    An empty key, or a standard key this platform lacks, is no key."""
    if isinstance(keys, list):
        action.setShortcuts([key if isinstance(key, QKeySequence) else QKeySequence(key) for key in keys])
        return
    key = QKeySequence(keys)
    action.setShortcuts([key] if not key.isEmpty() else [])
