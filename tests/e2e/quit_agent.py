"""The real app (``amends.app.run``, offscreen) on DB: once the window is up
and its background jobs have run, write COUNT tickets through the window's
own connection, then choose File → Quit. Prints the ids it wrote.

    python -m tests.e2e.quit_agent DB COUNT
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("AMENDS_ACTOR", "quitter@trial")

from amends import app as amends_app
from amends.core import tickets
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def main() -> int:
    path, count = Path(sys.argv[1]), int(sys.argv[2])
    qt = QApplication([])

    def window() -> MainWindow | None:
        return next((w for w in qt.topLevelWidgets() if isinstance(w, MainWindow)), None)

    def act() -> None:
        shown = window()
        if shown is None:
            QTimer.singleShot(100, act)
            return
        shown.files.rolling_backup()  # a background job with its own connection, as a day's first start makes
        shown.refresh()  # and the jobs a refresh starts (counts per view)
        QTimer.singleShot(1500, lambda: write_and_quit(shown))

    def write_and_quit(shown: MainWindow) -> None:
        # after the jobs: only the window's own connection has seen these
        for i in range(count):
            print(tickets.create(shown.db, f"Written before quitting {i}", "kept in the .db file"), flush=True)
        shown.act_quit.trigger()

    QTimer.singleShot(300, act)
    return amends_app.run(path)


if __name__ == "__main__":
    raise SystemExit(main())
