"""One customer per address (issue 13 point 4): an address in another letter
case, with a display name or spaces around it, through mail, CSV, every
helpdesk importer and the app's own lookup, is the same customer; an upgrade
merges the duplicates older versions made."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from amends.core import customers, importers, tickets
from amends.core.errors import ValidationError
from amends.core.workspace import open_database

from tests.conftest import ACTOR
from tests.core.subscription_exports import STRIPE, stripe_row
from tests.core.subscription_exports import write as write_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SUBSCRIBERS = "id,email,name,plan,started_at,cycle_days\ncust-1,Ada@Example.com,Ada Okafor,Coffee,2026-01-01,30\n"


def write(tmp_path: Path, name: str, content: str | dict | list) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def exports(tmp_path: Path) -> list[Path]:
    """The same person, Ada, in every source Amends reads, in other cases and forms."""
    mail = ('From: "Ada O." <ADA@example.COM>\nTo: support@shop.example\nSubject: Where is my box\n'
            "Message-ID: <m1@example.com>\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n\nStill not here.\n")
    return [
        write(tmp_path, "mail.eml", mail),
        write(tmp_path, "tickets.csv", "id,subject,email,created_at\nt1,Box crushed, ada@EXAMPLE.com ,2026-01-06\n"
                                       't2,Charged twice,"""Ada"" <Ada@Example.com>",2026-01-07\n'),
        write(tmp_path, "zendesk.json", {"tickets": [{"id": 1, "subject": "Zendesk one", "status": "open",
                                                      "priority": None, "created_at": "2026-01-08T00:00:00Z",
                                                      "requester_id": 9}],
                                         "users": [{"id": 9, "email": "Ada@EXAMPLE.com", "name": "Ada",
                                                    "role": "end-user"}]}),
        write(tmp_path, "helpscout.json", {"_embedded": {"conversations": [
            {"id": 2, "subject": "Help Scout one", "status": "active", "createdAt": "2026-01-09T00:00:00Z",
             "primaryCustomer": {"email": " ADA@example.com", "first": "Ada"}}]}}),
        write(tmp_path, "freshdesk.json", [{"id": 3, "subject": "Freshdesk one", "status": 2, "priority": 2,
                                            "created_at": "2026-01-10T00:00:00Z", "description_text": "Hi",
                                            "requester": {"email": "Ada Okafor <ada@example.com>"}}]),
        write(tmp_path, "gorgias.json", {"data": [{"id": 4, "subject": "Gorgias one", "status": "open",
                                                   "created_datetime": "2026-01-11T00:00:00Z",
                                                   "customer": {"email": "ADA@Example.Com", "firstname": "Ada"},
                                                   "messages": []}]}),
    ]


def test_one_customer_through_mail_csv_and_every_helpdesk(db, tmp_path):
    assert importers.import_file(db, write(tmp_path, "subscribers.csv", SUBSCRIBERS)).written
    for path in exports(tmp_path):
        report = importers.import_file(db, path)
        assert report.written and not report.errors, (path.name, report.errors)
    assert db.scalar("SELECT count(*) FROM tickets") == 7
    assert db.tuples("SELECT id, email, name FROM customers") == [(1, "ada@example.com", "Ada Okafor")]
    assert db.scalar("SELECT count(*) FROM tickets WHERE customer_id IS NOT 1 OR billing_cycle IS NULL") == 0, \
        "every ticket is the subscriber's, in a known billing cycle"
    again = [importers.import_file(db, path) for path in exports(tmp_path)]
    assert all(r.imported == 0 for r in again) and db.scalar("SELECT count(*) FROM customers") == 1


def test_the_subscriber_file_after_the_mail_finds_the_same_customer(db, tmp_path):
    for path in exports(tmp_path):
        assert importers.import_file(db, path).written
    assert db.scalar("SELECT count(*) FROM customers") == 1
    report = importers.import_file(db, write(tmp_path, "subscribers.csv", SUBSCRIBERS))
    assert (report.imported, db.scalar("SELECT count(*) FROM customers")) == (1, 1)
    assert db.scalar("SELECT ref FROM customers") == "zendesk-user:9", "a helpdesk's own id replaced the derived one"
    again = importers.import_file(db, write(tmp_path, "subscribers.csv", SUBSCRIBERS))
    assert (again.imported, again.unchanged, db.scalar("SELECT count(*) FROM customers")) == (0, 1, 1)
    assert db.scalar("SELECT count(*) FROM tickets WHERE billing_cycle = 1") == 7


@pytest.mark.parametrize("typed", ["ada@example.com", " ADA@Example.com ", '"Ada" <ada@EXAMPLE.com>',
                                   "Ada Okafor <Ada@example.com>"])
def test_the_app_lookup_matches_every_form(db, typed):
    """The new-ticket dialog's path: find_by_email, then find_or_create."""
    ada = customers.create(db, "Ada@Example.com", "Ada Okafor", plan="Coffee", started_at="2026-01-01T00:00:00Z")
    assert customers.find_by_email(db, typed) == ada
    assert customers.find_or_create(db, typed, "someone else") == ada
    assert db.scalar("SELECT count(*) FROM customers") == 1
    with pytest.raises(ValidationError, match="already belongs to customer"):
        customers.create(db, typed, "Ada again")


def test_a_customer_has_several_addresses(db, tmp_path):
    ada = customers.create(db, "ada@example.com", "Ada")
    with db.transaction() as conn:
        assert customers.add_address(conn, ada, "Ada.Work@Shop.example")
    assert customers.addresses(db, ada) == ["ada@example.com", "ada.work@shop.example"]
    mail = write(tmp_path, "work.eml", "From: Ada <ADA.work@shop.example>\nSubject: From work\n"
                                       "Message-ID: <w1@x>\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n\nHi\n")
    assert importers.import_file(db, mail).written
    assert tickets.get(db, db.scalar("SELECT id FROM tickets")).customer_id == ada


@pytest.mark.parametrize("bad", ["ada@@example.com", "ada", "ada@example..com", "a@example.com, b@example.com",
                                 "ada@example.com>", "Ada <>"])
def test_bad_addresses_are_refused_where_they_are(db, tmp_path, bad):
    rows = f'id,email,name\nc1,"{bad.replace(chr(34), chr(34) * 2)}",Ada\n'
    report = importers.import_file(db, write(tmp_path, "customers.csv", rows), "customers")
    assert not report.written and [(e.record, e.field) for e in report.errors] == [(2, "email")]
    assert "is not an email address" in report.errors[0].reason
    tickets_csv = f'subject,email,created_at\nHello,"{bad.replace(chr(34), chr(34) * 2)}",2026-01-01\n'
    report = importers.import_file(db, write(tmp_path, "t.csv", tickets_csv), "csv")
    assert not report.written and [(e.record, e.field) for e in report.errors] == [(2, "customer_email")]
    with pytest.raises(ValidationError, match="is not an email address"):
        customers.find_or_create(db, bad)
    assert db.scalar("SELECT count(*) FROM customers") == 0


def test_the_upgrade_merges_duplicates_on_a_real_version_2_file(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "amends-v2.db", path)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys = ON")
    before = raw.execute("SELECT count(*) FROM customers").fetchone()[0]
    tickets_before = raw.execute("SELECT count(*) FROM tickets").fetchone()[0]
    ids = []
    for ref, email, name in [("shop-1", "Zoe@Example.com", "Zoe Adams"), ("email:zoe@example.com",
                                                                           "zoe@example.com", ""),
                             (None, " ZOE@EXAMPLE.COM", "")]:
        ids.append(raw.execute("INSERT INTO customers (ref, email, name, created_at) VALUES (?, ?, ?, "
                               "'2026-01-01T00:00:00Z')", (ref, email, name)).lastrowid)
    raw.execute("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                "VALUES (?, 'Coffee', '2026-01-01T00:00:00Z', 30)", (ids[0],))
    for n, customer_id in enumerate(ids):
        raw.execute("INSERT INTO tickets (ref, customer_id, subject, category, status, priority, created_at, "
                    "updated_at, billing_cycle) VALUES (?, ?, 'Late', 'late_delivery', 'open', 1, ?, ?, NULL)",
                    (f"dup-{n}", customer_id, f"2026-02-1{n}T00:00:00Z", f"2026-02-1{n}T00:00:00Z"))
    raw.commit()
    raw.close()
    db = open_database(path, ACTOR)
    assert db.scalar("SELECT count(*) FROM customers") == before + 1
    assert db.scalar("SELECT count(*) FROM tickets") == tickets_before + 3
    assert db.tuples("SELECT DISTINCT customer_id, billing_cycle FROM tickets WHERE ref LIKE 'dup-%'") == \
        [(ids[0], 2)], "the subscriber keeps every ticket, each in its billing cycle"
    assert db.tuples("SELECT ref, name FROM customers WHERE id = ?", (ids[0],)) == [("shop-1", "Zoe Adams")]
    change = json.loads(db.scalar("SELECT change FROM audit_log WHERE action = 'merge_duplicates'"))
    assert change == {"address": "zoe@example.com", "merged": ids[1:], "tickets_moved": 2}
    assert db.scalar("SELECT first_ticket_id FROM customers WHERE id = ?", (ids[0],)) == \
        db.scalar("SELECT id FROM tickets WHERE ref = 'dup-0'")
    assert customers.find_by_email(db, "ZOE@example.com") == ids[0]
    assert db.scalar("SELECT count(*) FROM customer_addresses") == db.scalar("SELECT count(*) FROM customers")
    assert db.scalar("PRAGMA foreign_key_check") is None
    from amends.core import health

    checked = health.check(db)
    assert any("2 duplicates merged into 1" in line for line in checked.checks), checked.checks


def test_a_subscription_platform_export_meets_the_mail_in_one_customer(db, tmp_path):
    """H8's platform importers go through the same lookup: a Stripe row in a
    display-name form and another case joins the customer mail made."""
    for path in exports(tmp_path)[:1]:
        assert importers.import_file(db, path).written
    stripe = write_export(tmp_path / "stripe.csv", STRIPE, [
        stripe_row("sub_1", "cus_1", "ADA@example.COM", "active", "2026-01-01 10:00", name="Ada Okafor")])
    report = importers.import_file(db, stripe)
    assert report.written and not report.errors, report.errors
    assert db.scalar("SELECT count(*) FROM customers") == 1
    assert db.scalar("SELECT billing_cycle FROM tickets") == 1
