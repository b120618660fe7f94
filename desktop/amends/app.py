"""QApplication bootstrap: logging, the crash dialog, opening the database
(with a clear message and a way out when it cannot be used), the main
window and the first-run offer of demo data."""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

from amends import paths
from amends import settings_schema as schema
from amends.core import identity
from amends.core.errors import AmendsError
from amends.core.store.errors import translate
from amends.core.workspace import open_database
from amends.logfiles import PrivateLogFile

log = logging.getLogger("amends")

#: Set to 1 and the app prints how long it took until the first inbox page
#: was painted, then quits: used by benchmarks/ and the launch smoke test.
STARTUP_PROBE = schema.AMENDS_STARTUP_PROBE.name
_STARTED = time.perf_counter()


def _quit_after_first_paint(app, window) -> None:
    from PySide6.QtCore import QEvent, QObject

    viewport = window.inbox.table.viewport()

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:
            if watched is viewport and event.type() == QEvent.Type.Paint:
                rows = window.inbox.model.rowCount()
                print(f"first_paint_ms={1000 * (time.perf_counter() - _STARTED):.1f} rows={rows}", flush=True)
                viewport.removeEventFilter(self)
                # Measured to the first paint, not through tearing the window
                # down: leave now, as the bare-window baseline does.
                window.db.close()
                os._exit(0)
            return False

    probe = FirstPaint(window)
    viewport.installEventFilter(probe)
    viewport.update()


def setup_logging() -> Path | None:
    """A rotating log in the platform's log folder (0700, files 0600)."""
    from amends.core.store import snapshot

    folder = paths.log_dir()
    try:
        snapshot.private_folder(folder)
        handler = PrivateLogFile(folder / "amends.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("amends")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return folder / "amends.log"


def open_main_window(path: Path | str, actor: str, role: str = "both"):
    """Open the database and build the window on it. Any known problem —
    with the file (missing, not a database, newer, locked, damaged) or found
    while reading the first page — comes out as an AmendsError, with the
    connection closed and the file untouched."""
    from amends.ui.shell.main_window import MainWindow

    db = open_database(path, actor)
    try:
        return MainWindow(db, role=role)
    except AmendsError:
        db.close()
        raise
    except sqlite3.DatabaseError as error:
        db.close()
        raise translate(error, str(path)) from error


def run(db_path: Path | str | None = None) -> int:
    """The app on ``db_path``: a file, or a ``postgresql://`` server address
    (from --db, AMENDS_DB or File → Connect to server…)."""
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from amends.ui.common import appearance, settings, translations
    from amends.ui.shell.main_window import MainWindow, offer_demo_on_first_run

    paths.private_umask()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("Amends")
    app.setApplicationName("Amends")
    app.setDesktopFileName("io.amends.Amends")  # packaging/io.amends.Amends.desktop
    # (the window icon: set right after the first paint, or before the welcome: appearance.set_app_icon)
    setup_logging()
    translations.install(app)  # Qt's own texts in the system's language
    appearance.apply_scheme()

    smoke_test = schema.environment(schema.AMENDS_SMOKE_TEST)

    def crash(kind, value, tb) -> None:  # an unexpected error: say so, never exit silently
        from amends.ui.common.messages import crash_box

        error = value if value is not None else kind()
        error.__traceback__ = tb
        box = crash_box(error)
        if smoke_test:  # headless: nobody would click the dialog away; say it and fail
            from amends.ui.shell import smoke

            smoke.crashed(box)
        box.exec()

    sys.excepthook = crash

    def tr(text: str) -> str:
        return QCoreApplication.translate("App", text)

    from amends.core.store.location import is_server_url

    env_target = schema.environment(schema.AMENDS_DB)
    if db_path is None and is_server_url(env_target):
        db_path = env_target
    path: Path | str = db_path or paths.default_database()
    if is_server_url(path):  # a password in the address goes to the keyring before anything logs it
        from amends.core.store import pg_access

        path = pg_access.take_password(str(path))
    if db_path is None:
        from amends.core.store import snapshot

        snapshot.private_folder(path.parent)
    load_demo = welcomed = False
    first_steps: list[str] = []
    if not identity.is_set() and not schema.environment(schema.AMENDS_STARTUP_PROBE) and not smoke_test:
        from amends.ui.shell.identity_dialog import WelcomeDialog

        appearance.set_app_icon()  # the welcome comes before the main window
        dialog = WelcomeDialog(identity.load(), Path(path) if not is_server_url(path) else paths.default_database())
        if dialog.exec() == WelcomeDialog.DialogCode.Accepted:
            try:
                identity.save(dialog.identity())
            except OSError as error:
                log.warning("could not save the identity: %s", error)
            if not is_server_url(path):  # a server was named: the welcome only sets who you are
                path = dialog.path
            load_demo, welcomed = dialog.demo.isChecked(), True
            first_steps = dialog.next_steps()
    person = identity.load()
    actor = person.display_name
    windows: list[MainWindow] = []

    def open_window(target: Path | str) -> bool:
        while True:
            try:
                window = open_main_window(target, actor, person.role)
            except AmendsError as error:
                log.warning("could not open %s: %s", target, error)
                if schema.environment(schema.AMENDS_STARTUP_PROBE):  # headless: say it and stop, do not wait for a click
                    print(f"amends: {error}", file=sys.stderr)
                    return False
                from PySide6.QtWidgets import QFileDialog, QMessageBox  # (their enums: not made at every start)

                from amends.ui.common import file_dialogs

                box = QMessageBox(QMessageBox.Icon.Warning, "Amends", str(error))
                choose = box.addButton(tr("Choose another file…"), QMessageBox.ButtonRole.AcceptRole)
                box.addButton(QMessageBox.StandardButton.Cancel)
                box.exec()
                if box.clickedButton() is not choose:
                    return False
                picked, _ = file_dialogs.get_save_file_name(None, tr("Open or create an Amends database"),
                                                            str(paths.data_dir()), tr("Amends databases (*.db)"),
                                                            options=QFileDialog.Option.DontConfirmOverwrite)
                if not picked:
                    return False
                target = Path(picked)
                continue
            window.open_requested.connect(functools.partial(switch, window))
            window.connect_requested.connect(functools.partial(switch, window))
            window.show()
            windows.append(window)
            if schema.environment(schema.AMENDS_STARTUP_PROBE):
                _quit_after_first_paint(app, window)
            elif smoke_test:
                from amends.ui.shell import smoke

                smoke.check_after_first_paint(app, window)
            elif welcomed and target == path:  # the welcome asked about demo data already
                settings.put(schema.DEMO_OFFERED, True, db=window.db.path)
                if load_demo:
                    from amends.ui.files.controller import DEMO_TICKETS

                    window.load_demo(DEMO_TICKETS)
                if first_steps:  # "bring your data" from the welcome, once the window is up
                    from amends.ui.shell.identity_dialog import bring_data

                    QTimer.singleShot(0, functools.partial(bring_data, window, first_steps))
            else:
                offer_demo_on_first_run(window)
            return True

    def switch(old: MainWindow, target: Path | str) -> None:
        if open_window(target):
            old.close()
            old.db.close()

    if not open_window(path):
        return 1
    try:
        return app.exec()
    finally:
        # Quit closes the windows but not their connections: closed here, the
        # last one checkpoints, so the .db file alone holds everything.
        for window in windows:
            window.db.close()
