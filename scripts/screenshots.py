"""Screenshots of the main panes, in a real window.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--offscreen]

Runs the app on a fresh demo database inside Xvfb (a virtual X server) so
the pictures show a real xcb window; it installs Debian's xvfb and the xcb
libraries Qt needs when they are missing and it runs as root. With
--offscreen (or when Xvfb cannot be had) it renders with Qt's offscreen
platform instead. The pictures go to screenshots/ (ignored by git).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XCB_PACKAGES = ["xvfb", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1",
                "libxcb-randr0", "libxcb-render-util0", "libxcb-shape0", "libxcb-xinerama0", "libxcb-xkb1",
                "libxkbcommon-x11-0"]


def ensure_xvfb() -> bool:
    if shutil.which("Xvfb"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    print("installing Xvfb and the xcb libraries Qt needs…", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", *XCB_PACKAGES], check=False)
    return result.returncode == 0 and shutil.which("Xvfb") is not None


def start_xvfb() -> tuple[subprocess.Popen, str]:
    display = ":99"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    return proc, display


def shoot(out: Path) -> None:
    """Runs inside the child process, with DISPLAY or offscreen set up."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AMENDS_HOME", tempfile.mkdtemp(prefix="amends-shots-"))
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QScrollArea

    from desktop.core import demo
    from desktop.core.workspace import open_database
    from desktop.ui.main_window import MainWindow

    QCoreApplication.setOrganizationName("AmendsScreenshots")
    app = QApplication(sys.argv[:1])
    db_path = Path(tempfile.mkdtemp()) / "screenshots.db"
    db = open_database(db_path, "Ana Ruiz")
    demo.generate(db, 3000, seed=1)
    window = MainWindow(db)
    window.resize(1500, 900)
    window.show()

    def settle() -> None:
        for _ in range(10):
            app.processEvents()
            time.sleep(0.03)

    settle()
    out.mkdir(parents=True, exist_ok=True)
    window.inbox.table.selectRow(0)
    settle()
    window.grab().save(str(out / "inbox.png"))
    window.inbox.views.setCurrentRow(3)  # due follow-ups
    window.inbox.table.selectRow(0)
    settle()
    window.grab().save(str(out / "inbox-due-followups.png"))
    window.inbox.views.setCurrentRow(0)
    window.inbox.search.setText("crushed")
    window.inbox.apply_filters()
    settle()
    window.grab().save(str(out / "inbox-search.png"))
    window.inbox.search.clear()
    window.inbox.apply_filters()
    ticket = next(window.inbox.model.ticket_id(r) for r in range(window.inbox.model.rowCount())
                  if window.inbox.model._rows[r].category == "damaged_shipment")
    window.inbox.select_ticket(ticket)
    dialog = window.resolve_ticket(ticket)
    settle()
    for row in dialog.rows[:2]:
        row.done.setChecked(True)
    dialog.rows[2].reason.setText("customer asked us not to follow up")
    settle()
    dialog.grab().save(str(out / "checklist.png"))
    dialog.reject()
    window.show_pane(1)
    settle()
    window.grab().save(str(out / "policies.png"))
    review = window.review
    done = []
    review.computed.connect(lambda: done.append(True))
    window.show_pane(2)
    while not done:
        settle()
    settle()
    window.grab().save(str(out / "review.png"))
    review.widget_for_screenshot = review.findChild(QScrollArea)
    content = review.widget_for_screenshot.widget()
    content.grab().save(str(out / "review-full.png"))
    review.recurring.doubleClicked.emit(review.recurring.model().index(0, 0))
    settle()
    window.grab().save(str(out / "inbox-drill-down.png"))
    # someone else on the same file: presence and the audit trail
    from desktop.core import presence, tickets

    other = db.reopen()
    other.actor = "Ben Carter"
    current = window.inbox.current_ticket_id()
    presence.beat(other, "ben-laptop", current, "replying")
    tickets.update(other, current, tickets.get(other, current).version, priority=3)
    window.check_for_changes()
    window.inbox.ticket_view.tabs.setCurrentIndex(1)
    settle()
    window.grab().save(str(out / "inbox-presence-history.png"))
    window.inbox.ticket_view.tabs.setCurrentIndex(0)
    window.show_pane(3)
    settle()
    window.grab().save(str(out / "audit.png"))
    # importing: the column mapping and the report
    from desktop.ui.import_dialogs import ImportReportDialog, MappingDialog

    sample = Path(tempfile.mkdtemp()) / "helpdesk-export.csv"
    sample.write_text("Nr;Betreff;Kunde;Datum;Beschreibung\n1;Karton kaputt;ada@example.com;2026-02-01;Alles nass\n"
                      "2;Falscher Kaffee;bo@example.com;2026-02-02;Entkoffeiniert statt normal\n", encoding="utf-8")
    mapping = MappingDialog(sample, window)
    mapping.show()
    settle()
    mapping.grab().save(str(out / "import-mapping.png"))
    mapping.reject()
    from desktop.core import importers

    bad = ROOT / "tests" / "fixtures" / "import" / "zendesk-broken.json"
    report = ImportReportDialog([importers.import_file(db, bad)], window)
    report.show()
    settle()
    report.grab().save(str(out / "import-report.png"))
    report.reject()
    print("\n".join(str(p) for p in sorted(out.glob("*.png"))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--offscreen", action="store_true", help="render with Qt's offscreen platform")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        shoot(args.out)
        return 0
    env = dict(os.environ)
    xvfb = None
    if not args.offscreen and ensure_xvfb():
        xvfb, display = start_xvfb()
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    else:
        print("using Qt's offscreen platform (no Xvfb)")
        env["QT_QPA_PLATFORM"] = "offscreen"
    try:
        return subprocess.run([sys.executable, __file__, "--child", "--out", str(args.out)], env=env).returncode
    finally:
        if xvfb is not None:
            xvfb.terminate()


if __name__ == "__main__":
    raise SystemExit(main())
