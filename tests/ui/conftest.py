from __future__ import annotations

import pytest
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QCoreApplication, QSettings


@pytest.fixture(autouse=True)
def no_worker_outlives_its_test():
    yield
    from amends.ui.common import ops

    ops.stop_all()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path):
    """Each test has its own QSettings file."""
    QCoreApplication.setOrganizationName("AmendsTests")
    QCoreApplication.setApplicationName("AmendsTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield


@pytest.fixture
def window(qtbot, demo_db):
    win = MainWindow(demo_db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: not win.inbox.ticket_held)  # painted, the selected ticket opened
    win.poll.stop()  # tests call check_for_changes() themselves
    win.backup_timer.stop()  # and make backups themselves
    yield win
    win.close()  # before the database closes (this also waits for its workers)
