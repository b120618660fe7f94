"""Triage with a colleague on the same file, in another process: their tags
and edits show up by themselves, and undoing my bulk edit never takes back
what they changed since."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from amends.core import tags, tickets
from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QItemSelection, QItemSelectionModel

from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]
COLLEAGUE = """
import sys
sys.path.insert(0, {root!r})
from amends.core import edits, tags, tickets
from amends.core.workspace import open_database
db = open_database({path!r}, "ben@colleague")
ids = {ids!r}
edits.set_field(db, ids[:1], "priority", 0)   # Ben changes one of my tickets after my bulk edit
tags.add(db, ids[:10], "Escalated")           # and tags ten of them
db.close()
"""


def test_undo_after_a_colleague_changed_some_of_the_tickets(qtbot, tmp_path):
    path = tmp_path / "shared.db"
    db = open_database(path, ACTOR)
    for i in range(60):
        tickets.create(db, f"Ticket {i}", "hello")
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.poll.stop()
    inbox = window.inbox
    block = QItemSelection(inbox.model.index(0, 0), inbox.model.index(49, inbox.model.columnCount() - 1))
    inbox.table.selectionModel().select(block, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    ids = inbox.selected_ticket_ids()
    assert len(ids) == 50
    window.triage.set_field("priority", 3, ids)
    assert db.scalar("SELECT count(*) FROM tickets WHERE priority = 3") == 50

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = COLLEAGUE.format(root=str(ROOT), path=str(path), ids=ids)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

    window.check_for_changes()  # what the poll does every second
    row = inbox.model.row_of(ids[0])
    assert inbox.model.data(inbox.model.index(row, inbox.model.column_of("tags"))) == "Escalated"
    window.triage.undo_action.trigger()
    assert tickets.get(db, ids[0]).priority == 0, "Ben's later change stays"
    assert db.scalar("SELECT count(*) FROM tickets WHERE priority = 3") == 0
    assert db.scalar("SELECT count(*) FROM tickets WHERE priority = 1") == 59
    assert "left as they are" in window.statusBar().currentMessage()
    assert len(tags.for_tickets(db, ids)) == 10, "undoing my edit does not touch Ben's tags"
    window.close()
    db.close()
