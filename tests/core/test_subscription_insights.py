"""Issue 13, point 5 and the whole chain: a Stripe export and an mbox of
tickets, resolved through the default policies; the Review's churn and the
recovery cost in money match figures worked out by hand below."""

from __future__ import annotations

from datetime import date

import pytest
from amends.core import costs, importers, insights, resolution
from amends.core.errors import ValidationError
from amends.core.insights.period import Period
from amends.core.resolution import Offer, StepOutcome

from tests.core.subscription_exports import STRIPE, stripe_row, write

Q2 = Period(date(2026, 4, 1), date(2026, 6, 30))

MAILS = [  # (address, date, subject, category)
    ("a@x.com", "Wed, 15 Apr 2026 10:00:00 +0000", "Crushed box", "damaged_shipment"),
    ("b@x.com", "Mon, 20 Apr 2026 10:00:00 +0000", "Charged twice", "billing"),
    ("c@x.com", "Mon, 20 Apr 2026 11:00:00 +0000", "Wrong beans", "wrong_item"),
    ("e@x.com", "Wed, 22 Apr 2026 10:00:00 +0000", "Please cancel", "cancellation"),
    ("d@x.com", "Sat, 25 Apr 2026 10:00:00 +0000", "Broken mug", "damaged_shipment"),
]


def build(db, tmp_path):
    rows = [
        stripe_row("sub_a1", "cus_a", "a@x.com", "active", "2026-04-01 00:00"),                        # 29.00
        stripe_row("sub_b1", "cus_b", "b@x.com", "canceled", "2026-04-10 00:00", amount="19.00",
                   canceled="2026-05-20 00:00"),
        stripe_row("sub_c1", "cus_c", "c@x.com", "active", "2026-01-05 00:00"),
        stripe_row("sub_d1", "cus_d", "D@X.com", "canceled", "2026-04-15 00:00", amount="25.00",
                   canceled="2026-05-01 00:00"),
        stripe_row("sub_d2", "cus_d", "D@X.com", "active", "2026-05-01 00:00", plan="Tea Weekly", interval="week",
                   amount="10.00"),
        stripe_row("sub_e1", "cus_e", "e@x.com", "canceled", "2026-02-01 00:00", amount="20.00", quantity="2",
                   canceled="2026-05-25 00:00"),
    ]
    assert importers.import_file(db, write(tmp_path / "subscriptions.csv", STRIPE, rows)).written
    mbox = b"".join(
        f"From {address} Thu Jan  1 00:00:00 2026\nFrom: {address}\nSubject: {subject}\nDate: {when}\n"
        f"Message-ID: <{n}@x.com>\n\n{subject}.\n\n".encode()
        for n, (address, when, subject, _category) in enumerate(MAILS))
    (tmp_path / "support.mbox").write_bytes(mbox)
    assert importers.import_file(db, tmp_path / "support.mbox").written
    ids = {}
    for address, _when, subject, category in MAILS:
        ticket_id = db.scalar("SELECT id FROM tickets WHERE subject = ?", (subject,))
        with db.transaction() as conn:
            conn.execute("UPDATE tickets SET category = ? WHERE id = ?", (category, ticket_id))
        ids[address] = ticket_id
    return ids


def resolve(db, ticket_id, offer=None):
    checklist = resolution.checklist_for(db, ticket_id)
    outcomes = [StepOutcome(i, True, None) for i in range(len(checklist.steps))]
    resolution.resolve(db, ticket_id, checklist.policy.id, outcomes, None if offer is None else Offer(offer),
                       at="2026-04-28T10:00:00Z")


def test_stripe_export_plus_mbox_gives_the_figures_worked_out_by_hand(db, tmp_path):
    ids = build(db, tmp_path)
    assert db.scalar("SELECT count(*) FROM customers") == 5, "the mbox's d@x.com is Stripe's D@X.com"
    cycles = {address: db.scalar("SELECT billing_cycle FROM tickets WHERE id = ?", (i,)) for address, i in ids.items()}
    # a: since 1 Apr; b: since 10 Apr; d: sub_d1 since 15 Apr; c: 5 Jan → 5 Feb, 5 Mar, 5 Apr: 4; e: 1 Feb: 3.
    assert cycles == {"a@x.com": 1, "b@x.com": 1, "d@x.com": 1, "c@x.com": 4, "e@x.com": 3}
    costs.set_replacement_cost(db, "damaged_shipment", "18.50", "usd")
    resolve(db, ids["a@x.com"], offer=10)   # 10 % of 29.00 = 2.90, plus a replacement at 18.50 (estimated)
    resolve(db, ids["d@x.com"], offer=15)   # 15 % of sub_d1's 25.00 = 3.75, plus 18.50
    resolve(db, ids["b@x.com"])             # a refund: one cycle of 19.00 (estimated)
    resolve(db, ids["c@x.com"], offer=8)    # a credit of 8.00; the replacement has no cost set: unpriced
    resolve(db, ids["e@x.com"], offer=20)   # 20 % of 2 × 20.00 = 8.00
    review = insights.compute(db, Q2, now="2026-08-01T00:00:00Z").to_json()

    churn = review["cycle1_churn"]
    # Cycle 1: a (stays), b (cancels 20 May, nothing left: churned), d (cancels sub_d1 on 1 May but sub_d2
    # goes on: not churned). Later: c (stays), e (cancels 25 May: churned).
    assert {k: churn["cycle1"][k] for k in ("customers", "churned")} == {"customers": 3, "churned": 1}
    assert churn["cycle1"]["rate"] == pytest.approx(1 / 3)
    assert {k: churn["later"][k] for k in ("customers", "churned")} == {"customers": 2, "churned": 1}
    assert {k: churn["cycle1_recovered"][k] for k in ("customers", "churned")} == {"customers": 3, "churned": 1}

    cost = {r["category"]: r for r in review["recovery_cost"]}
    assert cost["damaged_shipment"] | {"offers": None} == {
        "category": "damaged_shipment", "replacements": 2, "refunds": 0, "offers": None, "currency": "USD",
        "amount": 43.65, "amounts": {"USD": 43.65}, "estimated": True, "unpriced": 0}
    assert cost["damaged_shipment"]["offers"] == {"percent_next_cycle": {"count": 2, "total": 25.0}}
    assert (cost["billing"]["amount"], cost["billing"]["estimated"]) == (19.0, True)
    assert (cost["wrong_item"]["amount"], cost["wrong_item"]["estimated"], cost["wrong_item"]["unpriced"]) == \
        (8.0, False, 1)
    assert (cost["cancellation"]["currency"], cost["cancellation"]["amount"], cost["cancellation"]["estimated"]) == \
        ("USD", 8.0, False)
    assert insights.cost_label(cost["damaged_shipment"]) == "≈ 43.65 USD (estimated)"
    assert insights.cost_label(cost["wrong_item"]) == "8.00 USD · 1 not priced"


def test_two_currencies_are_not_added_up(db, tmp_path):
    rows = [stripe_row("sub_1", "cus_1", "a@x.com", "active", "2026-04-01 00:00", amount="30.00"),
            stripe_row("sub_2", "cus_2", "b@x.com", "active", "2026-04-01 00:00", amount="3000", currency="jpy")]
    importers.import_file(db, write(tmp_path / "s.csv", STRIPE, rows))
    mbox = (b"From a@x.com Thu Jan  1 00:00:00 2026\nFrom: a@x.com\nSubject: one\nDate: Wed, 15 Apr 2026 10:00:00 +0000"
            b"\nMessage-ID: <1@x>\n\nx\n\nFrom b@x.com Thu Jan  1 00:00:00 2026\nFrom: b@x.com\nSubject: two\n"
            b"Date: Wed, 15 Apr 2026 10:00:00 +0000\nMessage-ID: <2@x>\n\nx\n")
    (tmp_path / "m.mbox").write_bytes(mbox)
    importers.import_file(db, tmp_path / "m.mbox")
    with db.transaction() as conn:
        conn.execute("UPDATE tickets SET category = 'cancellation'")
    for ticket_id in db.tuples("SELECT id FROM tickets"):
        resolve(db, ticket_id[0], offer=20)
    cost = insights.compute(db, Q2, now="2026-08-01T00:00:00Z").to_json()["recovery_cost"][0]
    assert (cost["currency"], cost["amount"], cost["amounts"]) == (None, None, {"JPY": 600.0, "USD": 6.0})
    assert insights.cost_label(cost) == "600 JPY + 6.00 USD"


def test_replacement_costs_are_checked_and_shared(db, db_path):
    with pytest.raises(ValidationError) as error:
        costs.set_replacement_cost(db, "damaged", "x", "dollars")
    assert {f for f, _r in error.value.problems} == {"category", "currency"}
    costs.set_replacement_cost(db, "wrong_item", "12,40", "EUR")
    assert costs.replacement_costs(db) == {"wrong_item": costs.Cost(1240, "EUR")}
    costs.set_replacement_cost(db, "wrong_item", None)
    assert costs.replacement_costs(db) == {}
