"""A scroll area's viewport made in Python, so that PySide never has to guess its type.

A viewport Qt made itself reaches Python as a bare ``QWidget*``; to give it
the most derived Python type, PySide makes the type of every QWidget
subclass in QtWidgets (and each one's enums): 70 enums, about 13 ms, on the
first ``viewport()`` call of the process — a tenth of what the start spends
beyond a bare window (issue 16). A viewport made here is already known to
PySide, so asking for it costs nothing."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QWidget


def own_viewport(area: QAbstractScrollArea) -> QWidget:
    """Give ``area`` a viewport made in Python, set up as Qt sets up its own
    (QAbstractScrollAreaPrivate::init: its object name, the Base background
    filled in). Call it right after making the area, before anything is set
    on or connected to the viewport Qt made (it is deleted here)."""
    viewport = QWidget()
    viewport.setObjectName("qt_scrollarea_viewport")
    viewport.setBackgroundRole(QPalette.ColorRole.Base)
    viewport.setAutoFillBackground(True)
    area.setViewport(viewport)  # the area takes it (its parent now) and deletes the old one
    return viewport
