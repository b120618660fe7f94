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


def shoot(out: Path, only: str | None = None) -> None:
    """Runs inside the child process, with DISPLAY or offscreen set up.
    ``only="delivery"``: just the reply delivery screens (issue 17)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("AMENDS_HOME", tempfile.mkdtemp(prefix="amends-shots-"))
    from amends.core import demo
    from amends.core.workspace import open_database
    from amends.ui.shell.main_window import MainWindow
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QScrollArea

    QCoreApplication.setOrganizationName("AmendsScreenshots")
    app = QApplication(sys.argv[:1])
    db_path = Path(tempfile.mkdtemp()) / "screenshots.db"
    db = open_database(db_path, "Ana Ruiz")
    demo.generate(db, 300 if only else 3000, seed=1)
    window = MainWindow(db)
    window.resize(1500, 900)
    window.show()

    def settle() -> None:
        for _ in range(10):
            app.processEvents()
            time.sleep(0.03)

    settle()
    if only == "delivery":
        out.mkdir(parents=True, exist_ok=True)
        shoot_delivery(window, db, out, settle)
        print("\n".join(str(p) for p in sorted(out.glob("**/*.png"))))
        return
    out.mkdir(parents=True, exist_ok=True)
    if only == "desk":
        shoot_desk(window, db, out, settle)
        print("\n".join(str(p) for p in sorted(out.glob("**/*.png"))))
        return
    if only == "review":
        shoot_review(window, db, out, settle)
        return
    if only == "schema":
        shoot_schema_banner(window, db, out, settle)
        return
    if only == "server":
        shoot_server(window, db, out, settle)
        print("\n".join(str(p) for p in sorted((out / "server").glob("*.png"))))
        return
    window.inbox.table.selectRow(0)
    settle()
    window.grab().save(str(out / "inbox.png"))
    window.inbox.select_view("builtin:Due follow-ups")
    window.inbox.table.selectRow(0)
    settle()
    window.grab().save(str(out / "inbox-due-followups.png"))
    window.inbox.select_view("builtin:Active")
    window.inbox.search.setText("crushed")
    window.inbox.apply_filters()
    settle()
    window.grab().save(str(out / "inbox-search.png"))
    window.inbox.search.clear()
    window.inbox.apply_filters()
    ticket = next(window.inbox.model.ticket_id(r) for r in range(window.inbox.model.rowCount())
                  if window.inbox.model._rows[r].category == "damaged_shipment")
    window.inbox.select_ticket(ticket)
    dialog = window.resolver.resolve_ticket(ticket)
    settle()
    for row in dialog.rows[:2]:
        row.done.setChecked(True)
    dialog.rows[2].reason.setText("customer asked us not to follow up")
    settle()
    dialog.grab().save(str(out / "checklist.png"))
    dialog.reject()
    shoot_triage(window, db, out, settle)
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
    from amends.core import presence, tickets

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
    from amends.ui.files.import_dialogs import ImportReportDialog, MappingDialog

    sample = Path(tempfile.mkdtemp()) / "helpdesk-export.csv"
    sample.write_text("Nr;Betreff;Kunde;Datum;Beschreibung\n1;Karton kaputt;ada@example.com;2026-02-01;Alles nass\n"
                      "2;Falscher Kaffee;bo@example.com;2026-02-02;Entkoffeiniert statt normal\n", encoding="utf-8")
    mapping = MappingDialog(sample, window)
    mapping.show()
    settle()
    mapping.grab().save(str(out / "import-mapping.png"))
    mapping.reject()
    from amends.core import importers

    bad = ROOT / "tests" / "fixtures" / "import" / "zendesk-broken.json"
    report = ImportReportDialog([importers.import_file(db, bad)], window)
    report.show()
    settle()
    report.grab().save(str(out / "import-report.png"))
    report.reject()
    shoot_sizes_and_schemes(window, db, out, settle)
    shoot_review(window, db, out, settle)
    shoot_delivery(window, db, out, settle)
    shoot_schema_banner(window, db, out, settle)
    print("\n".join(str(p) for p in sorted(out.glob("**/*.png"))))


def shoot_schema_banner(window, db, out: Path, settle) -> None:
    """Issue 20: the banner a file changed by another tool gets (a trigger
    dropped, as `sqlite-utils transform` does), light and dark, at 1280x720
    and 1920x1080; repaired afterwards, so later pictures are unaffected."""
    import sqlite3

    from amends.core import health

    sized = out / "sizes"
    sized.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(db.path)
    raw.execute("DROP TRIGGER policy_versions_immutable_update")
    raw.execute("DROP INDEX tickets_customer")
    raw.close()
    window.banners.show_schema_drift()
    for scheme in ("light", "dark"):
        use_dark(scheme == "dark")
        settle()
        window.apply_appearance()
        for width, height in ((1280, 720), (1920, 1080)):
            window.resize(width, height)
            settle()
            window.grab().save(str(sized / f"schema-banner-{width}x{height}-{scheme}.png"))
    use_dark(False)
    health.repair(db)
    window.banners.show_schema_drift()
    window.apply_appearance()
    settle()


def shoot_server(window, db, out: Path, settle) -> None:
    """Issue 19: File → Connect to server… (filled, after "Test connection")
    and the banner of a lost server over the window, light and dark, at
    1280x720 and 1920x1080 (the dialog is its own window: shot alone)."""
    from amends.core.store.postgres import ServerCheck

    folder = out / "server"
    folder.mkdir(parents=True, exist_ok=True)
    dialog = window.connect_to_server()
    dialog.host.setText("db.example.com")
    dialog.user.setText("ada")
    dialog.password.setText("not shown")
    dialog.tls.setCurrentIndex(dialog.tls.findData("verify-full"))
    dialog.ca.setText("/etc/ssl/certs/example-ca.pem")
    dialog.result_label.setText("✓ " + ServerCheck("15.10", True, "ada", 4).describe())
    window.connection._show(False)  # what the store's listener does when the server stops answering
    window.connection.retry.stop()
    window.connection.label.setText(window.connection.label.text().replace(
        str(db.path), "postgresql://ada@db.example.com:5432/amends"))
    for scheme in ("light", "dark"):
        use_dark(scheme == "dark")
        settle()
        window.apply_appearance()
        dialog.adjustSize()
        settle()
        dialog.grab().save(str(folder / f"connect-dialog-{scheme}.png"))
        for width, height in ((1280, 720), (1920, 1080)):
            window.resize(width, height)
            settle()
            window.grab().save(str(folder / f"connection-lost-{width}x{height}-{scheme}.png"))
    use_dark(False)
    dialog.reject()
    window.connection.label.hide()


#: A laptop screen and a large one.
SIZES = {"laptop": (1280, 720), "large": (1920, 1080)}


def use_dark(dark: bool) -> None:
    """The dark palette the app gets from a dark desktop (Fusion), or back to light."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    app.setStyle("Fusion")
    if not dark:
        app.setPalette(app.style().standardPalette())
        return
    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
                         (QPalette.ColorRole.Base, "#17181a"), (QPalette.ColorRole.AlternateBase, "#26282b"),
                         (QPalette.ColorRole.Text, "#e8eaed"), (QPalette.ColorRole.Button, "#2d2f33"),
                         (QPalette.ColorRole.ButtonText, "#e8eaed"), (QPalette.ColorRole.Highlight, "#3b6fd8"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#2d2f33"),
                         (QPalette.ColorRole.ToolTipText, "#e8eaed"), (QPalette.ColorRole.PlaceholderText, "#9aa0a6")):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)


def shoot_sizes_and_schemes(window, db, out: Path, settle) -> None:
    """Every pane at a laptop size and a large one, light and dark (in
    sizes/), plus a ticket with a defect note and a bounce, the mail account
    dialog refusing "none" for a remote host, and the restore banner."""
    from amends.core import backups, importers

    sized = out / "sizes"
    sized.mkdir(parents=True, exist_ok=True)
    mail = Path(tempfile.mkdtemp()) / "odd-mail.eml"
    mail.write_bytes(  # the name as an encoded word, with a right-to-left override in it
        "From: =?utf-8?b?RXZlIOKArmduYUg=?= <eve@example.com>\r\nTo: support@example.com\r\nSubject: My invoice\r\n"
        "Message-ID: <odd-1@example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n"
        "The invoice is attached, it charged me twice.\r\n--b\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename=\"invoice\u202efdp.exe\"\r\n\r\nAAAA\r\n--b--\r\n".encode())
    importers.import_file(db, mail)
    odd = db.scalar("SELECT ticket_id FROM messages WHERE external_id = '<odd-1@example.com>'")
    bounce = ("From: Mail Delivery System <MAILER-DAEMON@example.com>\r\nTo: support@example.com\r\n"
              "Subject: Undelivered Mail Returned to Sender\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n"
              "Message-ID: <bounce-1@example.com>\r\nIn-Reply-To: <odd-1@example.com>\r\nMIME-Version: 1.0\r\n"
              "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\n"
              "Content-Type: text/plain\r\n\r\nYour message could not be delivered: mailbox full.\r\n--r\r\n"
              "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
              "Final-Recipient: rfc822; eve@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n"
              "Diagnostic-Code: smtp; 552 mailbox full\r\n--r--\r\n")
    bounced = Path(tempfile.mkdtemp()) / "bounce.eml"
    bounced.write_bytes(bounce.encode())
    importers.import_file(db, bounced)
    window.refresh()
    settle()

    def ticket_shown() -> None:
        window.show_pane(0)
        window.inbox.show_ids("an odd mail", [odd] if odd else [])
        window.inbox.select_ticket(odd)
        settle()

    for scheme in ("light", "dark"):
        use_dark(scheme == "dark")
        settle()  # the palette reaches the widgets first
        window.apply_appearance()
        for size, (width, height) in SIZES.items():
            window.resize(width, height)
            settle()
            for index, pane in enumerate(("inbox", "policies", "review", "audit")):
                window.show_pane(index)
                settle()
                window.grab().save(str(sized / f"{pane}-{size}-{scheme}.png"))
            if odd:
                ticket_shown()
                window.grab().save(str(sized / f"ticket-defects-{size}-{scheme}.png"))
        dialog = window.open_account()
        dialog.host.setText("localhost")
        dialog.security.setCurrentIndex(dialog.security.findData("none"))
        dialog.host.setText("smtp.example.com")
        dialog.imap_host.setText("127.0.0.1")
        settle()
        dialog.grab().save(str(sized / f"mail-account-{scheme}.png"))
        dialog.reject()
        settle()
    use_dark(False)
    settle()
    window.apply_appearance()
    window.inbox.drill_clear.click()
    backup = backups.make(db, "manual")
    backups.restore(db.path, backup, force=True, actor="Ben Carter")  # as another process would
    window.check_for_changes()
    for scheme in ("light", "dark"):
        use_dark(scheme == "dark")
        settle()  # the palette reaches the widgets first
        window.apply_appearance()
        for size, (width, height) in SIZES.items():
            window.resize(width, height)
            settle()
            window.grab().save(str(sized / f"restored-banner-{size}-{scheme}.png"))
    use_dark(False)
    settle()
    window.apply_appearance()


#: Issue 17's sizes: a 1,280 px laptop and a large screen.
DELIVERY_SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}


def shoot_delivery(window, db, out: Path, settle) -> None:
    """Issue 17 (T17A): the composer with no mailbox and a reply "not sent —
    no mailbox"; then with a mailbox whose server refuses: a failed reply
    with Retry, one held with Undo, one sent later, the signature under the
    composer; the Outbox with a reply's time; light and dark, two sizes."""
    import socket

    from amends.core import importers, signatures
    from amends.core.mail import outbox

    sized = out / "delivery"
    sized.mkdir(parents=True, exist_ok=True)
    first = Path(tempfile.mkdtemp()) / "first.eml"
    first.write_bytes(b"From: Ada Okafor <ada@example.com>\nSubject: Box arrived crushed\n"
                      b"Date: Mon, 30 Nov 2026 09:12:00 +0000\nMessage-ID: <shots-first@example.com>\n\n"
                      b"The box arrived crushed and the beans are everywhere.\n")
    importers.import_file(db, first)
    ticket_id = db.scalar("SELECT ticket_id FROM messages WHERE external_id = '<shots-first@example.com>'")

    def ticket_shown() -> None:
        window.show_pane(0)
        window.inbox.show_ids("the mailed ticket", [ticket_id])
        window.inbox.select_ticket(ticket_id)
        settle()

    def all_sizes(name: str, extra=None) -> None:
        for scheme in ("light", "dark"):
            use_dark(scheme == "dark")
            settle()
            window.apply_appearance()
            for size, (width, height) in DELIVERY_SIZES.items():
                window.resize(width, height)
                ticket_shown()
                if extra is not None:
                    extra()
                    settle()
                window.grab().save(str(sized / f"{name}-{size}-{scheme}.png"))
        use_dark(False)
        settle()
        window.apply_appearance()

    view = window.inbox.ticket_view
    outbox.send_reply(db, ticket_id, "Sorry about the beans! A new box goes out today.")
    window.refresh()
    all_sizes("no-mailbox", lambda: view.composer.setPlainText("Could you send a photo of the label?"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: the server refuses
    outbox.add_account(db, "Shop support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=port,
                       smtp_security="none", signature="{mailbox_name} · {mailbox_address}")
    signatures.set_person(db, "Warmly,\n{agent_name}")
    failed = outbox.send_reply(db, ticket_id, "Here is your tracking number: 1Z999.")
    outbox.deliver_due(db)
    outbox.send_reply(db, ticket_id, "Good morning! Checking in on the new box.",
                      send_at=clock_in(days=1))
    held = outbox.send_reply(db, ticket_id, "PS: the replacement is on us.", hold_seconds=600)
    window.refresh()
    assert failed.outbox_id

    def undo_bar() -> None:
        view.composer_status.held(held.outbox_id, 10)
        view.composer.setPlainText("Anything else I can do?")

    all_sizes("states", undo_bar)
    view.composer_status.release()
    box = window.mail.open_outbox()
    for scheme in ("light", "dark"):
        use_dark(scheme == "dark")
        settle()
        box.resize(980, 360)
        box.reload()
        settle()
        box.grab().save(str(sized / f"outbox-{scheme}.png"))
    box.reject()
    use_dark(False)
    settle()
    window.apply_appearance()


def clock_in(days: int) -> str:
    from datetime import timedelta

    from amends.core import clock

    return clock.to_iso(clock.now() + timedelta(days=days))


def shoot_triage(window, db, out: Path, settle) -> None:
    """Issue 6's screens: tags, snooze, a saved view, the choosers, the
    cheat sheet, the palette, saved replies, preferences, welcome, dark."""
    from amends.core import identity, saved_views, snooze, tags
    from amends.ui.shell.identity_dialog import WelcomeDialog
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    inbox = window.inbox
    ids = [inbox.model.ticket_id(r) for r in range(8)]
    tags.add(db, ids[:3], "VIP")
    tags.add(db, ids[1:4], "fragile")
    tags.add(db, ids[5:7], "influencer")
    snooze.snooze(db, ids[7:8], "3d")
    saved_views.save(db, "Crushed VIPs", "tag:vip crushed", status="all")
    saved_views.save(db, "First-cycle billing", "cycle:1 category:billing")
    inbox.fill_views()
    inbox.refresh()
    inbox.update_counts()
    settle()
    model, selection = inbox.model, inbox.table.selectionModel()
    inbox.table.selectRow(0)
    for row in (1, 2, 3):
        selection.select(model.index(row, 0), QItemSelectionModel.SelectionFlag.Select |
                         QItemSelectionModel.SelectionFlag.Rows)
    settle()
    window.grab().save(str(out / "inbox-tags-selection.png"))
    chooser = window.triage.choose_tag()
    settle()
    chooser.grab().save(str(out / "tag-chooser.png"))
    chooser.reject()
    chooser = window.triage.choose_snooze()
    settle()
    chooser.grab().save(str(out / "snooze-chooser.png"))
    chooser.reject()
    inbox.select_view("builtin:Snoozed")
    inbox.table.selectRow(0)
    settle()
    window.grab().save(str(out / "inbox-snoozed.png"))
    inbox.select_view("builtin:Active")
    settle()
    box = window.show_keys()
    settle()
    box.grab().save(str(out / "keys.png"))
    box.reject()
    palette = window.open_palette()
    palette.query.setText("sno")
    settle()
    palette.grab().save(str(out / "palette.png"))
    palette.reject()
    replies_dialog = window.open_saved_replies()
    settle()
    replies_dialog.grab().save(str(out / "saved-replies.png"))
    replies_dialog.reject()
    inbox.table.selectRow(0)
    settle()
    reply = next(r for r in __import__("amends.core.replies", fromlist=["x"]).all_replies(db) if r.name == "Save offer")
    inbox.ticket_view.insert_reply(reply)
    settle()
    window.grab().save(str(out / "composer-placeholder-warning.png"))
    inbox.ticket_view.composer.clear()
    tags_dialog = window.open_tags()
    settle()
    tags_dialog.grab().save(str(out / "tags.png"))
    tags_dialog.reject()
    from amends.core.workspace import open_database
    from amends.ui.shell.main_window import MainWindow

    empty_db = open_database(Path(tempfile.mkdtemp()) / "empty.db", "Ana Ruiz")
    empty = MainWindow(empty_db)
    empty.resize(1200, 700)
    empty.show()
    settle()
    empty.grab().save(str(out / "inbox-empty.png"))
    empty.close()
    empty_db.close()
    inbox.table.selectRow(0)
    window.compose_note()
    settle()
    window.grab().save(str(out / "composer-note.png"))
    prefs = window.open_preferences()
    settle()
    prefs.grab().save(str(out / "preferences.png"))
    prefs.reject()
    welcome = WelcomeDialog(identity.Identity("Ana Ruiz"), Path(tempfile.mkdtemp()) / "amends.db")
    welcome.show()
    settle()
    welcome.grab().save(str(out / "welcome.png"))
    welcome.reject()
    app = QApplication.instance()
    light = app.palette()
    app.setStyle("Fusion")
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
                         (QPalette.ColorRole.Base, "#17181a"), (QPalette.ColorRole.AlternateBase, "#26282b"),
                         (QPalette.ColorRole.Text, "#e8eaed"), (QPalette.ColorRole.Button, "#2d2f33"),
                         (QPalette.ColorRole.ButtonText, "#e8eaed"), (QPalette.ColorRole.Highlight, "#3b6fd8"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#2d2f33"),
                         (QPalette.ColorRole.ToolTipText, "#e8eaed"), (QPalette.ColorRole.PlaceholderText, "#9aa0a6")):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    window.banners.hint.setText("A hint banner, as the role hint shows it.")
    window.banners.hint.show()
    settle()
    window.apply_appearance()
    settle()
    window.grab().save(str(out / "inbox-dark.png"))
    app.setPalette(light)
    window.banners.hint.hide()
    window.apply_appearance()
    settle()


def shoot_desk(window, db, out: Path, settle) -> None:
    """Issue 17 (T17B), in desk/: the Waiting column and bold-unread inbox, the
    Overdue view, the customer panel folded, Split, reply targets, the
    unsent-reply question, a drill-down; 1280×720 and 1920×1080, light and dark."""
    from amends.core import business_hours
    from PySide6.QtWidgets import QScrollArea

    desk = out / "desk"
    desk.mkdir(parents=True, exist_ok=True)
    business_hours.save(db, business_hours.weekdays("09:00", "17:00", "Europe/Berlin"))
    inbox = window.inbox
    review = window.review
    done: list[bool] = []
    review.computed.connect(lambda: done.append(True))
    for scheme in ("light", "dark"):
        from amends.ui.common import appearance

        appearance.apply_scheme(scheme)
        settle()
        window.apply_appearance()
        for size, (width, height) in SIZES.items():
            name = f"{size}-{scheme}"
            window.resize(width, height)
            window.show_pane(0)
            inbox.select_view("builtin:Active")
            inbox.sort.setCurrentIndex(inbox.sort.findData("updated"))
            inbox.apply_filters()
            inbox.table.selectRow(2)
            settle()
            window.grab().save(str(desk / f"inbox-{name}.png"))
            inbox.select_view("builtin:Overdue")
            inbox.table.selectRow(0)
            settle()
            window.grab().save(str(desk / f"overdue-{name}.png"))
            inbox.ticket_view.customer_panel.set_collapsed(True)
            settle()
            window.grab().save(str(desk / f"customer-folded-{name}.png"))
            inbox.ticket_view.customer_panel.set_collapsed(False)
            ids = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE category = 'product_quality' LIMIT 40")]
            inbox.search.setText("refund")
            inbox.show_ids("Product quality", ids)
            settle()
            window.grab().save(str(desk / f"drill-down-{name}.png"))
            inbox.drill_clear.click()
            settle()
        many = db.scalar("SELECT ticket_id FROM messages GROUP BY ticket_id HAVING count(*) >= 3 LIMIT 1")
        inbox.select_view("builtin:All tickets")
        inbox.select_ticket(many)
        split = window.triage.choose_split()
        settle()
        if split is not None:
            split.grab().save(str(desk / f"split-dialog-{scheme}.png"))
            split.reject()
        prefs = window.open_preferences()
        dialog = prefs.open_targets()
        dialog.always.setChecked(False)
        settle()
        dialog.grab().save(str(desk / f"targets-dialog-{scheme}.png"))
        dialog.reject()
        prefs.reject()
        inbox.select_view("builtin:Active")
        inbox.table.selectRow(0)
        inbox.ticket_view.composer.setPlainText("We can offer 15 % off your next box.")
        window.resolver.resolve_selection()
        settle()
        box = window.resolver.draft_box
        if box is not None:
            box.grab().save(str(desk / f"unsent-reply-{scheme}.png"))
            box.findChild(type(box.buttons()[0]), "discardDraft").click()
            if window.checklist_dialog is not None:
                window.checklist_dialog.reject()
        settle()
        done.clear()
        window.resize(*SIZES["laptop"])
        window.show_pane(2)
        review.compute()
        while not done:
            settle()
        review.targets_summary.parentWidget().setFocus()
        scroll = review.findChild(QScrollArea)
        scroll.ensureWidgetVisible(review.targets_by_person)
        settle()
        window.grab().save(str(desk / f"review-targets-laptop-{scheme}.png"))
        window.show_pane(0)
    from amends.ui.common import appearance

    appearance.apply_scheme("system")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--offscreen", action="store_true", help="render with Qt's offscreen platform")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    # One --only (main had two after a merge: argparse refuses that): delivery and desk are issue 17's
    # screens (T17A, T17B), review the Review pane's charts and the report's pages.
    parser.add_argument("--only", choices=["delivery", "review", "desk", "schema", "server"],
                        help="only these screens (faster); schema: the schema-drift banner; server: File → "
                             "Connect to server… and the connection-lost banner")
    args = parser.parse_args()
    if args.child:
        shoot(args.out, args.only)
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
        only = ["--only", args.only] if args.only else []
        return subprocess.run([sys.executable, __file__, "--child", "--out", str(args.out), *only], env=env).returncode
    finally:
        if xvfb is not None:
            xvfb.terminate()


def shoot_review(window, db, out: Path, settle) -> None:
    """The Review's charts (issue 15): the pane at 1280x720 and 1920x1080,
    light and dark, at its top and scrolled to each chart row (in review/),
    and the quarterly PDF's pages (rendered with QtPdf where PySide6-Addons
    happens to be installed; the app does not need it)."""
    from datetime import date

    from amends.core.insights.period import Period
    from amends.ui.report import write_report
    from PySide6.QtWidgets import QScrollArea

    shots = out / "review"
    shots.mkdir(parents=True, exist_ok=True)
    review = window.review
    done: list[bool] = []
    review.computed.connect(lambda: done.append(True))
    window.show_pane(2)
    while not done:
        settle()
    scroll = review.findChild(QScrollArea)
    for scheme in ("light", "dark"):
        use_dark(scheme == "dark")
        settle()
        window.apply_appearance()
        for width, height in ((1280, 720), (1920, 1080)):
            window.resize(width, height)
            settle()
            for part, widget in (("top", None), ("offers", review.offers_percent_chart),
                                 ("churn", review.churn_chart), ("cost", review.cost_chart)):
                if widget is None:
                    scroll.verticalScrollBar().setValue(0)
                else:
                    scroll.ensureWidgetVisible(widget, 0, 0)
                settle()
                window.grab().save(str(shots / f"review-{part}-{width}x{height}-{scheme}.png"))
    use_dark(False)
    settle()
    window.apply_appearance()
    pdf = write_report(db, Period(date(2026, 1, 1), date(2026, 9, 30)), shots / "report.pdf", force=True)
    try:
        from PySide6.QtCore import QSize
        from PySide6.QtPdf import QPdfDocument
    except ImportError:
        print("no QtPdf (PySide6-Addons) here: look at review/report.pdf itself")
        return
    document = QPdfDocument()
    document.load(str(pdf))
    for page in range(document.pageCount()):
        document.render(page, QSize(1240, 1754)).save(str(shots / f"report-page{page + 1}.png"))


if __name__ == "__main__":
    raise SystemExit(main())
