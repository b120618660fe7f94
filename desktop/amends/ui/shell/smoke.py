"""The installed app checks itself (``AMENDS_SMOKE_TEST=1``).

A wheel without its resources, or a bundle without Qt's translations or
image plugins, still starts and paints its first page: the icons are drawn
only after that paint (first_paint.py), so a start-up probe that quits at the
first paint cannot see them missing. This check waits until the window has
decorated itself, then looks at what a person would see — the icons, the
app icon, Qt's German "Cancel" — opens every pane once (each is built, and
its modules imported, on first use), prints one line saying so and quits
through the event loop, so the database is closed the normal way. The wheel
test (tests/packaging/) and packaging/build.sh read that line; a crash dialog
instead ends the process with status 70, and anything that waits (a dialog
nobody answers) ends it after TIMEOUT_MS with status 1.
"""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from amends import __version__, paths
from amends.ui.shell.first_paint import after_first_paint

log = logging.getLogger("amends.ui.smoke")

#: Status of a smoke run that hit the crash dialog (EX_SOFTWARE).
CRASHED = 70

#: How long the whole check may take before it counts as hanging.
TIMEOUT_MS = 90_000

_ICONS = ("act_inbox", "act_policies", "act_review", "act_audit", "act_resolve", "act_new")


def crashed(box: QMessageBox) -> None:
    """The crash dialog would wait for a click nobody makes: print it, fail."""
    print(f"smoke: crash dialog: {box.text()}\n{box.detailedText()}", file=sys.stderr, flush=True)
    os._exit(CRASHED)


def german_cancel() -> str:
    """Qt's own translation of "Cancel" into German, as a standard button
    would show it; "" when qtbase_de.qm is not where Qt looks for it."""
    translator = QTranslator()
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(QLocale(QLocale.Language.German), "qtbase", "_", folder):
        return ""
    return translator.translate("QPlatformTheme", "Cancel") or ""


def report(app: QApplication, window) -> tuple[bool, str]:
    """(all well, the line to print) for a decorated main window."""
    drawn = sum(1 for name in _ICONS if not getattr(window, name).icon().pixmap(32, 32).isNull())
    app_icon = not app.windowIcon().pixmap(64, 64).isNull()
    resources = sum(1 for _ in paths.resources_dir().rglob("*.svg"))
    cancel = german_cancel()
    ok = window.isVisible() and drawn == len(_ICONS) and app_icon and cancel == "Abbrechen"
    line = (f"smoke: {'ok' if ok else 'FAILED'} version={__version__} window={'shown' if window.isVisible() else 'hidden'}"
            f" icons={drawn}/{len(_ICONS)} app_icon={'yes' if app_icon else 'no'} svg_resources={resources}"
            f" qt_de_cancel={cancel or '-'} desktop_id={app.desktopFileName() or '-'}"
            f" rows={window.inbox.model.rowCount()}")
    return ok, line


def visit_panes(window) -> int:
    """Open every pane once and come back to the inbox: the panes are built
    (and their modules imported) on first use, so a bundle that left out a
    module they need fails here, not in a person's hands."""
    from amends.ui.shell.panes import PANES

    for index in (*range(1, len(PANES)), 0):
        window.show_pane(index)
        QApplication.processEvents()
    return len(PANES)


def check_after_first_paint(app: QApplication, window) -> None:
    """Once the inbox is painted *and* decorated (the window's own
    after-paint work is queued before ours runs), report and quit."""

    def check() -> None:
        panes = visit_panes(window)
        ok, line = report(app, window)
        line += f" panes={panes}"
        print(line, flush=True)
        log.info("%s", line)
        window.close()
        app.exit(0 if ok else 1)

    def hanging() -> None:  # timers fire inside a modal dialog's event loop too
        print(f"smoke: FAILED: no report within {TIMEOUT_MS // 1000} s (a dialog waiting?)", file=sys.stderr,
              flush=True)
        os._exit(1)

    QTimer.singleShot(TIMEOUT_MS, hanging)
    # The window's first-paint hook queues its decoration with a zero timer
    # when the paint arrives; ours queues one more hop, so it runs after that.
    after_first_paint(window.inbox.table.viewport(), lambda: QTimer.singleShot(0, check))
