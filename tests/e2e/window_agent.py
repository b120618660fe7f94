"""A real Amends window (its own process, offscreen) driven line by line on
stdin, answering on stdout: the lock-trap trials' "open window".

    python -m tests.e2e.window_agent DB ACTOR

Commands: ``write SUBJECT`` (a ticket through the window's connection;
``ok ID``), ``job`` (a refresh, whose background jobs reopen the file, and
wait for them; ``ok``), ``dialog ACTION`` (trigger File → Open / Import /
Export / Report: ACTION is open, import, export or report; the file dialog
browses the database's folder for a moment and is cancelled; ``ok``),
``count`` (``ok N``), ``quit`` (File → Quit, then the connection is closed
as the app does; ``ok``).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from amends.core import tickets
from amends.core.workspace import open_database
from amends.ui.common import ops
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog


def wait(app: QApplication, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def browse_then_cancel(app: QApplication, folder: str) -> None:
    """Let the open file dialog list ``folder`` (its icons and types are
    gathered in a thread), then cancel it."""
    dialog = next((w for w in app.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()), None)
    if dialog is None:
        QTimer.singleShot(50, lambda: browse_then_cancel(app, folder))
        return
    dialog.setDirectory(folder)
    QTimer.singleShot(1500, dialog.reject)


def main() -> int:
    path, actor = sys.argv[1:3]
    app = QApplication([])
    QCoreApplication.setOrganizationName(f"AmendsTrial-{actor}")
    db = open_database(path, actor, create=False)
    window = MainWindow(db)
    window.show()
    wait(app, 0.5)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    print("ready", flush=True)
    actions = {"open": window.act_open, "import": window.act_import, "export": window.act_export,
               "report": window.act_report}
    while True:
        app.processEvents()
        try:
            line = lines.get(timeout=0.01)
        except queue.Empty:
            continue
        if line is None:
            break
        command, _, rest = line.strip().partition(" ")
        if command == "write":
            print(f"ok {tickets.create(db, rest, 'written by the window')}", flush=True)
        elif command == "job":
            window.refresh()
            wait(app, 0.2)
            while ops._running:
                wait(app, 0.05)
            print("ok", flush=True)
        elif command == "dialog":
            QTimer.singleShot(0, lambda: browse_then_cancel(app, str(db.path.parent)))
            actions[rest].trigger()  # modal: returns once cancelled
            print("ok", flush=True)
        elif command == "count":
            print(f"ok {db.scalar('SELECT count(*) FROM tickets')}", flush=True)
        elif command == "quit":
            window.act_quit.trigger()
            wait(app, 0.2)
            db.close()
            print("ok", flush=True)
            return 0
        else:
            print(f"error unknown command {command!r}", flush=True)
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
