"""Background work cannot lose its failure, the UI never swallows a known
error silently, and nothing in the UI talks to sqlite3 itself."""

from __future__ import annotations

import ast
import logging
import time
from pathlib import Path

from amends.core.errors import Cancelled, NotFound
from amends.ui.common import ops
from PySide6.QtWidgets import QMessageBox, QWidget

UI = Path(__file__).resolve().parents[3] / "desktop" / "amends" / "ui"
#: Calls that log a known error (show_error and conflict_box log what they show): whatever a
#: handler shows in a label or the status bar, it logs too.
REPORTS = {"show_error", "conflict_box", "warning", "info", "error", "exception", "critical",
           "_failed"}  # _failed: undo hands it to the failure callback (show_error)


def test_a_worker_without_a_failure_handler_shows_and_logs_the_error(qtbot, db, caplog):
    parent = QWidget()
    qtbot.addWidget(parent)

    def work(job):
        raise NotFound("Ticket", 999)

    with caplog.at_level(logging.WARNING, logger="amends"):
        op = ops.run(db, work, success=lambda result: None, parent=parent)
        qtbot.waitUntil(lambda: op.done, timeout=5000)
    box = parent.findChild(QMessageBox, "errorBox")
    assert box is not None and "999" in box.text(), "the person is told"
    assert any(r.levelno == logging.WARNING and "999" in r.getMessage() for r in caplog.records), "and it is logged"


def test_cancel_interrupts_the_running_query_and_arrives_as_cancelled(qtbot, db):
    got = []
    started = []

    def work(job):
        started.append(True)
        # a query that runs for minutes unless interrupted
        return job.db.scalar("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                             "SELECT count(*) FROM n")

    op = ops.run(db, work, success=got.append, failure=got.append)
    qtbot.waitUntil(lambda: bool(started), timeout=5000)
    time.sleep(0.05)
    op.cancel()
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert len(got) == 1 and isinstance(got[0], Cancelled)


def _imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_nothing_in_the_ui_imports_sqlite3():
    users = [str(p.relative_to(UI)) for p in sorted(UI.rglob("*.py"))
             if "sqlite3" in _imports(ast.parse(p.read_text(encoding="utf-8")))]
    assert users == []


def _names(node: ast.AST) -> set[str]:
    return {n.attr if isinstance(n, ast.Attribute) else n.id for n in ast.walk(node)
            if isinstance(n, (ast.Attribute, ast.Name))}


def silent_handlers(root: Path = UI) -> list[str]:
    """``except AmendsError`` (or a tuple with it) whose body neither logs the
    error (directly or through show_error) nor raises: it would vanish, or be
    shown to the person without a trace in the log."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler) or node.type is None or "AmendsError" not in _names(node.type):
                continue
            body = ast.Module(body=node.body, type_ignores=[])
            calls = {(c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", ""))
                     for c in ast.walk(body) if isinstance(c, ast.Call)}
            raises = any(isinstance(n, ast.Raise) for n in ast.walk(body))
            if not raises and not calls & REPORTS:
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_no_known_error_is_swallowed_silently_in_the_ui():
    assert silent_handlers() == []


def test_the_scan_finds_a_silent_handler(tmp_path):
    (tmp_path / "pane.py").write_text("try:\n    x()\nexcept AmendsError:\n    pass\n"
                                      "try:\n    y()\nexcept (AmendsError, OSError) as e:\n    log.warning('%s', e)\n")
    assert silent_handlers(tmp_path) == ["pane.py:3"]


def test_a_known_error_shown_to_the_person_is_logged(qtbot, caplog):
    from amends.ui.common.messages import show_error

    parent = QWidget()
    qtbot.addWidget(parent)
    with caplog.at_level(logging.WARNING, logger="amends"):
        show_error(parent, NotFound("Ticket", 4242))
    assert any("4242" in r.getMessage() for r in caplog.records)
