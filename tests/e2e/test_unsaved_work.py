"""Unsaved work survives a crash: a process is killed (SIGKILL) while a
reply is typed and a checklist half done; the next window brings both back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from amends.core import drafts, resolution, tickets
from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def test_typed_reply_and_half_done_checklist_survive_a_kill(qtbot, tmp_path):
    path = tmp_path / "work.db"
    db = open_database(path, "drafter@trial")
    ticket_id = tickets.create(db, "Jar smashed", "Glass everywhere", category="damaged_shipment")
    db.close()
    ready = tmp_path / "ready"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.drafting_agent", str(path), str(ticket_id), str(ready)],
                            cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)

    db = open_database(path, "drafter@trial")
    assert drafts.load(db, ticket_id, "reply") == "Dear Ada, a new box is on its way and"
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    window.inbox.select_view("builtin:All tickets")
    assert window.inbox.select_ticket(ticket_id)
    assert window.inbox.ticket_view.composer.toPlainText() == "Dear Ada, a new box is on its way and"
    assert window.resolve_ticket(ticket_id) is None, "the restored reply is unsent: asked about first"
    from PySide6.QtWidgets import QPushButton

    window.resolver.draft_box.findChild(QPushButton, "keepDraft").click()
    dialog = window.checklist_dialog
    assert dialog.restored
    assert dialog.rows[0].done.isChecked() and dialog.rows[1].reason.text() == "customer kept the jar"
    assert not dialog.rows[2].done.isChecked()
    dialog.reject()
    assert drafts.load_checklist(db, ticket_id) is None, "cancel forgets the unfinished checklist"
    assert resolution.resolutions_for(db, ticket_id) == [] and tickets.get(db, ticket_id).status == "open"
    window.close()
    db.close()
