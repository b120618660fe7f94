"""Replies go out through a real SMTP server on loopback (aiosmtpd): queued
while the server is away, sent when it is back, threaded with the
customer's mail."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from amends.core import clock, importers, tickets
from amends.core.errors import ValidationError
from amends.core.mail import outbox, secrets

from tests.core.test_mail_import import FIXTURES


class Collect:
    def __init__(self) -> None:
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def port():
    return free_port()


def test_reply_waits_while_the_server_is_down_then_is_sent_threaded(db, port):
    importers.import_file(db, FIXTURES / "first.eml")
    ticket_id = db.scalar("SELECT id FROM tickets")
    account_id = outbox.add_account(db, "Shop support", "support@shop.example", smtp_host="127.0.0.1",
                                    smtp_port=port, smtp_security="none")
    reply = tickets.add_message(db, ticket_id, "out", "So sorry! A new box is on its way.")
    queued = outbox.queue_reply(db, reply, account_id)
    start = clock.now() + timedelta(seconds=1)
    at = lambda seconds: clock.to_iso(start + timedelta(seconds=seconds))  # noqa: E731
    first = outbox.deliver_due(db, now=at(0))
    assert (first.sent, first.waiting) == (0, 1) and first.error
    entry = outbox.entries(db)[0]
    assert entry["id"] == queued and entry["status"] == "queued" and entry["attempts"] == 1
    assert entry["last_error"] and entry["next_attempt_at"] == at(60)
    assert outbox.deliver_due(db, now=at(30)).sent == 0, "not due yet"

    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        sent = outbox.deliver_due(db, now=at(120))
    finally:
        server.stop()
    assert sent.sent == 1 and outbox.entries(db)[0]["status"] == "sent"
    [envelope] = handler.received
    assert envelope.rcpt_tos == ["ada@example.com"]
    mail = message_from_bytes(envelope.content, policy=default)
    assert mail["In-Reply-To"] == "<first@mail.example.com>"
    assert "<first@mail.example.com>" in mail["References"]
    assert mail["Subject"] == f"Re: Box arrived crushed [#{ticket_id}]", "with the ticket reference (issue 12.7)"
    assert "A new box is on its way." in mail.get_content()
    stored = db.scalar("SELECT external_id FROM messages WHERE id = ?", (reply,))
    assert stored == mail["Message-ID"], "the customer's answer to it will thread into the ticket"


def test_only_replies_to_customers_with_an_address_are_queued(db):
    account_id = outbox.add_account(db, "Shop", "support@shop.example", smtp_host="127.0.0.1", smtp_port=2525,
                                    smtp_security="none")
    ticket_id = tickets.create(db, "Phone call", "no email")
    note = tickets.add_message(db, ticket_id, "note", "inside")
    with pytest.raises(ValidationError, match="only replies"):
        outbox.queue_reply(db, note, account_id)
    reply = tickets.add_message(db, ticket_id, "out", "hello")
    with pytest.raises(ValidationError, match="no email address"):
        outbox.queue_reply(db, reply, account_id)
    with pytest.raises(ValidationError, match="email address"):
        outbox.add_account(db, "Bad", "nobody", smtp_host="x", smtp_port=25)


def test_passwords_never_go_into_the_database(db):
    where = secrets.store("support@shop.example", "s3cret-pass")
    assert where in ("keyring", "session")
    assert secrets.load("support@shop.example") == "s3cret-pass"
    dump = "\n".join(db.conn.iterdump())
    assert "s3cret-pass" not in dump
