"""Outgoing subjects carry the ticket reference ("[#4711]", configurable),
so a customer's reply threads into its ticket even when their mail program
dropped In-Reply-To and References (issue 12.7) — but only the customer of
that ticket can reply into it that way."""

from __future__ import annotations

import pytest
from amends.core import importers, tickets
from amends.core.errors import ValidationError
from amends.core.mail import outbox, reference

from tests.core.test_mail_import import FIXTURES


def reply_without_headers(tmp_path, subject: str, sender: str = "Ada Okafor <ada@example.com>", name="r.eml"):
    path = tmp_path / name
    path.write_text(f"From: {sender}\nSubject: {subject}\nDate: Tue, 06 Jan 2026 10:00:00 +0000\n"
                    f"Message-ID: <{name}@x>\n\nStill waiting for the new box.\n")
    return path


def queued_subject(db) -> tuple[int, str]:
    importers.import_file(db, FIXTURES / "first.eml")
    ticket_id = db.scalar("SELECT id FROM tickets")
    account_id = outbox.add_account(db, "Shop", "support@shop.example", smtp_host="127.0.0.1", smtp_port=2525,
                                    smtp_security="none")
    reply = tickets.add_message(db, ticket_id, "out", "A new box is on its way.")
    outbox_id = outbox.queue_reply(db, reply, account_id)
    return ticket_id, db.scalar("SELECT subject FROM outbox WHERE id = ?", (outbox_id,))


def test_outgoing_subject_carries_the_ticket_reference(db):
    ticket_id, subject = queued_subject(db)
    assert subject == f"Re: Box arrived crushed [#{ticket_id}]"


def test_a_reply_without_threading_headers_joins_its_ticket_by_the_reference(db, tmp_path):
    ticket_id, subject = queued_subject(db)
    importers.import_file(db, reply_without_headers(tmp_path, f"Re: {subject}"))
    assert db.scalar("SELECT count(*) FROM tickets") == 1
    assert db.scalar("SELECT count(*) FROM messages WHERE ticket_id = ?", (ticket_id,)) == 3


def test_a_stranger_cannot_reply_into_a_ticket_by_its_reference(db, tmp_path):
    _ticket_id, subject = queued_subject(db)
    importers.import_file(db, reply_without_headers(tmp_path, f"Re: {subject}", "Eve <eve@example.com>"))
    assert db.scalar("SELECT count(*) FROM tickets") == 2, "a new ticket, not someone else's"


def test_the_reference_is_configurable_or_off(db, tmp_path):
    reference.set_template(db, "(Case {id})")
    ticket_id, subject = queued_subject(db)
    assert subject == f"Re: Box arrived crushed (Case {ticket_id})"
    importers.import_file(db, reply_without_headers(tmp_path, f"AW: {subject}"))
    assert db.scalar("SELECT count(*) FROM tickets") == 1
    reference.set_template(db, "")
    assert reference.tagged("Re: Hello", 5, reference.template(db)) == "Re: Hello"
    with pytest.raises(ValidationError, match="subject_reference"):
        reference.set_template(db, "[#]")
    assert reference.tagged("Re: Hi [#7]", 7, "[#{id}]") == "Re: Hi [#7]", "not twice"
