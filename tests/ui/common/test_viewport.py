"""A viewport made in Python (ui/common/viewport.py) is set up as the one Qt
makes, so the inbox list looks and behaves the same with it."""

from __future__ import annotations

from amends.ui.common.viewport import own_viewport
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QTableView, QWidget


def _state(view: QTableView) -> dict:
    port = view.viewport()
    return {"name": port.objectName(), "role": port.backgroundRole(), "filled": port.autoFillBackground(),
            "focus_proxy": port.focusProxy() is view, "parent": port.parent() is view, "visible": port.isVisible(),
            "geometry": port.geometry().getRect(), "tracking": port.hasMouseTracking(), "drops": port.acceptDrops(),
            "attributes": [a for a in Qt.WidgetAttribute if port.testAttribute(a)]}


def test_a_python_viewport_is_set_up_as_qts_own(qtbot):
    states = []
    for own in (False, True):
        window = QMainWindow()
        qtbot.addWidget(window)
        view = QTableView()
        made = own_viewport(view) if own else None
        view.setMouseTracking(True)
        window.setCentralWidget(view)
        window.resize(800, 600)
        window.show()
        qtbot.waitExposed(window)
        if own:
            assert view.viewport() is made and isinstance(made, QWidget)
        states.append(_state(view))
    assert states[1] == states[0]
