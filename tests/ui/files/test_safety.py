"""Check database and backups from the app."""

from __future__ import annotations

from amends.core import backups, tickets


def test_check_database_finds_and_repairs_the_search_index(qtbot, window):
    window.db.conn.execute("DELETE FROM ticket_search WHERE rowid IN (SELECT id FROM tickets LIMIT 3)")
    dialog = window.files.open_check()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert "3 ticket(s) missing" in dialog.view.toPlainText() and dialog.repair_button.isEnabled()
    dialog.report = None
    dialog.repair_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10_000)
    assert dialog.report.ok and "healthy" in dialog.view.toPlainText()
    assert "search index rebuilt" in dialog.view.toPlainText()


def test_daily_backup_then_restore_from_the_app(qtbot, window):
    op = window.files.rolling_backup()
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    listed = backups.list_backups(window.db.path)
    assert [b.reason for b in listed] == ["daily"] and listed[0].tickets == 300
    first = window.inbox.model.ticket_id(0)
    tickets.add_message(window.db, first, "note", "written after the backup")
    dialog = window.files.open_restore()
    assert dialog.model.rowCount() == 1
    restore = dialog.restore(dialog.selected())
    qtbot.waitUntil(lambda: restore.done, timeout=10_000)
    bodies = [m.body for m in tickets.get(window.db, first).messages]
    assert "written after the backup" not in bodies
    assert {b.reason for b in backups.list_backups(window.db.path)} == {"daily", "before-restore"}
    dialog.reject()


def test_a_bug_shows_details_to_copy_and_the_log_path(qtbot):
    from amends.ui.common.messages import crash_box
    from PySide6.QtGui import QGuiApplication

    try:
        raise ZeroDivisionError("a bug in Amends")
    except ZeroDivisionError as error:
        box = crash_box(error)
    qtbot.addWidget(box)
    assert "amends.log" in box.text() and "ZeroDivisionError" in box.detailedText()
    box.findChild(type(box.buttons()[0]), "copyDetails").click()
    assert "a bug in Amends" in QGuiApplication.clipboard().text()


def test_the_app_writes_a_rotating_log(tmp_path, monkeypatch):
    import logging

    from amends import app

    monkeypatch.setenv("AMENDS_HOME", str(tmp_path / "home"))
    path = app.setup_logging()
    logging.getLogger("amends.test").warning("hello log")
    for handler in logging.getLogger("amends").handlers:
        handler.flush()
    assert path is not None and "hello log" in path.read_text()
    for handler in list(logging.getLogger("amends").handlers):
        logging.getLogger("amends").removeHandler(handler)
        handler.close()


def test_how_many_backups_to_keep_is_a_setting(qtbot, window):
    for _ in range(4):
        backups.make(window.db, "import")
    dialog = window.files.open_restore()
    assert dialog.keep.value() == backups.DEFAULT_KEEP
    dialog.keep.setValue(2)
    dialog.keep.editingFinished.emit()
    assert backups.keep_setting(window.db) == 2
    assert dialog.model.rowCount() == 2
    dialog.reject()
