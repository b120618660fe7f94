"""The About dialog shows the one version (tests/packaging/test_version.py
checks it against --version, the changelog and the metainfo)."""

from __future__ import annotations

from amends import __version__
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


def test_about_shows_the_package_version(window) -> None:
    seen: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)
    window.about()
    assert seen and f"Amends {__version__}" in seen[0], seen
