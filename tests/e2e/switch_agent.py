"""The real app (``amends.app.run``, offscreen) on the first DB: File → Open
another database, then from that window a third one. After each switch it
prints the files of the windows still shown, then quits.

    python -m tests.e2e.switch_agent FIRST SECOND THIRD
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("AMENDS_ACTOR", "switcher@trial")

from amends import app as amends_app
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def main() -> int:
    first, second, third = (Path(arg) for arg in sys.argv[1:4])
    qt = QApplication([])

    def shown() -> list[MainWindow]:
        return [w for w in qt.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]

    def report() -> list[MainWindow]:
        windows = shown()
        print(" ".join(sorted(w.db.path.name for w in windows)), flush=True)
        return windows

    def start() -> None:
        if not shown():
            QTimer.singleShot(100, start)
            return
        shown()[0].open_requested.emit(second)
        QTimer.singleShot(300, again)

    def again() -> None:
        window = next((w for w in report() if w.db.path == second), None)
        if window is None:
            qt.quit()
            return
        window.open_requested.emit(third)
        QTimer.singleShot(300, finish)

    def finish() -> None:
        report()
        qt.quit()

    QTimer.singleShot(300, start)
    return amends_app.run(first)


if __name__ == "__main__":
    raise SystemExit(main())
