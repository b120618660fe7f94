"""One Amends window in its own process (offscreen), acting out a part of
the two-instances trial and writing what it saw to files.

    python -m tests.e2e.app_agent ROLE DB TICKET FOLDER

ROLE "writer": shows TICKET, starts a reply (presence: replying), creates a
new ticket and changes TICKET's priority through the ticket view.
ROLE "watcher": shows TICKET, waits to see the writer's presence and new
ticket appear by themselves, then saves a category change over the
writer's priority change and reports the conflict dialog.
Files in FOLDER: <role>.ready, <role>.json (results), go.* (signals).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from amends.core import tickets
from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication


def wait_for(app: QApplication, condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return False


def main() -> int:
    role, path, ticket_text, folder_text = sys.argv[1:5]
    ticket_id, folder = int(ticket_text), Path(folder_text)
    app = QApplication([])
    QCoreApplication.setOrganizationName(f"AmendsTrial-{role}")
    db = open_database(path, f"{role}@trial", create=False)
    window = MainWindow(db)
    window.show()
    view = window.inbox.ticket_view
    window.inbox.select_view("builtin:All tickets")
    assert window.inbox.select_ticket(ticket_id)
    results: dict = {}

    def save() -> None:
        (folder / f"{role}.json").write_text(json.dumps(results))

    (folder / f"{role}.ready").write_text("ready")
    if not wait_for(app, lambda: (folder / "writer.ready").exists() and (folder / "watcher.ready").exists(), 30):
        return 2
    if role == "writer":
        view.composer.setPlainText("Typing a reply…")  # presence: replying
        wait_for(app, lambda: (folder / "go.create").exists(), 30)
        results["created_at"] = time.time()
        results["new_ticket"] = tickets.create(db, "Created by the writer instance", "hello")
        save()
        wait_for(app, lambda: (folder / "go.edit").exists(), 30)
        index = view.priority.findData(3)
        view.priority.setCurrentIndex(index)
        view.priority.activated.emit(index)
        results["priority_saved"] = tickets.get(db, ticket_id).priority == 3
        save()
        (folder / "go.conflict").write_text("go")
        wait_for(app, lambda: (folder / "go.quit").exists(), 30)
    else:
        seen_presence = wait_for(app, lambda: "writer@trial is replying" in view.others.text(), 15)
        results["presence"] = view.others.text() if seen_presence else None
        (folder / "go.create").write_text("go")
        model = window.inbox.model
        found = wait_for(app, lambda: any(model.ticket_id(r) and tickets.row(db, model.ticket_id(r)).subject ==
                                          "Created by the writer instance" for r in range(min(5, model.rowCount()))),
                         15)
        results["seen_at"] = time.time() if found else None
        results["seen_via"] = window.live.last_change_via  # "notify" (a server's LISTEN) or "poll"
        results["selection_kept"] = window.inbox.current_ticket_id() == ticket_id
        window.poll.stop()  # from here on: an edit made on a stale copy
        window.live.stop_listening()
        version = view.ticket.version
        (folder / "go.edit").write_text("go")
        wait_for(app, lambda: (folder / "go.conflict").exists(), 30)
        index = view.category.findData("billing")
        view.category.setCurrentIndex(index)
        view.category.activated.emit(index)
        box = getattr(view.editing, "conflict_box", None)  # the fields controller shows it
        results["stale_version"] = version
        results["conflict_shown"] = bool(box is not None and box.isVisible())
        results["conflict_text"] = box.text() if box is not None else ""
        results["category_unchanged"] = tickets.get(db, ticket_id).category != "billing"
        save()
        (folder / "go.quit").write_text("go")
    QTimer.singleShot(0, window.close)
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
