"""Replies that are really sent, in the window (issue 17 points 1, 3, 4): the
composer says "no mailbox" before sending, a reply's bubble says queued /
sent / failed (plain words, Retry) / not sent, Undo takes a held reply
back, Send later waits in the outbox, the signature shows before sending.
Real SMTP: a refusing loopback port, then aiosmtpd."""

from __future__ import annotations

from aiosmtpd.controller import Controller
from amends import settings_schema
from amends.core import importers, signatures
from amends.core.mail import delivery, outbox
from amends.ui.common import settings
from PySide6.QtCore import Qt, QUrl

from tests.core.test_mail_import import FIXTURES
from tests.mail.test_outbox import Collect, free_port


def _mailed_ticket(window) -> int:
    importers.import_file(window.db, FIXTURES / "first.eml")
    ticket_id = window.db.scalar("SELECT id FROM tickets WHERE ref = 'mail:<first@mail.example.com>'")
    window.drill_down("the mailed ticket", [ticket_id])
    assert window.inbox.current_ticket_id() == ticket_id
    return ticket_id


def _reply(qtbot, view, text: str) -> None:
    qtbot.keyClicks(view.composer, text)
    qtbot.mouseClick(view.reply_button, Qt.MouseButton.LeftButton)


def test_with_no_mailbox_the_composer_says_so_and_the_reply_is_not_sent(qtbot, window):
    ticket_id = _mailed_ticket(window)
    view = window.inbox.ticket_view
    assert view.composer_status.banner.isVisible(), "said BEFORE sending"
    assert "NOT mailed" in view.composer_status.banner_text.text()
    _reply(qtbot, view, "We are on it.")
    assert "not sent — no mailbox" in view.conversation.toPlainText()
    assert "✓" not in view.conversation.toPlainText(), "never a bare 'sent'"
    assert "Set up a mailbox" in view.conversation.toHtml()
    model = window.inbox.model
    assert model.data(model.index(model.row_of(ticket_id), model.column_of("now"))) == "reply not sent", "in the list"
    assert delivery.for_tickets(window.db, [ticket_id]) == {ticket_id: "not_sent"}
    qtbot.mouseClick(view.composer_status.setup_button, Qt.MouseButton.LeftButton)
    assert window.mail.mailboxes_dialog is not None and window.mail.mailboxes_dialog.isVisible()
    outbox.add_account(window.db, "Shop support", "support@shop.example", smtp_host="127.0.0.1",
                       smtp_port=free_port(), smtp_security="none")
    window.mail.mailboxes_dialog.reject()
    qtbot.waitUntil(lambda: not view.composer_status.banner.isVisible(), timeout=5_000)


def test_undo_takes_a_held_reply_back_and_a_refusing_server_shows_failed_with_retry(qtbot, window):
    port = free_port()
    outbox.add_account(window.db, "Shop support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=port,
                       smtp_security="none")
    ticket_id = _mailed_ticket(window)
    view = window.inbox.ticket_view
    assert not view.composer_status.banner.isVisible()
    _reply(qtbot, view, "Wrong text.")
    assert view.composer_status.undo_bar.isVisible() and view.composer_status.held_id is not None
    assert "goes out in 10 s" in view.composer_status.undo_text.text()
    assert "queued — will be sent at" in view.conversation.toPlainText()
    qtbot.mouseClick(view.composer_status.undo_button, Qt.MouseButton.LeftButton)
    assert view.composer.toPlainText() == "Wrong text."
    assert not view.composer_status.undo_bar.isVisible()
    assert "Wrong text." not in view.conversation.toPlainText() and outbox.entries(window.db) == []

    settings.put(settings_schema.UNDO_SEND_SECONDS, 0)
    view.composer.clear()
    _reply(qtbot, view, "The right text.")  # nothing listens on the port
    qtbot.waitUntil(lambda: window.mail.mail_op is not None and window.mail.mail_op.done, timeout=10_000)
    qtbot.waitUntil(lambda: "refused the connection" in view.conversation.toPlainText(), timeout=5_000)
    shown = view.conversation.toPlainText()
    assert f"not sent: the mail server refused the connection (127.0.0.1:{port})" in shown
    assert "Errno" not in shown and "ConnectionRefusedError" not in shown
    assert delivery.for_tickets(window.db, [ticket_id]) == {ticket_id: "failed"}
    model = window.inbox.model
    qtbot.waitUntil(lambda: model.data(model.index(model.row_of(ticket_id), model.column_of("now"))) == "reply failed",
                    timeout=5_000)
    [entry] = outbox.entries(window.db)
    assert f"amends-retry:{entry['id']}" in view.conversation.toHtml()

    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        view.composing.delivery_link(QUrl(f"amends-retry:{entry['id']}"))
        qtbot.waitUntil(lambda: window.mail.mail_op is not None and window.mail.mail_op.done
                        and outbox.entries(window.db)[0]["status"] == "sent", timeout=10_000)
    finally:
        server.stop()
    qtbot.waitUntil(lambda: "✓ sent" in view.conversation.toPlainText(), timeout=5_000)
    assert len(handler.received) == 1


def test_send_later_waits_in_the_outbox_and_can_be_cancelled(qtbot, window):
    outbox.add_account(window.db, "Shop support", "support@shop.example", smtp_host="127.0.0.1",
                       smtp_port=free_port(), smtp_security="none")
    _mailed_ticket(window)
    view = window.inbox.ticket_view
    qtbot.keyClicks(view.composer, "Good morning!")
    menu = view.choose_later()
    [in_an_hour] = [a for a in menu.actions() if a.text() == "In 1 hour"]
    in_an_hour.trigger()
    menu.close()
    [entry] = outbox.entries(window.db)
    assert entry["not_before"] and entry["status"] == "queued"
    assert view.composer.toPlainText() == "" and not view.composer_status.undo_bar.isVisible()
    assert f"queued — will be sent at {entry['not_before'][:16].replace('T', ' ')} UTC" in view.conversation.toPlainText()
    view.composing.delivery_link(QUrl(f"amends-cancel-send:{entry['id']}"))
    assert outbox.entries(window.db) == [] and view.composer.toPlainText() == "Good morning!"


def test_the_signature_shows_before_sending_and_only_for_replies(qtbot, window):
    box = outbox.add_account(window.db, "Shop support", "support@shop.example", smtp_host="127.0.0.1",
                             smtp_port=free_port(), smtp_security="none", signature="{mailbox_name}")
    signatures.set_person(window.db, "{agent_name}")
    assert box
    _mailed_ticket(window)
    view = window.inbox.ticket_view
    assert view.composer_status.signature.isVisible()
    assert view.composer_status.signature.text() == "Signed: tester / Shop support"
    view.compose("note")
    assert not view.composer_status.signature.isVisible(), "notes are not signed"
    view.compose("out")
    assert view.composer_status.signature.isVisible()
    assert not view.has_unsent_draft()
    qtbot.keyClicks(view.composer, "Draft")
    assert view.has_unsent_draft()
    view.save_draft()
    model = window.inbox.model
    model.reload()
    ticket_id = view.ticket.id
    assert model.data(model.index(model.row_of(ticket_id), model.column_of("now"))) == "reply draft"


def test_preferences_edit_my_signature_and_a_mailbox_its_away_reply(qtbot, window):
    from amends.core import away

    dialog = window.open_preferences()
    dialog.signature.setPlainText("Cheers, {agnt_name}")
    dialog.accept()
    assert "unknown placeholder {agnt_name}" in dialog.problem.text(), "refused, saying which"
    assert signatures.person(window.db) == ""
    dialog.signature.setPlainText("Cheers, {agent_name}")
    dialog.accept()
    assert signatures.person(window.db) == "Cheers, {agent_name}"

    box = outbox.add_account(window.db, "Shop support", "support@shop.example", smtp_host="127.0.0.1",
                             smtp_port=free_port(), smtp_security="none")
    mailboxes = window.open_mailboxes()
    editor = mailboxes.edit(outbox.account(window.db, box))
    editor.away_mode.setCurrentIndex(editor.away_mode.findData("hours"))
    editor.away_text.setPlainText("Back Monday. {mailbox_name}")
    editor.accept()
    assert away.get(window.db, box) == away.Away(box, "hours", "Back Monday. {mailbox_name}")
    mailboxes.reject()


def test_the_outbox_shows_a_later_reply_with_its_time_and_cancels_it_into_the_draft(qtbot, window):
    from amends.core import drafts

    outbox.add_account(window.db, "Shop support", "support@shop.example", smtp_host="127.0.0.1",
                       smtp_port=free_port(), smtp_security="none")
    ticket_id = _mailed_ticket(window)
    later = "2099-01-04T09:00:00Z"
    stored = outbox.send_reply(window.db, ticket_id, "See you Monday.", send_at=later)
    box = window.mail.open_outbox()
    assert "sends at 2099-01-04 09:00 UTC" in box.view.toPlainText()
    op = box.send_now()
    qtbot.waitUntil(lambda: op.done, timeout=10_000)
    assert outbox.entries(window.db)[0]["attempts"] == 0, "Send now never sends a reply held for later"
    dialog = box.change_time(stored.outbox_id)
    dialog.when.setDateTime(dialog.when.dateTime().addDays(1))
    dialog.accept()
    assert outbox.entries(window.db)[0]["not_before"] != later
    box.cancel(stored.outbox_id)
    assert outbox.entries(window.db) == [] and drafts.load(window.db, ticket_id, "reply") == "See you Monday."
    box.reject()
