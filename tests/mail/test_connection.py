"""Test connection (issue 12.2): one verdict per protocol, in plain words,
against real servers (Dovecot, aiosmtpd with sign-in) and real closed ports."""

from __future__ import annotations

import imaplib
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from amends.core.mail import connection
from amends.core.mail.mailboxes import Mailbox

from tests.mail.test_outbox import Collect, free_port

SMTP_USER, SMTP_SECRET = "support", "smtp-secret"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_SECRET.encode()
    return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself


@pytest.fixture
def smtp_server():
    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def mailbox(imap_port: int, smtp_port: int, **changes) -> Mailbox:
    box = Mailbox(1, "hello", "Shop", "hello@shop.example", "127.0.0.1", smtp_port, "none", SMTP_USER,
                  imap_host="127.0.0.1", imap_port=imap_port, imap_security="none", imap_user="support")
    return replace(box, **changes)


def test_both_servers_sign_in(imap_server, smtp_server):
    report = connection.check_mailbox(mailbox(imap_server.port, smtp_server), imap_server.password, SMTP_SECRET)
    assert report.ok, report
    assert report.imap.message == (f"IMAP: signed in to 127.0.0.1:{imap_server.port} as 'support'; "
                                   "the folder 'INBOX' opens.")
    assert report.smtp.ok and "as 'support'" in report.smtp.message


def test_wrong_passwords_are_named_per_protocol(imap_server, smtp_server):
    report = connection.check_mailbox(mailbox(imap_server.port, smtp_server), "wrong", "wrong too")
    assert not report.ok
    assert (report.imap.problem, report.smtp.problem) == ("auth", "auth")
    assert report.imap.message == f"IMAP: 127.0.0.1:{imap_server.port} refused the user name or password for 'support'."
    assert report.smtp.message == f"SMTP: 127.0.0.1:{smtp_server} refused the user name or password for 'support'."
    missing = connection.check_smtp(mailbox(imap_server.port, smtp_server), None)
    assert missing.problem == "auth" and "no password is kept" in missing.message


def test_closed_ports_are_refused_connections():
    closed = free_port()
    report = connection.check_mailbox(mailbox(closed, closed), "x", "y", timeout=5)
    assert (report.imap.problem, report.smtp.problem) == ("refused", "refused")
    assert report.imap.message == (f"IMAP: nothing answers on 127.0.0.1:{closed} (connection refused) - the port "
                                   "is closed or wrong, or the server is not running.")


def test_an_unknown_server_name():
    box = mailbox(993, 465, imap_host="no-such-server.invalid", imap_security="ssl",
                  smtp_host="no-such-server.invalid", smtp_security="ssl")
    report = connection.check_mailbox(box, "x", "y", timeout=5)
    assert (report.imap.problem, report.smtp.problem) == ("host-not-found", "host-not-found")
    assert "the server name 'no-such-server.invalid' was not found" in report.imap.message


def test_tls_on_a_plain_port_is_a_failed_handshake(imap_server, smtp_server):
    box = mailbox(imap_server.port, smtp_server, imap_security="ssl", smtp_security="ssl")
    report = connection.check_mailbox(box, imap_server.password, SMTP_SECRET, timeout=5)
    assert (report.imap.problem, report.smtp.problem) == ("tls", "tls"), report
    assert "the secure (TLS) handshake with 127.0.0.1:" in report.imap.message
    no_starttls = connection.check_smtp(replace(box, smtp_security="starttls"), SMTP_SECRET, timeout=5)
    assert no_starttls.problem == "tls" and "does not offer STARTTLS" in no_starttls.message


def test_the_wrong_protocol_and_a_missing_folder(imap_server, smtp_server):
    wrong = connection.check_imap(mailbox(smtp_server, smtp_server), "x", timeout=5)
    assert wrong.problem == "not-this-protocol" and "is this the IMAP port?" in wrong.message
    folder = connection.check_imap(mailbox(imap_server.port, smtp_server, imap_folder="Nope"), imap_server.password)
    assert folder.problem == "folder" and "no folder 'Nope'" in folder.message


def test_oauth_consent_is_told_apart_from_a_wrong_password():
    refused = imaplib.IMAP4.error("AUTHENTICATE failed: AADSTS65001: The user or administrator has not consented")
    result = connection.explain("imap", "outlook.office365.com", 993, "hello@shop.example", refused)
    assert result.problem == "oauth-consent" and "needs consent first" in result.message
