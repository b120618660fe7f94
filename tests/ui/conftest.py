from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from amends.core import demo
from amends.core.store import Database
from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QWidget

from tests.conftest import ACTOR

DEMO_NOW = datetime(2026, 11, 1, tzinfo=UTC)   # the same demo as tests/conftest.py's demo_db


@pytest.fixture(autouse=True)
def no_keys_held(qtbot) -> None:
    """Every UI test starts with no modifier key held. Qt keeps the modifiers
    of the last key event for the whole process: after an earlier test's
    Ctrl+key, ``selectRow`` toggled instead of selecting (Qt reads the held
    keys to choose), which failed a later test only when xdist ran it after
    such a test in the same worker."""
    widget = QWidget()
    qtbot.addWidget(widget)
    for key in (Qt.Key.Key_Control, Qt.Key.Key_Shift, Qt.Key.Key_Alt, Qt.Key.Key_Meta):
        qtbot.keyRelease(widget, key)


@pytest.fixture(scope="session")
def built_demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 300-ticket demo built once per session and closed (its WAL folded
    in), so that each test starts from a copy: the same data as building it per
    test (same seed, same `now`), at the cost of a file copy instead of a
    schema creation and a demo build (~0.5 s per test, ~200 UI tests)."""
    path = tmp_path_factory.mktemp("ui-demo") / "amends.db"
    database = open_database(path, ACTOR)
    demo.generate(database, 300, seed=7, now=DEMO_NOW)
    database.close()
    return path


@pytest.fixture
def db_path(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Path:
    """tests/conftest.py's db_path, holding a copy of the built demo when the
    test uses demo_db on SQLite (a real file of its own, opened by `db` as usual)."""
    path = tmp_path / "amends.db"
    if backend == "sqlite" and "demo_db" in request.fixturenames:
        shutil.copy(request.getfixturevalue("built_demo_file"), path)
    return path


@pytest.fixture
def demo_db(db: Database, backend: str) -> Database:
    """The demo of tests/conftest.py: on SQLite `db` opened the copy db_path
    made; on PostgreSQL it is built in the fresh database as before."""
    if backend != "sqlite":
        demo.generate(db, 300, seed=7, now=DEMO_NOW)
    return db


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
