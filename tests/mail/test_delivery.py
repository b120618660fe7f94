"""Replies that are really sent (issue 17 points 1, 3, 4): each reply's
delivery state read from the outbox, a refusing SMTP port said in plain
words, no mailbox recorded as "not sent — no mailbox", the hold of undo
send and send later respected by the outbox (also by another process),
and signatures in the mail a real SMTP server (aiosmtpd) receives."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from amends.core import clock, drafts, importers, signatures, tickets
from amends.core.errors import ValidationError
from amends.core.mail import delivery, outbox

from tests.core.test_mail_import import FIXTURES
from tests.mail.test_outbox import Collect, free_port


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def ticket_id(db):
    importers.import_file(db, FIXTURES / "first.eml")
    return db.scalar("SELECT id FROM tickets")


def _mailbox(db, port, **more):
    return outbox.add_account(db, "Shop support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=port,
                              smtp_security="none", **more)


def _at(start, seconds: float) -> str:
    return clock.to_iso(start + timedelta(seconds=seconds))


def test_a_refusing_server_is_a_failed_reply_with_a_plain_reason_and_retry_sends_it(db, ticket_id, port):
    _mailbox(db, port)
    stored = outbox.send_reply(db, ticket_id, "A new box is on its way.")
    assert delivery.for_messages(db, [stored.message_id])[stored.message_id].state == "queued"
    assert delivery.for_tickets(db, [ticket_id]) == {ticket_id: "queued"}
    report = outbox.deliver_due(db)  # nothing listens on the port: refused
    assert report.sent == 0 and report.waiting == 1
    state = delivery.for_messages(db, [stored.message_id])[stored.message_id]
    assert state.state == "failed" and state.retrying
    assert state.reason == f"the mail server refused the connection (127.0.0.1:{port})"
    assert "Errno" not in state.words() and "ConnectionRefusedError" not in state.words()
    assert state.words().startswith("not sent: the mail server refused the connection")
    assert delivery.for_tickets(db, [ticket_id]) == {ticket_id: "failed"}, "the inbox row is marked"

    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert outbox.deliver_due(db).sent == 0, "the next try is a minute away"
        outbox.retry(db, stored.outbox_id)
        assert outbox.deliver_due(db).sent == 1
    finally:
        server.stop()
    state = delivery.for_messages(db, [stored.message_id])[stored.message_id]
    assert state.state == "sent" and state.words().startswith("sent ")
    assert delivery.for_tickets(db, [ticket_id]) == {}
    assert len(handler.received) == 1
    drafts.save(db, ticket_id, "reply", "Half a thought")
    assert delivery.for_tickets(db, [ticket_id], db.actor) == {ticket_id: "draft"}, "my draft, in the list"
    assert delivery.for_tickets(db, [ticket_id], "someone else") == {}


def test_with_no_mailbox_the_reply_is_recorded_not_sent_never_sent(db, ticket_id, port):
    assert not outbox.can_send(db, ticket_id)
    stored = outbox.send_reply(db, ticket_id, "Thanks, looking into it.")
    assert stored.outbox_id is None and stored.not_sent == delivery.NO_MAILBOX == "not sent — no mailbox"
    state = delivery.for_messages(db, [stored.message_id])[stored.message_id]
    assert state.state == "not_sent" and state.words() == "not sent — no mailbox"
    assert delivery.for_tickets(db, [ticket_id]) == {ticket_id: "not_sent"}
    assert db.scalar("SELECT count(*) FROM outbox") == 0
    # Set up a mailbox later: the same reply can be queued, and is no longer "not sent".
    _mailbox(db, port)
    assert outbox.can_send(db, ticket_id)
    outbox.queue_reply(db, stored.message_id)
    assert delivery.for_messages(db, [stored.message_id])[stored.message_id].state == "queued"


def test_undo_send_holds_the_reply_and_takes_it_back(db, ticket_id, port):
    _mailbox(db, port)
    start = clock.now()
    stored = outbox.send_reply(db, ticket_id, "Oops, wrong customer.", hold_seconds=10, now=_at(start, 0))
    assert stored.not_before == _at(start, 10)
    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert outbox.deliver_due(db, now=_at(start, 5), force=True).sent == 0, "held: not even Send now sends it"
        text = outbox.take_back(db, stored.outbox_id, now=_at(start, 6))
        assert text == "Oops, wrong customer."
        assert db.scalar("SELECT count(*) FROM messages WHERE id = ?", (stored.message_id,)) == 0
        assert outbox.deliver_due(db, now=_at(start, 20), force=True).sent == 0
        # A second reply, not taken back: it goes once its hold is over, and then it is too late.
        kept = outbox.send_reply(db, ticket_id, "The right reply.", hold_seconds=10, now=_at(start, 30))
        assert outbox.deliver_due(db, now=_at(start, 39)).sent == 0
        assert outbox.deliver_due(db, now=_at(start, 41)).sent == 1
        with pytest.raises(ValidationError, match="too late"):
            outbox.take_back(db, kept.outbox_id, now=_at(start, 42))
    finally:
        server.stop()
    assert [message_from_bytes(e.content, policy=default).get_content().strip() for e in handler.received] == [
        "The right reply."]


def test_another_process_never_sends_a_held_reply(db, db_path, ticket_id, port):
    _mailbox(db, port)
    stored = outbox.send_reply(db, ticket_id, "Held for ten seconds.", hold_seconds=10)
    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        code = ("import sys; from amends.core.workspace import open_database; from amends.core.mail import outbox;"
                "db = open_database(sys.argv[1], 'worker'); r = outbox.deliver_due(db, force=True); print(r.sent)")
        done = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "0" and handler.received == []
        assert outbox.take_back(db, stored.outbox_id) == "Held for ten seconds."
    finally:
        server.stop()


def test_send_later_is_in_the_outbox_with_its_time_can_move_and_be_cancelled(db, ticket_id, port):
    _mailbox(db, port)
    start = clock.now()
    later = _at(start, 3600)
    stored = outbox.send_reply(db, ticket_id, "Good morning!", send_at=later, now=_at(start, 0))
    [entry] = outbox.entries(db)
    assert entry["not_before"] == later
    state = delivery.for_messages(db, [stored.message_id])[stored.message_id]
    assert state.state == "queued" and state.words(_at(start, 1)) == f"queued — will be sent at {later[:16].replace('T', ' ')} UTC"
    outbox.reschedule(db, stored.outbox_id, _at(start, 7200), now=_at(start, 1))
    assert outbox.entries(db)[0]["not_before"] == _at(start, 7200)
    with pytest.raises(ValidationError, match="not in the future"):
        outbox.reschedule(db, stored.outbox_id, _at(start, -5), now=_at(start, 1))
    with pytest.raises(ValidationError, match="not in the future"):
        outbox.send_reply(db, ticket_id, "x", send_at=_at(start, -5), now=_at(start, 0))
    assert outbox.deliver_due(db, now=_at(start, 3700), force=True).sent == 0
    assert outbox.take_back(db, stored.outbox_id, now=_at(start, 3800)) == "Good morning!"
    assert outbox.entries(db) == []


def test_signatures_of_the_person_and_the_mailbox_with_placeholders_go_under_replies(db, ticket_id, port):
    box = _mailbox(db, port, signature="{mailbox_name} · {mailbox_address}")
    signatures.set_person(db, "Warmly,\n{agent_name}")
    customer = db.one("SELECT c.name, c.email FROM customers c JOIN tickets t ON t.customer_id = c.id")
    shown = signatures.for_reply(db, ticket_id, outbox.account(db, box))
    assert shown == "Warmly,\ntester\nShop support · support@shop.example"
    with pytest.raises(ValidationError, match=r"unknown placeholder \{agent\}"):
        signatures.set_person(db, "{agent}")
    note = tickets.add_message(db, ticket_id, "note", "inside only")
    with pytest.raises(ValidationError, match="only replies"):
        outbox.queue_reply(db, note)
    signatures.set_person(db, "Hi {customer_first_name}, {agent_name}")
    stored = outbox.send_reply(db, ticket_id, "On its way.")
    handler = Collect()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert outbox.deliver_due(db).sent == 1
    finally:
        server.stop()
    body = message_from_bytes(handler.received[0].content, policy=default).get_content()
    first = (customer["name"] or customer["email"]).split()[0].split("@")[0]
    assert body.replace("\r\n", "\n") == f"On its way.\n\n-- \nHi {first}, tester\nShop support · support@shop.example\n"
    assert db.scalar("SELECT body FROM messages WHERE id = ?", (stored.message_id,)) == "On its way."
