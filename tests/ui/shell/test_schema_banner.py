"""Issue 20 point 2: the window runs the cheap schema check when it opens a
file and shows a banner when another tool changed the schema; "Check now"
opens the doctor, whose repair makes the banner go."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from amends.ui.shell.main_window import MainWindow


def _window(qtbot, db) -> MainWindow:
    win = MainWindow(db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.poll.stop()
    win.backup_timer.stop()
    return win


def test_a_healthy_file_shows_no_schema_banner(qtbot, window):
    assert not window.banners.show_schema_drift()
    assert not window.banners.schema.isVisible()


def test_a_dropped_trigger_shows_the_banner_and_check_now_repairs_it(qtbot, demo_db):
    raw = sqlite3.connect(demo_db.path)
    raw.execute("DROP TRIGGER policy_versions_immutable_update")
    raw.execute("DROP INDEX tickets_customer")
    raw.close()
    win = _window(qtbot, demo_db)
    try:
        banner = win.banners.schema
        qtbot.waitUntil(banner.isVisible, timeout=5000)  # after the first paint, by itself
        assert "changed outside Amends" in banner.text()
        assert "trigger policy_versions_immutable_update is missing" in banner.text() and "1 more" in banner.text()
        banner.linkActivated.emit("check")
        dialog = win.files.check_dialog
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
        assert dialog.repair_button.isEnabled()
        assert "policy_versions_immutable_update is missing" in dialog.view.toPlainText()
        dialog.report = None
        dialog.repair_button.click()
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
        assert dialog.report.ok, dialog.report.problems
        qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)
        dialog.close()
    finally:
        win.close()


def test_the_banner_can_be_dismissed(qtbot, demo_db):
    raw = sqlite3.connect(demo_db.path)
    raw.execute("ALTER TABLE tickets ADD COLUMN my_flag TEXT")
    raw.close()
    win = _window(qtbot, demo_db)
    try:
        qtbot.waitUntil(win.banners.schema.isVisible, timeout=5000)
        assert "column tickets.my_flag is not Amends'" in win.banners.schema.text()
        win.banners.schema.linkActivated.emit("dismiss")
        assert not win.banners.schema.isVisible()
    finally:
        win.close()


def test_the_doctor_says_what_repair_leaves_alone(qtbot, window):
    raw = sqlite3.connect(window.db.path)
    raw.execute("ALTER TABLE tickets ADD COLUMN my_flag TEXT")
    raw.execute("DROP INDEX tickets_customer")
    raw.close()
    dialog = window.files.open_check()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    text = dialog.view.toPlainText()
    assert "missing triggers and indexes" in text and "Left as it is" in text
    assert "column tickets.my_flag is not Amends'" in text
    dialog.report = None
    dialog.repair_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    text = dialog.view.toPlainText()
    assert "index tickets_customer restored" in text and "What is left cannot be repaired in place" in text
    assert "Damage to the file itself" not in text, "a changed schema is not damage to the file"
    dialog.close()


def test_a_trigger_dropped_by_another_process_while_open_shows_the_banner(qtbot, window):
    assert not window.banners.schema.isVisible()
    result = subprocess.run([sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                             "c.execute('DROP TRIGGER audit_log_append_only_update'); c.close()",
                             str(window.db.path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    window.check_for_changes()  # the poll's next tick
    assert window.banners.schema.isVisible()
    assert "audit_log_append_only_update is missing" in window.banners.schema.text()


def test_a_repair_from_the_help_menu_clears_the_banner_on_the_next_poll(qtbot, demo_db):
    raw = sqlite3.connect(demo_db.path)
    raw.execute("DROP INDEX tickets_customer")
    raw.close()
    win = _window(qtbot, demo_db)
    try:
        qtbot.waitUntil(win.banners.schema.isVisible, timeout=5000)
        win.act_check.trigger()
        dialog = win.files.check_dialog
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
        dialog.report = None
        dialog.repair_button.click()
        qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
        dialog.close()
        win.check_for_changes()  # the poll's next tick sees the schema changed (by the doctor's own connection)
        assert not win.banners.schema.isVisible()
    finally:
        win.close()
