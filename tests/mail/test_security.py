""""No encryption" sends the password in clear: core accepts it only for a
server on this machine (127.0.0.0/8, ::1, localhost), for the CLI and the UI
alike, and refuses to connect that way to any other host."""

from __future__ import annotations

import pytest
from amends.core.errors import MailProblem, ValidationError
from amends.core.mail import fetch, outbox
from amends.core.mail.security import InsecureMail, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost."])
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["smtp.example.com", "10.0.0.1", "192.168.1.1", "localhost.evil.example",
                                  "127.0.0.1.nip.io", "0.0.0.0", "", "::ffff:8.8.8.8", "128.0.0.1"])
def test_other_hosts_are_not_loopback(host):
    assert not is_loopback(host)


def test_no_encryption_is_refused_for_a_remote_smtp_or_imap_server(db):
    with pytest.raises(InsecureMail, match="smtp_security") as refused:
        outbox.add_account(db, "Shop", "support@shop.example", smtp_host="smtp.example.com", smtp_port=25,
                           smtp_security="none")
    assert isinstance(refused.value, ValidationError), "the CLI and the UI already show these"
    assert db.scalar("SELECT count(*) FROM mail_accounts") == 0
    account_id = outbox.add_account(db, "Shop", "support@shop.example", smtp_host="localhost", smtp_port=2525,
                                    smtp_security="none")
    with pytest.raises(InsecureMail, match="imap_security"):
        fetch.set_imap(db, account_id, host="imap.example.com", port=143, security="none", user="support")
    assert db.scalar("SELECT imap_host FROM mail_accounts") is None
    fetch.set_imap(db, account_id, host="127.0.0.1", port=143, security="none", user="support")
    fetch.set_imap(db, account_id, host="imap.example.com", port=993, security="ssl", user="support")


def test_an_old_insecure_setting_never_sends_the_password(db):
    """Rows written before the rule (or by another tool) are refused when used."""
    account_id = outbox.add_account(db, "Shop", "support@shop.example", smtp_host="localhost", smtp_port=2525,
                                    smtp_security="none")
    fetch.set_imap(db, account_id, host="127.0.0.1", port=1, security="none", user="support")
    db.conn.execute("UPDATE mail_accounts SET smtp_host = 'smtp.example.com', imap_host = 'imap.example.com'")
    with pytest.raises(MailProblem, match="encryption"):
        fetch.fetch(db, account_id, "secret")
    sender = outbox.account(db, account_id)
    with pytest.raises(InsecureMail):
        outbox.connect(sender, "secret")
