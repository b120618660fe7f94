"""Mail from machines is recognised when it is read (RFC 3834): away
replies and surveys never answer auto-replies, bounces or lists."""

from __future__ import annotations

import pytest
from amends.core.importers import mail

BASE = "From: {sender}\nSubject: Hello\nMessage-ID: <m@example.com>\n{extra}\nBody.\n"


@pytest.mark.parametrize(("sender", "extra", "why"), [
    ("ada@example.com", "", None),
    ("ada@example.com", "Auto-Submitted: no\n", None),
    ("ada@example.com", "Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
    ("ada@example.com", "Auto-Submitted: auto-generated\n", "Auto-Submitted: auto-generated"),
    ("ada@example.com", "Precedence: bulk\n", "Precedence: bulk"),
    ("ada@example.com", "Precedence: list\n", "Precedence: list"),
    ("ada@example.com", "List-Unsubscribe: <mailto:u@list.example>\n", "List-Unsubscribe (a mailing list)"),
    ("ada@example.com", "List-Id: <news.list.example>\n", "List-Id (a mailing list)"),
    ("ada@example.com", "X-Autoreply: yes\n", "X-Autoreply"),
    ("ada@example.com", "Return-Path: <>\n", "Return-Path: <> (a delivery report)"),
    ("noreply@shop.example", "", "sender noreply@shop.example"),
    ("MAILER-DAEMON@mx.example", "", "sender MAILER-DAEMON@mx.example"),
    ("noreen@example.com", "", None),
])
def test_mail_from_machines_is_marked_when_read(sender, extra, why):
    parsed = mail.parse_messages([(1, BASE.format(sender=sender, extra=extra).encode())])
    [ticket] = parsed.tickets
    assert ticket.messages[0].automatic == why
