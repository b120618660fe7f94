"""Surveys that are sent and away replies (issue 17 points 5 and 7), with a
real SMTP server (aiosmtpd) taking the mail and a real IMAP server
(Dovecot) handing the customer's answer back to a fetch."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from amends.core import away, business_hours, edits, insights, policies, resolution, surveys, tickets
from amends.core.business_hours import BusinessHours
from amends.core.errors import ValidationError
from amends.core.insights.period import Period
from amends.core.mail import fetch, outbox
from amends.core.policies import Step
from amends.core.resolution import Offer, StepOutcome

from tests.mail.test_outbox import Collect, free_port

FIRST = b"""From: Ada Okafor <ada@example.com>
Subject: Box arrived crushed
Date: Mon, 05 Jan 2026 10:00:00 +0000
Message-ID: <first@mail.example.com>

The box arrived crushed.
"""


def _answer(subject: str, in_reply_to: str, body: str, message_id: str = "<answer@mail.example.com>",
            extra: str = "") -> bytes:
    return (f"From: Ada Okafor <ada@example.com>\nSubject: Re: {subject}\nDate: Tue, 06 Jan 2026 10:00:00 +0000\n"
            f"Message-ID: {message_id}\nIn-Reply-To: {in_reply_to}\n{extra}\n{body}\n").encode()


@pytest.fixture
def smtp():
    handler = Collect()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    yield port, handler
    server.stop()


def _mailbox(db, imap_server, smtp_port) -> int:
    box = outbox.add_account(db, "Shop support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=smtp_port,
                             smtp_security="none")
    fetch.set_imap(db, box, host="127.0.0.1", port=imap_server.port, security="none", user=imap_server.user)
    return box


def _with_survey_step(db, ticket_id: int) -> policies.PolicyVersion:
    edits.set_field(db, [ticket_id], "category", "damaged_shipment")
    version = resolution.checklist_for(db, ticket_id).policy
    damaged = policies.get(db, version.policy_id)
    policies.save_draft(db, damaged.id, damaged.version, name=damaged.name, category=damaged.category,
                        segment="any", steps=[*damaged.draft, Step("survey")])
    return policies.publish(db, damaged.id, "send a survey")


@pytest.mark.parametrize(("text", "score"), [
    ("5", 5), ("4/5", 4), ("  3 stars", 3), ("Great!", 5), ("good, thanks", 4), ("ok", 3), ("Bad.", 2),
    ("terrible", 1), ("\n\n2\n> 1 (terrible) to 5 (great)", 2),
    ("6", None), ("10", None), ("1.5", None), ("> 5", None), ("Not great, the box was late", None), ("", None),
    ("On Mon, 5 Jan 2026 Shop wrote:\n> 5", None), ("12345", None),
])
def test_an_answer_is_a_number_from_1_to_5_or_a_word_on_its_first_line(text, score):
    assert surveys.parse_answer(text) == score


def test_the_survey_step_sends_a_mail_and_the_reply_is_recorded_on_the_resolution(db, imap_server, smtp):
    port, handler = smtp
    _mailbox(db, imap_server, port)
    imap_server.append(FIRST)
    box = db.scalar("SELECT id FROM mail_accounts")
    fetch.fetch(db, box, imap_server.password)
    ticket_id = db.scalar("SELECT id FROM tickets")
    version = _with_survey_step(db, ticket_id)
    steps = len(version.steps)
    resolved = resolution.resolve(db, ticket_id, version.id, [StepOutcome(i, True) for i in range(steps)], Offer(5))
    assert outbox.deliver_due(db).sent == 1
    mail = message_from_bytes(handler.received[0].content, policy=default)
    assert mail["Subject"] == f"How did we do? [#{ticket_id}]" and mail["In-Reply-To"] == "<first@mail.example.com>"
    assert "1 (terrible) to 5 (great)" in mail.get_content() and "Hi Ada," in mail.get_content()

    imap_server.append(_answer(mail["Subject"], mail["Message-ID"], "4\n\n> How did we do?"))
    fetch.fetch(db, box, imap_server.password)
    answer = db.one("SELECT * FROM survey_answers")
    assert answer["resolution_id"] == resolved and answer["score"] == 4
    kept = tickets.get(db, ticket_id)
    assert kept.messages[-1].body.startswith("4") and kept.messages[-1].flag == "survey", "the reply is kept"
    assert kept.status == "resolved", "an answer to the survey does not reopen the ticket"
    assert outbox.deliver_due(db).sent == 0, "no away reply, no second survey"

    figures = surveys.satisfaction(db, Period(datetime.now(UTC).date(), datetime.now(UTC).date()))
    assert figures["sent"] == 1 and figures["answered"] == 1 and figures["average"] == 4.0
    assert figures["by_category"] == [{"category": "damaged_shipment", "answered": 1, "average": 4.0,
                                       "satisfied": 1.0}]
    assert figures["by_person"][0]["person"] == db.actor
    assert figures["by_policy_version"][0]["policy_version"].endswith(f" v{version.number}")
    review = insights.compute(db, Period(datetime.now(UTC).date(), datetime.now(UTC).date())).to_json()
    assert review["satisfaction"] == figures


def test_a_reply_that_is_no_score_stays_a_customer_message_and_reopens(db, imap_server, smtp):
    port, handler = smtp
    box = _mailbox(db, imap_server, port)
    imap_server.append(FIRST)
    fetch.fetch(db, box, imap_server.password)
    ticket_id = db.scalar("SELECT id FROM tickets")
    version = _with_survey_step(db, ticket_id)
    resolution.resolve(db, ticket_id, version.id, [StepOutcome(i, True) for i in range(len(version.steps))],
                       Offer(5))
    outbox.deliver_due(db)
    mail = message_from_bytes(handler.received[0].content, policy=default)
    imap_server.append(_answer(mail["Subject"], mail["Message-ID"], "The replacement is broken too."))
    fetch.fetch(db, box, imap_server.password)
    assert db.scalar("SELECT count(*) FROM survey_answers") == 0
    assert tickets.get(db, ticket_id).status == "open"


def test_away_replies_outside_hours_once_a_day_never_to_machines(db, imap_server, smtp):
    port, handler = smtp
    box = _mailbox(db, imap_server, port)
    # Closed every day: outside business hours whenever the test runs.
    business_hours.save(db, BusinessHours("UTC", {}))
    with pytest.raises(ValidationError, match="away_mode"):
        away.set_away(db, box, "sometimes")
    away.set_away(db, box, "hours", "Hi {customer_first_name}, we are out until Monday. {mailbox_name}")
    imap_server.append(FIRST)
    imap_server.append(_answer("Box", "<first@mail.example.com>", "Any news?", "<second@mail.example.com>"))
    imap_server.append(b"From: Newsletter <news@list.example>\nSubject: Weekly\nMessage-ID: <n1@list.example>\n"
                       b"List-Id: <weekly.list.example>\n\nNews.\n")
    imap_server.append(b"From: Bo <bo@example.com>\nSubject: Out of office\nMessage-ID: <ooo@example.com>\n"
                       b"Auto-Submitted: auto-replied\n\nI am away.\n")
    imap_server.append(b"From: Cy <cy@example.com>\nSubject: Bulk\nMessage-ID: <bulk@example.com>\n"
                       b"Precedence: bulk\n\nBulk.\n")
    fetch.fetch(db, box, imap_server.password)
    assert outbox.deliver_due(db).sent == 1
    [mail] = [message_from_bytes(e.content, policy=default) for e in handler.received]
    assert mail["To"] == "ada@example.com" and "Hi Ada, we are out until Monday. Shop support" in mail.get_content()
    assert mail["In-Reply-To"] == "<first@mail.example.com>"
    # Later the same day: not again.
    imap_server.append(_answer("Box", "<first@mail.example.com>", "Hello?", "<third@mail.example.com>"))
    fetch.fetch(db, box, imap_server.password)
    assert db.scalar("SELECT count(*) FROM outbox WHERE kind = 'away'") == 1
    # Off: nothing.
    away.set_away(db, box, "off")
    imap_server.append(b"From: Di <di@example.com>\nSubject: Hi\nMessage-ID: <di@example.com>\n\nHi.\n")
    fetch.fetch(db, box, imap_server.password)
    assert db.scalar("SELECT count(*) FROM outbox WHERE kind = 'away'") == 1


def test_away_on_demand_and_open_hours(db, imap_server, smtp):
    port, _ = smtp
    box = _mailbox(db, imap_server, port)
    always = BusinessHours("UTC", {day: (("00:00", "24:00"),) for day in business_hours.DAYS})
    business_hours.save(db, always)
    away.set_away(db, box, "hours")
    assert not away.is_away(db, box)
    away.set_away(db, box, "on")
    assert away.is_away(db, box)
    imap_server.append(FIRST)
    fetch.fetch(db, box, imap_server.password)
    assert db.scalar("SELECT count(*) FROM outbox WHERE kind = 'away'") == 1
