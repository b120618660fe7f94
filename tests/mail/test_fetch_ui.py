"""Fetching mail from the app (F9) against a real IMAP server."""

from __future__ import annotations

from amends.core.mail import secrets
from amends.ui.shell.main_window import MainWindow

from tests.mail.test_fetch import FIRST, REPLY


def _window_with_account(qtbot, db, imap_server) -> MainWindow:
    """The window, with the test server's mailbox added the way a person does
    it: Preferences → Mailboxes, the form filled in, OK."""
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    dialog = window.open_account()
    dialog.address.setText("support@shop.example")
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(2525)
    dialog.security.setCurrentIndex(dialog.security.findData("none"))
    dialog.user.setText(imap_server.user)
    dialog.password.setText(imap_server.password)
    dialog.imap_host.setText("127.0.0.1")
    dialog.imap_port.setValue(imap_server.port)
    dialog.imap_security.setCurrentIndex(dialog.imap_security.findData("none"))
    dialog.accept()
    return window

def test_fetch_from_the_app(qtbot, db, imap_server):
    window = _window_with_account(qtbot, db, imap_server)
    assert secrets.load(imap_server.user) == imap_server.password
    assert "imap-secret" not in "\n".join(db.conn.iterdump())
    imap_server.append(FIRST)
    imap_server.append(REPLY)
    window.act_fetch.trigger()
    qtbot.waitUntil(lambda: window._fetch_op.done, timeout=20_000)
    assert db.scalar("SELECT count(*) FROM tickets") == 1 and db.scalar("SELECT count(*) FROM messages") == 2
    assert "Fetched 2 new message(s)" in window.statusBar().currentMessage()
    assert window.inbox.model.rowCount() == 1
    window.close()


def test_new_mail_on_an_idle_server_comes_in_without_waiting_for_the_next_fetch(qtbot, db, imap_server):
    """Issue 12.3: IDLE where the server offers it. After a fetch the app
    keeps a watch on the folder: the server says when mail arrives and it
    is fetched then, not at the next scheduled fetch (every N minutes)."""
    window = _window_with_account(qtbot, db, imap_server)
    imap_server.append(FIRST)
    window.act_fetch.trigger()
    qtbot.waitUntil(lambda: window._fetch_op.done and db.scalar("SELECT count(*) FROM messages") == 1,
                    timeout=20_000)
    first_fetch = window._fetch_op
    imap_server.append(REPLY)
    qtbot.waitUntil(lambda: db.scalar("SELECT count(*) FROM messages") == 2, timeout=15_000)
    assert window._fetch_op is not first_fetch, "fetched by the watch, not by a minute's chores"
    assert window.mail_timer.remainingTime() > 0, "the minute's chores had not come yet"
    window.close()
    assert not window.mail.watches and window.mail.watch_pool.activeThreadCount() == 0, "no watch outlives it"
