"""Start-up imports only what the first painted inbox page needs (issue 16).

The app is started as a real process (``python -X importtime -m amends``,
offscreen, with the start-up probe that leaves at the first paint); the
modules it imported are read from the import-time report on stderr. Mail
sign-in (requests, authlib), importers, the Review figures and charts, the
policy editor: none of them is needed before the inbox is painted, and each
cost tens of milliseconds of every start (benchmarks/run.py measures it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

#: Not needed until the person asks for them.
NOT_AT_START = (
    "requests", "authlib", "joserfc", "cryptography",  # OAuth2 sign-in
    "amends.core.mail.oauth", "amends.core.mail.connection", "amends.core.mail.outbox",
    "amends.core.importers",  # File → Import, mail fetch
    "amends.core.insights",  # the Review pane
    "amends.ui.review", "PySide6.QtCharts",
    "amends.ui.policies.policy_editor", "amends.ui.policies.step_editor", "amends.ui.policies.backtest_dialog",
    "email_validator",  # checking addresses typed or imported
    # issue 16, start ≤ 1.5× a bare window: each of these was tens of ms of every start
    "sqlite_utils", "amends.core.health", "amends.core.store.schema_check",  # `amends check`, the doctor
    "amends.ui.ticket",  # the ticket view: built right after the first paint (the ticket opens then)
    "amends.core.store.postgres", "amends.core.store.dialect",  # a server only
    "amends.core.store.pg_connection", "amends.core.store.pg_errors", "amends.core.store.pg_locks",
    "amends.core.store.pg_migrate",  # postgres.py's parts, split out of it
    "amends.core.address_merge", "amends.core.rules",  # seeding a new or upgraded file only
    "webbrowser", "subprocess",  # a mailbox's browser sign-in; macOS's mount table
    # issue 16 (P16START): the window's feature controllers are built on first use or right after the
    # first paint, and their modules imported then (a third of what the window imported)
    "amends.ui.resolve", "amends.core.resolution",  # resolving with the checklist
    "amends.ui.files", "amends.core.backups",  # import, export, report, backups
    "amends.ui.mail",  # mailboxes, fetch, outbox
    "amends.ui.policies", "amends.core.proposals",  # "Propose policy change"
    "amends.ui.inbox.view_dialogs",  # saving and renaming views
    "amends.ui.shell.live", "amends.core.presence",  # other people's changes: polled after the paint
    "amends.ui.shell.tray",  # the tray icon and its counts
    "amends.core.merges", "amends.core.split",  # merging and splitting tickets (their keys build them)
    "amends.core.local_drafts",  # drafts kept while a server is away
    "importlib.resources",  # the resources folder is read beside the package (zipfile: shiboken needs it)
    # issue 16 (START): launching the app is not a command: the headless commands' parser (cli.py,
    # every command's options) is built only for a command; the welcome, file dialogs and a server's
    # address handling only when they are used
    "amends.cli", "amends.cli_usage",
    "amends.ui.shell.identity_dialog", "amends.ui.common.file_dialogs",
    "amends.core.store.pg_access",
    # issue 16 (START2): customers' profiles and subscriptions (opening a ticket, the customer panel)
    "amends.core.customers",
    # issue 16 (START3): the log file's handler came from logging.handlers, which imports socket, pickle and
    # queue (and their C parts) for handlers the app never uses
    "logging.handlers", "socket", "pickle",
)


def _started_modules(tmp_path: Path, db: Path) -> set[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_STARTUP_PROBE": "1",
           "AMENDS_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "amends", "--db", str(db)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0 and "first_paint_ms=" in result.stdout, result.stderr[-3000:]
    return {m.group(1) for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", result.stderr, re.M)}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("start") / "demo.db"
    made = subprocess.run([sys.executable, "-m", "amends", "--db", str(path), "demo", "--tickets", "200"],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    return path


def test_first_paint_imports_nothing_it_does_not_need(tmp_path, small_demo):
    loaded = _started_modules(tmp_path, small_demo)
    assert "amends.ui.inbox.inbox_pane" in loaded, "the report lists the modules (sanity)"
    early = sorted(name for name in NOT_AT_START if any(m == name or m.startswith(name + ".") for m in loaded))
    assert early == [], f"imported before the first paint: {early}"


#: What the ticket view reads a ticket's mail with before the first paint
#: (the sender mailbox, the signature preview, each reply's delivery state).
LIGHT_READS = ("amends.core.mail.mailboxes", "amends.core.signatures", "amends.core.mail.delivery")
#: Sending and signing in: imported when a reply is sent or a mailbox signs in.
NOT_FOR_READING = ("amends.core.mail.oauth", "amends.core.mail.outbox", "amends.core.mail.connection",
                   "http.server", "smtplib", "imaplib", "requests", "authlib")


def test_reading_a_tickets_mail_imports_no_sending_or_sign_in():
    """Reading a mailbox, a signature or a reply's state must not pull in
    the OAuth loopback server (http.server) or the outbox (smtplib): the
    ticket view reads them for the ticket shown at start-up."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import " + ", ".join(LIGHT_READS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = {m.group(1) for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", result.stderr, re.M)}
    assert set(LIGHT_READS) <= loaded, "the report lists the modules (sanity)"
    heavy = sorted(name for name in NOT_FOR_READING if any(m == name or m.startswith(name + ".") for m in loaded))
    assert heavy == [], f"imported to read a ticket's mail: {heavy}"


#: PySide6 makes a class's Python type (and every enum in it) when it is first
#: needed. Asking a view for a viewport Qt created made all of QtWidgets' widget
#: types at once (to find the most derived type of that QWidget*): 70 enums, 13 ms
#: of every start. None of these widgets is on screen at the first paint.
NO_TYPE_AT_START = ("QWizard", "QMdiArea", "QCalendarWidget", "QFontDialog", "QColorDialog", "QFileDialog",
                    "QGraphicsView", "QDockWidget", "QLCDNumber", "QDial", "QSplashScreen",
                    # the dialogs the window opens when asked, the icons drawn after the first paint
                    "QMessageBox", "QInputDialog", "QDateTimeEdit", "QDialogButtonBox", "QPainter")

_TYPES_AT_EXIT = """
import os, sys
leave = os._exit
def _exit(code):  # the probe leaves at the first paint: say which QtWidgets types were made by then
    import PySide6.QtGui as gui, PySide6.QtWidgets as widgets
    made = [name for module in (gui, widgets) for name in vars(module) if name.startswith("Q")]
    print("types=" + ",".join(sorted(made)), flush=True)
    import PySide6.QtCore as core
    print("qt_namespace=" + ("yes" if "Qt" in vars(core) else "no"), flush=True)
    print("app_icon=" + ("no" if gui.QGuiApplication.windowIcon().isNull() else "yes"), flush=True)
    leave(code)
os._exit = _exit
from amends.launch import main
sys.exit(main(["--db", sys.argv[1]]))
"""


def test_first_paint_makes_no_python_types_for_widgets_it_does_not_show(tmp_path, small_demo):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AMENDS_STARTUP_PROBE": "1",
           "AMENDS_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", _TYPES_AT_EXIT, str(small_demo)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0 and "first_paint_ms=" in result.stdout, result.stderr[-3000:]
    made = set(re.search(r"^types=(.*)$", result.stdout, re.M).group(1).split(","))
    assert {"QMainWindow", "QTableView"} <= made, "the report lists the types (sanity)"
    early = sorted(set(NO_TYPE_AT_START) & made)
    assert early == [], f"made before the first paint: {early}"
    # issue 16 (START3): the Qt namespace's Python type holds ~95 enums (~120M instructions, ~13 ms); the
    # bare window never makes it. Anything that hands Python a Qt:: enum makes it: `from PySide6.QtCore
    # import Qt`, a Python model's headerData (its orientation), a Qt.Key for a shortcut. The first paint
    # must not need one (roles are ints, the header's labels come from a C++ model, the rest is set up
    # right after the paint).
    assert "qt_namespace=no" in result.stdout, "the Qt namespace (PySide6.QtCore.Qt and its enums) was made before the first paint"
    # the app's icon (read from its SVG, and rendered for the window on a desktop) is set right after the
    # first paint; the smoke test (tests/packaging) checks that the started app has it
    assert "app_icon=no" in result.stdout, "the app's icon was made before the first paint"
