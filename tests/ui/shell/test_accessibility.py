"""Accessibility: every interactive widget of the main panes has a name a
screen reader can say, everything is reachable with Tab, the window
remembers its layout, and it works at 200 % scaling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

INTERACTIVE = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QTextEdit, QPlainTextEdit, QAbstractSpinBox)
ROOT = Path(__file__).resolve().parents[3]


def accessible_name(widget: QWidget, labels: list[QLabel]) -> str:
    """What a screen reader announces: the accessible name, a button's own
    text, or the label that is its buddy."""
    if widget.accessibleName().strip():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton) and widget.text().replace("&", "").strip():
        return widget.text()
    for label in labels:
        if label.buddy() is widget and label.text().strip():
            return label.text()
    return ""


def _inside_interactive(widget: QWidget, root: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, INTERACTIVE):
            return True
        parent = parent.parentWidget()
    return False


def unnamed(root: QWidget) -> list[str]:
    labels = root.findChildren(QLabel)
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or _inside_interactive(widget, root):
            continue  # parts of a compound widget (a combo's popup list, a spin box's line edit)
        if type(widget).__name__ in ("QScrollBar", "QTabBar") or widget.objectName().startswith("qt_"):
            continue
        if not accessible_name(widget, labels):
            missing.append(f"{type(widget).__name__} {widget.objectName() or '(no object name)'} "
                           f"in {type(widget.parent()).__name__}")
    return missing


def test_every_interactive_widget_in_the_main_panes_has_an_accessible_name(qtbot, window):
    window.inbox.table.selectRow(0)  # the ticket view with all its fields
    panes = [window.inbox, window.policies, window.review, window.audit]
    window.show_pane(1)
    window.policies.table.selectRow(0)  # the editor with all its fields
    missing = [m for pane in panes for m in unnamed(pane)]
    assert missing == []


def test_the_scan_would_find_an_unnamed_field(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    QLineEdit(host).setObjectName("anonymous")
    assert unnamed(host) == ["QLineEdit anonymous in QWidget"]


def test_dialogs_of_triage_have_names(qtbot, window):
    window.inbox.table.selectRow(0)
    for dialog in (window.triage.choose_tag(), window.open_saved_replies(), window.open_preferences()):
        assert unnamed(dialog) == [], dialog.objectName()
        dialog.reject()


def test_tab_reaches_list_ticket_fields_and_composer(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    inbox.search.setFocus()
    targets = {inbox.table: False, inbox.ticket_view.category: False, inbox.ticket_view.composer: False,
               inbox.views: False}
    for _ in range(80):
        focused = QApplication.focusWidget()
        if focused in targets:
            targets[focused] = True
        if focused is inbox.ticket_view.composer:
            break
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(focused, Qt.Key.Key_Tab)
    assert targets[inbox.table] and targets[inbox.ticket_view.category] and targets[inbox.ticket_view.composer]


def test_status_is_not_only_colour(qtbot, window):
    from amends.core import snooze, tags

    inbox = window.inbox
    inbox.select_view("builtin:All tickets")
    ticket_id = inbox.model.ticket_id(0)
    tags.add(window.db, [ticket_id], "VIP")
    snooze.snooze(window.db, [ticket_id], "3d")
    inbox.refresh()
    row = inbox.model.row_of(ticket_id)
    status = inbox.model.data(inbox.model.index(row, inbox.model.column_of("status")))
    tag_text = inbox.model.data(inbox.model.index(row, inbox.model.column_of("tags")))
    assert status.endswith(", snoozed") and tag_text == "VIP"
    tip = inbox.model.data(inbox.model.index(row, inbox.model.column_of("status")), 3)  # ToolTipRole
    assert "snoozed until" in tip


def test_window_remembers_columns_sort_and_view(qtbot, demo_db):
    from amends.ui.shell.main_window import MainWindow

    first = MainWindow(demo_db)
    qtbot.addWidget(first)
    first.show()
    first.inbox.table.setColumnWidth(1, 333)
    first.inbox.sort.setCurrentIndex(first.inbox.sort.findData("priority"))
    first.inbox.apply_filters()
    first.inbox.select_view("builtin:Unassigned")
    first.close()
    second = MainWindow(demo_db)
    qtbot.addWidget(second)
    second.show()
    try:
        assert second.inbox.current_view_key() == "builtin:Unassigned"
        assert second.inbox.sort.currentData() == "priority"
        assert second.inbox.model.query.sort == "priority"
        assert second.inbox.table.horizontalHeader().sectionSize(1) in (333, second.inbox.table.columnWidth(1))
    finally:
        second.close()


def test_the_window_draws_at_200_percent(tmp_path):
    """A real process with QT_SCALE_FACTOR=2: the window builds, paints and
    its picture has twice the pixels (no clipped or missing parts crash it)."""
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from amends.core import demo\n"
        "from amends.core.workspace import open_database\n"
        "from amends.ui.shell.main_window import MainWindow\n"
        f"db = open_database({str(tmp_path / 'scale.db')!r}, 'scale@test')\n"
        "demo.generate(db, 60, seed=3)\n"
        "w = MainWindow(db); w.resize(1200, 800); w.show(); app.processEvents()\n"
        "w.inbox.table.selectRow(0); app.processEvents()\n"
        "image = w.grab().toImage()\n"
        "print(image.width(), image.height(), w.devicePixelRatio())\n"
        "w.close(); db.close()\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    width, height, ratio = result.stdout.split()[-3:]
    assert float(ratio) == 2.0 and int(width) == 2400 and int(height) == 1600
