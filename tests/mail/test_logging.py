"""A fetch's and a delivery's counts go to the log, and so does why a mail
server could not be used (real Dovecot and aiosmtpd on loopback)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from amends.core import clock, importers, tickets
from amends.core.errors import MailProblem
from amends.core.mail import fetch, outbox

from tests.mail.test_fetch import FIRST, OTHER, account
from tests.mail.test_outbox import Collect, free_port

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"


def messages(caplog, logger: str, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno >= level]


def test_a_fetch_logs_its_counts_and_a_refused_login(db, imap_server, caplog):
    caplog.set_level(logging.INFO, logger="amends.core")
    account_id = account(db, imap_server)
    imap_server.append(FIRST)
    imap_server.append(OTHER)
    fetch.fetch(db, account_id, imap_server.password)
    assert any("2 new messages" in m and "127.0.0.1" in m for m in messages(caplog, "amends.core.mail.fetch"))
    with pytest.raises(MailProblem):
        fetch.fetch(db, account_id, "wrong")
    assert messages(caplog, "amends.core.mail.fetch", logging.WARNING)


def test_a_delivery_logs_what_was_sent_and_what_waits(db, caplog):
    caplog.set_level(logging.INFO, logger="amends.core")
    port = free_port()
    importers.import_file(db, FIXTURES / "first.eml")
    ticket_id = db.scalar("SELECT id FROM tickets")
    account_id = outbox.add_account(db, "Shop support", "support@shop.example", smtp_host="127.0.0.1",
                                    smtp_port=port, smtp_security="none")
    outbox.queue_reply(db, tickets.add_message(db, ticket_id, "out", "A new box is on its way."), account_id)
    start = clock.now() + timedelta(seconds=1)
    outbox.deliver_due(db, now=clock.to_iso(start))  # nobody listens yet
    [warning] = messages(caplog, "amends.core.mail.outbox", logging.WARNING)
    assert "ada@example.com" in warning and "attempt 1" in warning
    server = Controller(Collect(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        outbox.deliver_due(db, now=clock.to_iso(start + timedelta(minutes=2)))
    finally:
        server.stop()
    assert "Outbox: 1 sent, 0 waiting to retry, 0 failed" in messages(caplog, "amends.core.mail.outbox")
