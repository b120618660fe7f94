"""One Amends window on a PostgreSQL server (offscreen) whose LISTEN
connection the test takes away: it reports when it noticed, then whether a
ticket made by another process still appeared, and how.

    python -m tests.e2e.listen_agent URL FOLDER

Files in FOLDER: listening (the listener's backend pid), lost (the reason
shown), result.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from amends.core import tickets
from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from tests.e2e.app_agent import wait_for


def _signal(path: Path, text: str) -> None:
    """Written whole, then renamed: the test never reads half a file."""
    path.with_suffix(".tmp").write_text(text)
    path.with_suffix(".tmp").replace(path)


def main() -> int:
    url, folder = sys.argv[1], Path(sys.argv[2])
    app = QApplication([])
    QCoreApplication.setOrganizationName("AmendsTrial-listen")
    db = open_database(url, "listener@trial", create=False)
    window = MainWindow(db)
    window.show()
    window.inbox.select_view("builtin:All tickets")
    live = window.live
    results: dict = {}
    if not wait_for(app, lambda: live.listening, 30):
        return 3
    _signal(folder / "listening", str(live.listener.backend_pid))
    results["lost_seen"] = wait_for(app, lambda: not live.listening, 30)
    results["poll_ms_when_lost"] = live.poll.interval()
    _signal(folder / "lost", "lost")
    model = window.inbox.model
    found = wait_for(app, lambda: any(model.ticket_id(r) and tickets.row(db, model.ticket_id(r)).subject ==
                                      "Made while nobody listened" for r in range(min(5, model.rowCount()))), 30)
    results["seen"] = found
    results["seen_via"] = live.last_change_via
    (folder / "result.json").write_text(json.dumps(results))
    QTimer.singleShot(0, window.close)
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
