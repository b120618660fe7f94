"""Issue 13: a CSV tickets file names the mailbox each ticket came in on
(by its name or its address); an unknown one is a per-record problem. And
a platform's export named, read without writing, for the app's preview."""

from __future__ import annotations

from amends.core import importers
from amends.core.importers import csv_files
from amends.core.mail import mailboxes

from tests.core.test_subscription_imports import stripe_export


def _boxes(db) -> tuple[int, int]:
    def box(label: str) -> int:
        return mailboxes.add(db, mailboxes.Mailbox(0, label, "Shop", f"{label}@shop.example", "127.0.0.1", 25,
                                                   "none", None))

    hello, billing = box("hello"), box("billing")
    return hello, billing


def test_the_mailbox_column_sets_the_ticket_mailbox_by_name_or_address(db, tmp_path):
    hello, billing = _boxes(db)
    assert "mailbox" in csv_files.TICKET_FIELDS and csv_files.FIELD_LABELS["mailbox"]
    path = tmp_path / "t.csv"
    path.write_text("id,subject,created,mailbox\nm1,Box broken,2026-02-01,Billing\n"
                    "m2,Late,2026-02-02,hello@shop.example\nm3,No box,2026-02-03,\n")
    report = importers.import_file(db, path)
    assert report.errors == [] and report.written
    got = dict(db.query("SELECT ref, mailbox_id FROM tickets WHERE ref LIKE 'm%'"))
    assert got == {"m1": billing, "m2": hello, "m3": None}


def test_an_unknown_mailbox_is_a_problem_of_its_line_and_nothing_is_written(db, tmp_path):
    _boxes(db)
    path = tmp_path / "t.csv"
    path.write_text("id,subject,created,mailbox\nu1,Fine,2026-02-01,hello\nu2,Lost,2026-02-02,sales\n")
    before = db.scalar("SELECT count(*) FROM tickets")
    report = importers.import_file(db, path)
    assert not report.written and len(report.errors) == 1
    problem = report.errors[0]
    assert (problem.record, problem.field) == (3, "mailbox")
    assert "sales" in problem.reason and "hello" in problem.reason and "billing" in problem.reason
    assert db.scalar("SELECT count(*) FROM tickets") == before
    kept = importers.import_file(db, path, skip_invalid=True)
    assert kept.written and kept.skipped == 1
    assert db.scalar("SELECT count(*) FROM tickets WHERE ref = 'u1'") == 1
    assert db.scalar("SELECT count(*) FROM tickets WHERE ref = 'u2'") == 0


def test_recognised_names_a_platform_export_without_writing(db, tmp_path):
    path = stripe_export(tmp_path)
    before = db.scalar("SELECT count(*) FROM subscriptions")
    seen = importers.recognised(path)
    assert seen is not None
    assert (seen.source, seen.rows, seen.records, seen.unit, seen.problems) == \
        ("Stripe Billing subscriptions", 10, 10, "subscriptions", 0)
    assert db.scalar("SELECT count(*) FROM subscriptions") == before
    tickets = tmp_path / "t.csv"
    tickets.write_text("id,subject,created\n1,Box,2026-02-01\n")
    assert importers.recognised(tickets) is None, "not a platform's export: the mapping dialog's business"
    assert importers.recognised(tmp_path / "missing.csv") is None
