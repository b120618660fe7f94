"""The writer checks tickets, messages and subscriptions against what it
loaded once per file and keeps up to date (issue 12.3's speed), and answers
as a query per record did: a message twice in one file is written once, a
ticket made earlier in the same file is found again, and a customer made by
one record and given a subscription by another of the same file is in
their billing cycle."""

from __future__ import annotations

from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, SubscriptionRecord, TicketRecord
from amends.core.importers.writer import write


def _message(external_id: str, at: str = "2026-02-10T10:00:00Z") -> MessageRecord:
    return MessageRecord("in", "Ada", at, f"text of {external_id}", external_id)


def test_a_customer_made_by_one_record_and_subscribed_by_another_is_in_their_cycle(db):
    parsed = Parsed("tickets")
    parsed.customers = [CustomerRecord("file:ada", "ada@example.com", "Ada"),
                        CustomerRecord("shop:7", "Ada@Example.com", "Ada",
                                       SubscriptionRecord("beans", "2026-01-01T00:00:00Z", 30))]
    parsed.tickets = [TicketRecord("t1", "Box crushed", created_at="2026-02-10T10:00:00Z",
                                   updated_at="2026-02-10T10:00:00Z", customer_ref="file:ada",
                                   messages=[_message("<t1@x>")])]
    with db.transaction() as conn:
        write(conn, db.actor, parsed)
    assert db.scalar("SELECT count(*) FROM customers") == 1
    assert db.scalar("SELECT billing_cycle FROM tickets WHERE ref = 't1'") == 2


def test_one_message_in_two_tickets_of_a_file_is_written_once_and_a_repeated_ticket_is_found(db):
    parsed = Parsed("tickets")
    parsed.tickets = [TicketRecord("t1", "First", created_at="2026-02-10T10:00:00Z",
                                   updated_at="2026-02-10T10:00:00Z", messages=[_message("<same@x>")]),
                      TicketRecord("t2", "Second", created_at="2026-02-10T11:00:00Z",
                                   updated_at="2026-02-10T11:00:00Z",
                                   messages=[_message("<same@x>"), _message("<other@x>", "2026-02-10T11:00:00Z")]),
                      TicketRecord("t1", "First", created_at="2026-02-10T10:00:00Z",
                                   updated_at="2026-02-10T12:00:00Z",
                                   messages=[_message("<same@x>"), _message("<late@x>", "2026-02-10T12:00:00Z")])]
    with db.transaction() as conn:
        write(conn, db.actor, parsed)
    rows = db.query("SELECT t.ref, m.external_id FROM messages m JOIN tickets t ON t.id = m.ticket_id ORDER BY m.id")
    assert [tuple(r) for r in rows] == [("t1", "<same@x>"), ("t2", "<other@x>"), ("t1", "<late@x>")]
    assert db.scalar("SELECT count(*) FROM tickets") == 2
