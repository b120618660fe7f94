"""Fetching from a real IMAP server (Dovecot on loopback)."""

from __future__ import annotations

import pytest
from amends.core import tickets
from amends.core.errors import MailProblem
from amends.core.mail import fetch, outbox

FIRST = b"""From: Ada Okafor <ada@example.com>
Subject: Box arrived crushed
Date: Mon, 05 Jan 2026 10:00:00 +0000
Message-ID: <first@mail.example.com>

The box arrived crushed.
"""
REPLY = b"""From: Ada Okafor <ada@example.com>
Subject: Re: Box arrived crushed
Date: Mon, 05 Jan 2026 12:00:00 +0000
Message-ID: <reply@mail.example.com>
In-Reply-To: <first@mail.example.com>

Any news? The beans are everywhere.
"""
OTHER = b"""From: Bo <bo@example.com>
Subject: Charged twice
Date: Tue, 06 Jan 2026 09:00:00 +0000
Message-ID: <other@mail.example.com>

I was charged twice.
"""


def account(db, server) -> int:
    account_id = outbox.add_account(db, "Support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=2525,
                                    smtp_security="none")
    fetch.set_imap(db, account_id, host="127.0.0.1", port=server.port, security="none", user=server.user)
    return account_id


def test_fetch_makes_tickets_threads_replies_and_is_idempotent(db, imap_server):
    account_id = account(db, imap_server)
    imap_server.append(FIRST)
    imap_server.append(OTHER)
    report = fetch.fetch(db, account_id, imap_server.password)
    assert report.messages == 2 and db.scalar("SELECT count(*) FROM tickets") == 2
    assert fetch.fetch(db, account_id, imap_server.password).messages == 0, "nothing new"
    imap_server.append(REPLY)
    assert fetch.fetch(db, account_id, imap_server.password).messages == 1
    crushed = tickets.get(db, db.scalar("SELECT id FROM tickets WHERE subject = 'Box arrived crushed'"))
    assert [m.body.strip() for m in crushed.messages] == ["The box arrived crushed.",
                                                          "Any news? The beans are everywhere."]
    db.conn.execute("DELETE FROM mail_folders")  # as if the UID was lost: Message-IDs still hold
    assert fetch.fetch(db, account_id, imap_server.password).messages == 0
    assert db.scalar("SELECT count(*) FROM messages") == 3


def test_wrong_password_and_server_down_are_clear_and_change_nothing(db, imap_server):
    account_id = account(db, imap_server)
    imap_server.append(FIRST)
    with pytest.raises(MailProblem, match="nothing was fetched"):
        fetch.fetch(db, account_id, "wrong")
    db.conn.execute("UPDATE mail_accounts SET imap_port = 1")
    with pytest.raises(MailProblem, match="Could not reach"):
        fetch.fetch(db, account_id, imap_server.password)
    assert db.scalar("SELECT count(*) FROM tickets") == 0


def test_the_account_mail_is_fetched_for(db):
    assert fetch.imap_account(db) is None
    account_id = outbox.add_account(db, "Support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=2525,
                                    smtp_security="none")
    assert fetch.imap_account(db) is None, "sending only: nothing to fetch"
    fetch.set_imap(db, account_id, host="imap.example", port=993, user="", every_minutes=10)
    assert fetch.imap_account(db) == fetch.ImapAccount(account_id, "support@shop.example", 10)
