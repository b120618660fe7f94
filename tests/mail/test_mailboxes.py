"""Several mailboxes (issue 12.2): hello@ and billing@ on one real Dovecot,
each with its own address, display name, signature, default category and
assignee. A ticket remembers the mailbox it came in on; its replies go out
from there (checked on a real SMTP server); the inbox filters by mailbox."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from amends.core import query_syntax, tickets
from amends.core.errors import ConflictError, ValidationError
from amends.core.mail import fetch, mailboxes, outbox
from amends.core.mail.mailboxes import Mailbox

from tests.mail.test_outbox import Collect, free_port


def box(label: str, name: str, address: str, **extra) -> Mailbox:
    return Mailbox(0, label, name, address, "127.0.0.1", extra.pop("smtp_port", 2525), "none", None, **extra)


def two_mailboxes(db, server, smtp_port: int = 2525) -> tuple[int, int]:
    hello = mailboxes.add(db, box("hello", "Shop hello", "hello@shop.example", smtp_port=smtp_port,
                                  imap_host="127.0.0.1", imap_port=server.port, imap_security="none",
                                  imap_user="support", signature="Hello team\nshop.example"))
    billing = mailboxes.add(db, box("billing", "Shop billing", "billing@shop.example", smtp_port=smtp_port,
                                    imap_host="127.0.0.1", imap_port=server.port, imap_security="none",
                                    imap_user="billing", signature="Billing team", default_category="billing",
                                    default_assignee="bo"))
    return hello, billing


def mail(n: int, to: str) -> bytes:
    return (f"From: Customer {n} <c{n}@example.com>\nTo: {to}\nSubject: Question {n}\n"
            f"Date: Mon, 05 Jan 2026 10:{n:02d}:00 +0000\nMessage-ID: <q{n}@mail.example.com>\n\n"
            f"Question number {n}.\n").encode()


def test_each_mailbox_fetches_its_own_folder_with_its_defaults(db, imap_server):
    hello, billing = two_mailboxes(db, imap_server)
    imap_server.append(mail(1, "hello@shop.example"), user="support")
    imap_server.append(mail(2, "billing@shop.example"), user="billing")
    imap_server.append(mail(3, "billing@shop.example"), user="billing")
    assert [m.id for m in fetch.imap_mailboxes(db)] == [hello, billing]
    assert fetch.fetch(db, hello, imap_server.users["support"]).messages == 1
    assert fetch.fetch(db, billing, imap_server.users["billing"]).messages == 2
    rows = db.tuples("SELECT subject, mailbox_id, category, assignee FROM tickets ORDER BY subject")
    assert rows == [("Question 1", hello, "other", None), ("Question 2", billing, "billing", "bo"),
                    ("Question 3", billing, "billing", "bo")]
    assert db.tuples("SELECT account_id, last_uid FROM mail_folders ORDER BY account_id") == [(hello, 1),
                                                                                               (billing, 2)]


def test_replies_go_out_from_the_mailbox_the_ticket_came_in_on_signed(db, imap_server):
    port = free_port()
    hello, billing = two_mailboxes(db, imap_server, smtp_port=port)
    imap_server.append(mail(2, "billing@shop.example"), user="billing")
    fetch.fetch(db, billing, imap_server.users["billing"])
    ticket_id = db.scalar("SELECT id FROM tickets")
    reply = tickets.add_message(db, ticket_id, "out", "Your refund is on its way.")
    queued = outbox.queue_reply(db, reply)  # no mailbox named: the ticket's own
    assert db.scalar("SELECT account_id FROM outbox WHERE id = ?", (queued,)) == billing
    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert outbox.deliver_due(db, now="9999-12-31T00:00:00Z").sent == 1
    finally:
        server.stop()
    [envelope] = handler.received
    sent = message_from_bytes(envelope.content, policy=default)
    assert sent["From"] == "Shop billing <billing@shop.example>"
    assert envelope.mail_from == "billing@shop.example"
    assert sent.get_content().replace("\r\n", "\n").rstrip().endswith("Your refund is on its way.\n\n-- \nBilling team")
    # A ticket that came in no mailbox (typed in, imported): the first mailbox.
    other = tickets.create(db, "Phone call", "called", customer_id=db.scalar("SELECT customer_id FROM tickets"))
    queued = outbox.queue_reply(db, tickets.add_message(db, other, "out", "As promised."))
    assert db.scalar("SELECT account_id FROM outbox WHERE id = ?", (queued,)) == hello


def test_the_inbox_filters_by_mailbox_and_completes_its_names(db, imap_server):
    hello, billing = two_mailboxes(db, imap_server)
    imap_server.append(mail(1, "hello@shop.example"), user="support")
    imap_server.append(mail(2, "billing@shop.example"), user="billing")
    fetch.fetch(db, hello, imap_server.users["support"])
    fetch.fetch(db, billing, imap_server.users["billing"])
    tickets.create(db, "Typed in", "no mailbox")

    def subjects(text: str) -> list[str]:
        rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text=text))
        return sorted(r.subject for r in rows)

    assert subjects("mailbox:billing") == ["Question 2"]
    assert subjects("mailbox:HELLO") == ["Question 1"]
    assert subjects("mailbox:billing@shop.example") == ["Question 2"]
    assert subjects("-mailbox:billing") == ["Question 1", "Typed in"]
    with pytest.raises(ValidationError, match=r"no mailbox is called that \(mailboxes: hello, billing\)"):
        subjects("mailbox:bililng")
    offered = query_syntax.suggestions(mailboxes=mailboxes.labels(db))
    assert {"mailbox:", "mailbox:hello", "mailbox:billing"} <= set(offered)


def test_every_wrong_field_is_named_and_nothing_is_saved(db):
    mailboxes.add(db, box("hello", "Shop", "hello@shop.example"))
    with pytest.raises(ValidationError) as caught:
        mailboxes.add(db, box("Hello", "Shop", "not an address", smtp_port=0, default_category="refunds",
                              auth="carrier-pigeon"))
    fields = [field for field, _ in caught.value.problems]
    assert fields == ["label", "from_address", "smtp_port", "default_category", "auth"]
    with pytest.raises(ValidationError, match="label"):
        mailboxes.add(db, box("two words", "Shop", "x@shop.example"))
    assert db.scalar("SELECT count(*) FROM mail_accounts") == 1


def test_edit_is_checked_against_the_version_and_remove_keeps_history(db):
    hello = mailboxes.add(db, box("hello", "Shop", "hello@shop.example"))
    first = mailboxes.get(db, hello)
    mailboxes.update(db, Mailbox(**{**first.__dict__, "signature": "Cheers"}))
    with pytest.raises(ConflictError):
        mailboxes.update(db, Mailbox(**{**first.__dict__, "signature": "Stale"}))
    assert mailboxes.get(db, hello).signature == "Cheers"
    db.conn.execute("INSERT INTO customers (ref, email, name, created_at) VALUES ('c', 'c@example.com', 'C', "
                    "'2026-01-01T00:00:00Z')")
    ticket_id = tickets.create(db, "Hi", "hello", customer_id=db.scalar("SELECT id FROM customers"))
    outbox.queue_reply(db, tickets.add_message(db, ticket_id, "out", "Hello!"))
    with pytest.raises(ValidationError, match="still wait in the outbox"):
        mailboxes.remove(db, hello)
    db.conn.execute("UPDATE outbox SET status = 'sent'")
    mailboxes.remove(db, hello)
    assert mailboxes.all_mailboxes(db) == [] and db.scalar("SELECT count(*) FROM outbox") == 1
    mailboxes.add(db, box("hello", "Shop again", "hello@shop.example"))  # the name is free again
