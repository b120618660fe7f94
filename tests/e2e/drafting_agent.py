"""A window that is in the middle of work when it gets killed: a reply typed
(not sent) and a recovery checklist half ticked.

    python -m tests.e2e.drafting_agent DB TICKET READY_FILE
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow
from PySide6.QtWidgets import QApplication, QPushButton


def main() -> int:
    path, ticket_text, ready = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    app = QApplication([])
    db = open_database(path, "drafter@trial", create=False)
    window = MainWindow(db)
    window.show()
    window.inbox.select_view("builtin:All tickets")
    assert window.inbox.select_ticket(ticket_text)
    view = window.inbox.ticket_view
    view.composer.setPlainText("Dear Ada, a new box is on its way and")
    deadline = time.monotonic() + 5
    while view.draft_timer.isActive() and time.monotonic() < deadline:  # saved as you type
        app.processEvents()
        time.sleep(0.01)
    assert window.resolve_ticket(ticket_text) is None  # the unsent reply is asked about first (issue 17)
    window.resolver.draft_box.findChild(QPushButton, "keepDraft").click()
    dialog = window.checklist_dialog
    dialog.rows[0].done.setChecked(True)
    dialog.rows[1].reason.setText("customer kept the jar")
    while dialog.draft_timer.isActive() and time.monotonic() < deadline + 5:  # saved a moment after the change
        app.processEvents()
        time.sleep(0.01)
    ready.write_text("working")
    while True:  # until killed
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    raise SystemExit(main())
