"""Zendesk, Help Scout and Freshdesk API JSON, as the real APIs shape it."""

from __future__ import annotations

from pathlib import Path

from amends.core import importers, tickets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def ticket_by_ref(db, ref):
    return tickets.get(db, db.scalar("SELECT id FROM tickets WHERE ref = ?", (ref,)))


def test_zendesk_tickets_users_and_audits(db):
    report = importers.import_file(db, FIXTURES / "zendesk-tickets.json")
    assert report.format == "zendesk" and report.imported == 2 and not report.errors
    crushed = ticket_by_ref(db, "zendesk:101")
    assert (crushed.category, crushed.status, crushed.priority, crushed.assignee) == (
        "damaged_shipment", "resolved", 2, "Ana Ruiz")
    assert [(m.direction, m.author) for m in crushed.messages] == [
        ("in", "Ada Okafor"), ("out", "Ana Ruiz"), ("note", "Ana Ruiz")]
    assert db.scalar("SELECT email FROM customers WHERE id = ?", (crushed.customer_id,)) == "ada@example.com"
    charged = ticket_by_ref(db, "zendesk:102")
    assert (charged.category, charged.status, charged.messages[0].body) == ("billing", "open",
                                                                            "I was charged twice this month.")
    # the incremental export (cursor based) updates what changed
    later = importers.import_file(db, FIXTURES / "zendesk-incremental.json")
    assert later.format == "zendesk" and later.imported == 1
    assert ticket_by_ref(db, "zendesk:102").status == "resolved"
    assert importers.import_file(db, FIXTURES / "zendesk-tickets.json").imported == 1, "then back again"
    assert importers.import_file(db, FIXTURES / "zendesk-tickets.json").imported == 0, "idempotent"
    from amends.core import tags

    assert [t.name for t in tags.for_tickets(db, [crushed.id])[crushed.id]] == ["damaged_shipment", "vip"], \
        "the helpdesk's tags come along"
    assert db.scalar("SELECT count(*) FROM ticket_tags") == 3, "and are not doubled by importing again"


def test_helpscout_v2_and_v1(db):
    v2 = importers.import_file(db, FIXTURES / "helpscout-v2.json")
    assert v2.format == "helpscout" and v2.imported == 1
    late = ticket_by_ref(db, "helpscout:555")
    assert (late.category, late.status, late.assignee) == ("late_delivery", "open", "Ben Carter")
    assert [(m.direction, m.body) for m in late.messages] == [
        ("in", "My box has not arrived."), ("out", "Checking with the carrier."), ("note", "Tracking stuck since Monday")]
    v1 = importers.import_file(db, FIXTURES / "helpscout-v1.json")
    assert v1.format == "helpscout" and v1.imported == 1
    from amends.core import tags

    assert [t.name for t in tags.for_tickets(db, [late.id])[late.id]] == ["late delivery"]
    dusty = ticket_by_ref(db, "helpscout:777")
    assert (dusty.category, dusty.status, dusty.assignee) == ("product_quality", "resolved", "Chloé Martin")
    assert importers.import_file(db, FIXTURES / "helpscout-v2.json").imported == 0


def test_freshdesk_tickets_and_conversations(db):
    report = importers.import_file(db, FIXTURES / "freshdesk.json")
    assert report.format == "freshdesk" and report.imported == 1
    wrong = ticket_by_ref(db, "freshdesk:31")
    assert (wrong.category, wrong.status, wrong.priority) == ("wrong_item", "resolved", 2)
    assert [m.direction for m in wrong.messages] == ["in", "out", "in"]


def test_a_broken_helpdesk_export_is_refused_with_every_problem(db):
    report = importers.import_file(db, FIXTURES / "zendesk-broken.json")
    assert not report.written and db.scalar("SELECT count(*) FROM tickets") == 0
    assert {(e.record, e.field) for e in report.errors} == {(2, "status"), (2, "priority"), (2, "created_at"),
                                                            (2, "subject")}


def test_a_list_or_object_where_a_status_belongs_is_a_problem_not_a_crash(db, tmp_path):
    export = tmp_path / "zendesk-odd.json"
    export.write_text('{"tickets": [{"id": 7, "subject": "Odd", "status": ["open"], "priority": {"p": 1},'
                      ' "created_at": "2026-01-01T00:00:00Z"}], "users": []}')
    report = importers.import_file(db, export)
    assert not report.written and db.scalar("SELECT count(*) FROM tickets") == 0
    assert {(e.record, e.field) for e in report.errors} == {(1, "status"), (1, "priority")}
    assert any("unknown Zendesk status ['open']" in e.reason for e in report.errors)
