"""Preferences → Mailboxes against a real Dovecot: add a mailbox, Test
connection (IMAP signs in, the SMTP port is closed: said so), Fetch now in a
worker with progress, edit it, find its name in the search completion,
remove it."""

from __future__ import annotations

from amends.core.mail import mailboxes, secrets
from amends.ui.shell.main_window import MainWindow
from amends.ui.shell.preferences_dialog import PreferencesDialog
from PySide6.QtCore import Qt

from tests.mail.test_outbox import free_port

MAIL = b"From: Bo <bo@example.com>\nSubject: Charged twice\nMessage-ID: <ui@x>\n\nI was charged twice.\n"


def test_mailboxes_from_preferences(qtbot, db, imap_server):
    window = MainWindow(db)
    qtbot.addWidget(window)
    prefs = PreferencesDialog(db, False, window)
    qtbot.addWidget(prefs)
    dialog = prefs.open_mailboxes()
    assert dialog.list.count() == 0 and not dialog.test_button.isEnabled()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    editor = dialog.editor
    closed = free_port()
    editor.label.setText("billing")
    editor.name.setText("Shop billing")
    editor.address.setText("billing@shop.example")
    editor.host.setText("127.0.0.1")
    editor.port.setValue(closed)
    editor.security.setCurrentIndex(editor.security.findData("none"))
    editor.user.setText("billing")
    editor.password.setText(imap_server.users["billing"])
    editor.imap_host.setText("127.0.0.1")
    editor.imap_port.setValue(imap_server.port)
    editor.imap_security.setCurrentIndex(editor.imap_security.findData("none"))
    editor.category.setCurrentIndex(editor.category.findData("billing"))
    editor.accept()
    assert dialog.list.count() == 1 and "billing — Shop billing <billing@shop.example>" in dialog.list.item(0).text()
    assert secrets.load("billing") == imap_server.users["billing"]

    op = dialog.test()
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    lines = dialog.result.text().splitlines()
    assert lines[0].startswith("✓ IMAP: signed in to 127.0.0.1")
    assert lines[1].startswith(f"⚠ SMTP: nothing answers on 127.0.0.1:{closed}")

    imap_server.append(MAIL, user="billing")
    seen = []
    op = dialog.fetch_now()
    op.progress.connect(lambda done, total: seen.append((done, total)))
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    assert dialog.result.text() == "billing: 1 new message(s)."
    assert seen == [(1, 1)] and not dialog.progress.isVisible()
    assert db.tuples("SELECT category FROM tickets") == [("billing",)]

    editor = dialog.edit(dialog.current())
    assert editor.label.text() == "billing" and editor.category.currentData() == "billing"
    editor.signature.setPlainText("The billing team")
    editor.accept()
    assert mailboxes.by_label(db, "billing").signature == "The billing team"
    assert "mailbox:billing" in window.inbox._suggestions()

    dialog.remove()
    assert dialog.list.count() == 0 and mailboxes.all_mailboxes(db) == []
    window.close()
