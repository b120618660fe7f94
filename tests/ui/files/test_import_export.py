"""Import and export from the app: the mapping dialog, the worker, the report."""

from __future__ import annotations

import json
from pathlib import Path

from amends.core import tickets
from PySide6.QtCore import QTimer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


def test_csv_import_with_the_mapping_dialog_then_remembered(qtbot, window, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Nr;Betreff;Datum;Notiz\n1;Karton kaputt;2026-02-01;x\n2;Zu spät;2026-02-02;y\n")
    seen = {}

    def map_columns() -> None:
        dialog = window.files.mapping_dialog
        seen["preview_rows"] = dialog.table.rowCount()
        assert not dialog.ok.isEnabled(), "no subject or date yet"
        dialog.combos["Nr"].setCurrentIndex(dialog.combos["Nr"].findData("ref"))
        dialog.combos["Betreff"].setCurrentIndex(dialog.combos["Betreff"].findData("subject"))
        dialog.combos["Datum"].setCurrentIndex(dialog.combos["Datum"].findData("created_at"))
        dialog.ok.click()

    QTimer.singleShot(0, map_columns)
    op = window.files.import_files([path])
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    assert seen["preview_rows"] == 2
    qtbot.waitUntil(lambda: getattr(window.files, "import_report", None) is not None, timeout=5000)
    assert "2 tickets imported" in window.files.import_report.view.toPlainText()
    assert window.db.scalar("SELECT count(*) FROM tickets WHERE ref IN ('1', '2')") == 2
    window.files.import_report.reject()

    def check_remembered() -> None:
        dialog = window.files.mapping_dialog
        seen["remembered"] = dialog.combos["Betreff"].currentData()
        dialog.ok.click()

    QTimer.singleShot(0, check_remembered)
    op = window.files.import_files([path])
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    assert seen["remembered"] == "subject", "the mapping is remembered for these columns"


def test_a_refused_file_then_import_the_valid_records(qtbot, window):
    before = window.db.scalar("SELECT count(*) FROM tickets")
    op = window.files.import_files([FIXTURES / "zendesk-broken.json"])
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    report = window.files.import_report
    text = report.view.toPlainText()
    assert "nothing imported" in text and "exploded" in text
    assert window.db.scalar("SELECT count(*) FROM tickets") == before
    report.skip_button.click()
    qtbot.waitUntil(lambda: window.files._import_op.done, timeout=20_000)
    assert window.db.scalar("SELECT count(*) FROM tickets") == before + 1


def test_export_the_current_view_and_everything(qtbot, window, tmp_path):
    window.inbox.select_view("builtin:Resolved")
    out = tmp_path / "resolved.csv"
    op = window.files.export_to(out, "csv")
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    resolved = window.db.scalar("SELECT count(*) FROM tickets WHERE status = 'resolved'")
    assert window.files.exported == (out, resolved)
    everything = tmp_path / "all.amends.json"
    op = window.files.export_to(everything, "amends")
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    assert len(json.loads(everything.read_text())["tickets"]) == window.db.scalar("SELECT count(*) FROM tickets")
    assert tickets.page(window.db, tickets.InboxQuery(status="all"))[0]


def test_the_app_replaces_a_file_the_person_confirmed_but_never_the_database(qtbot, window, tmp_path):
    """The save dialog asked "replace?": the app passes that on (force), and
    the exchange export goes through the same atomic, database-refusing
    writer as `amends export`."""
    from amends.core import health
    from PySide6.QtWidgets import QMessageBox

    old = tmp_path / "old.csv"
    old.write_text("old\n")
    op = window.files.export_to(old, "csv", force=True)
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    assert old.read_text(encoding="utf-8-sig").startswith("id,") or "subject" in old.read_text(encoding="utf-8-sig")
    before = window.db.path.stat().st_size
    op = window.files.export_to(window.db.path, "amends", force=True)
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    box = window.findChild(QMessageBox, "errorBox")
    assert box is not None and "database" in box.text().lower()
    assert window.db.path.stat().st_size == before and health.check(window.db).ok


def test_a_report_replaces_a_file_the_person_confirmed(qtbot, window, tmp_path):
    from datetime import date

    from amends.core.insights.period import Period

    target = tmp_path / "report.pdf"
    target.write_bytes(b"an older report")
    window.files.write_report(target, Period(date(2026, 1, 1), date(2026, 9, 30)), force=True)
    qtbot.waitUntil(lambda: window.files.report_written == target, timeout=30_000)
    assert target.read_bytes().startswith(b"%PDF")
