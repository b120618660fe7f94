"""Rules sort mail fetched from a real IMAP server (Dovecot on loopback)."""

from __future__ import annotations

from amends.core import audit, rules, tickets
from amends.core.mail import fetch

from tests.mail.test_fetch import FIRST, OTHER, REPLY, account


def test_fetched_mail_is_sorted_by_the_rules_and_a_reply_keeps_its_category(db, imap_server):
    rules.add(db, rules.Rule("Double charges", '"charged twice"', priority=2, tags=("double-charge",)))
    account_id = account(db, imap_server)
    imap_server.append(FIRST)
    imap_server.append(OTHER)
    fetch.fetch(db, account_id, imap_server.password)
    crushed = tickets.get(db, db.scalar("SELECT id FROM tickets WHERE subject = 'Box arrived crushed'"))
    charged = tickets.get(db, db.scalar("SELECT id FROM tickets WHERE subject = 'Charged twice'"))
    assert crushed.category == "damaged_shipment" and charged.category == "billing"
    assert charged.priority == 2 and db.scalar("SELECT count(*) FROM ticket_tags") == 1
    summaries = {e.change["summary"] for e in audit.for_entity(db, "ticket", charged.id) if e.action == "rule"}
    assert summaries == {"rule 'Billing questions' set category billing",
                         "rule 'Double charges' set priority 2 and tags double-charge"}
    tickets.update(db, crushed.id, crushed.version, category="wrong_item")  # the person knows better
    imap_server.append(REPLY)
    fetch.fetch(db, account_id, imap_server.password)
    again = tickets.get(db, crushed.id)
    assert again.category == "wrong_item" and len(again.messages) == 2, "a reply is not a new ticket: no rule runs"
