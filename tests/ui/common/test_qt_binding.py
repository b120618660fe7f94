"""The Qt binding itself must not wear the interpreter down.

PySide6 6.12.0 drops a reference to None on every Qt call that returns
nothing. From Python 3.12 None is immortal and that is harmless; on 3.11
None's count (a few thousand at rest) reaches zero after a few thousand
calls and the process dies with "Fatal Python error: none_dealloc" — while
someone types in the search box. pyproject.toml keeps 3.11 below 6.12; this
test fails if a binding with that bug is ever installed again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel


def test_qt_calls_that_return_nothing_keep_none_alive(qapp):
    label, obj = QLabel(), QObject()
    before = sys.getrefcount(None)
    for _ in range(300):  # few enough that a broken binding fails here instead of crashing
        label.setText("x")
        obj.setObjectName("y")
        qapp.processEvents()
    assert sys.getrefcount(None) - before > -100, "every Qt call loses a reference to None"
