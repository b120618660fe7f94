"""Mail from the app: set up the account, a reply goes to the outbox and out
through a real SMTP server on loopback; the Outbox shows what waits."""

from __future__ import annotations

from aiosmtpd.controller import Controller
from amends.core import importers
from amends.core.mail import outbox
from PySide6.QtCore import Qt

from tests.core.test_mail_import import FIXTURES
from tests.mail.test_outbox import Collect, free_port


def test_account_reply_outbox_and_send(qtbot, window):
    from amends import settings_schema
    from amends.ui.common import settings

    settings.put(settings_schema.UNDO_SEND_SECONDS, 0)  # no Undo hold: sent at once (held: tests/ui/ticket)
    port = free_port()
    dialog = window.open_account()
    dialog.address.setText("support@shop.example")
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(port)
    dialog.security.setCurrentIndex(dialog.security.findData("none"))
    dialog.accept()
    assert outbox.account(window.db).smtp_port == port

    importers.import_file(window.db, FIXTURES / "first.eml")
    ticket_id = window.db.scalar("SELECT id FROM tickets WHERE ref = 'mail:<first@mail.example.com>'")
    window.drill_down("the mailed ticket", [ticket_id])
    assert window.inbox.current_ticket_id() == ticket_id
    view = window.inbox.ticket_view
    qtbot.keyClicks(view.composer, "A new box is on its way.")
    qtbot.mouseClick(view.reply_button, Qt.MouseButton.LeftButton)  # the server is not running yet
    qtbot.waitUntil(lambda: window.mail.mail_op is not None and window.mail.mail_op.done, timeout=10_000)
    [waiting] = outbox.entries(window.db)
    assert waiting["status"] == "queued" and waiting["last_error"]
    box = window.mail.open_outbox()
    assert "queued" in box.view.toPlainText() and "ada@example.com" in box.view.toPlainText()

    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        op = box.send_now()
        qtbot.waitUntil(lambda: op.done, timeout=10_000)
    finally:
        server.stop()
    assert len(handler.received) == 1 and outbox.entries(window.db)[0]["status"] == "sent"
    assert "sent" in box.view.toPlainText()
    box.reject()
