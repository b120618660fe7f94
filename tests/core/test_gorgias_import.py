"""Gorgias (its REST API's tickets with their messages), like the other
helpdesk importers, and what a hostile or broken export does: per-record
problems, nothing written, never an internal error."""

from __future__ import annotations

import json
from pathlib import Path

from amends.core import importers, tags, tickets
from amends.core.importers import helpdesks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "gorgias-tickets.json"


def by_ref(db, ref):
    return tickets.get(db, db.scalar("SELECT id FROM tickets WHERE ref = ?", (ref,)))


def test_gorgias_tickets_and_messages(db):
    report = importers.import_file(db, FIXTURE)
    assert report.format == "gorgias" and report.imported == 2 and not report.errors, report.errors
    crushed = by_ref(db, "gorgias:9001")
    assert (crushed.subject, crushed.category, crushed.status, crushed.priority, crushed.assignee) == (
        "Box arrived crushed", "damaged_shipment", "resolved", 2, "Ana Ruiz")
    assert [(m.direction, m.author) for m in crushed.messages] == [
        ("in", "Ada Okafor"), ("out", "Ana Ruiz"), ("note", "Ana Ruiz")]
    assert "on its way" in crushed.messages[1].body, "an HTML-only message becomes text"
    assert db.tuples("SELECT email, name FROM customers WHERE id = ?", (crushed.customer_id,)) == [
        ("ada@example.com", "Ada Okafor")]
    assert [t.name for t in tags.for_tickets(db, [crushed.id])[crushed.id]] == ["damaged_shipment", "VIP"]
    skip = by_ref(db, "gorgias:9002")
    assert (skip.subject, skip.status, skip.priority) == ("(no subject)", "open", 1)
    assert db.scalar("SELECT email FROM customers WHERE id = ?", (skip.customer_id,)) == "bo@shop.example", \
        "no customer email on the ticket: the customer's own message names them"
    assert importers.import_file(db, FIXTURE).imported == 0, "idempotent"


def test_a_bare_list_is_recognised_too(db, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(json.loads(FIXTURE.read_text())["data"]))
    assert importers.detect(path) == "gorgias"
    assert importers.import_file(db, path).imported == 2


def test_a_broken_export_is_refused_with_every_problem(db, tmp_path):
    doc = json.loads(FIXTURE.read_text())
    good = doc["data"][0]
    doc["data"] = [
        dict(good, id=1, status="snoozed"),                       # 1: unknown status
        dict(good, id=None),                                      # 2: no id
        dict(good, id=3, created_datetime="yesterday"),           # 3: no time
        dict(good, id=4, messages={"not": "a list"}),             # 4
        dict(good, id=5, messages=["text", dict(good["messages"][0], body_text=42)]),  # 5: two bad messages
        dict(good, id=6, customer={"email": "ada@@example.com"}),  # 6: not an address
        dict(good, id=7, priority=["high"]),                      # 7: unhashable
        dict(good, id=8),                                         # 8: fine
        dict(good, id=8, subject="again"),                        # 9: the same ticket twice
        dict(good, id=True),                                      # 10: no id
    ]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    report = importers.import_file(db, path, "gorgias")
    assert not report.written and db.scalar("SELECT count(*) FROM tickets") == 0
    assert {(e.record, e.field) for e in report.errors} == {
        (1, "status"), (2, "id"), (3, "created_datetime"), (4, "messages"), (5, "messages[0]"),
        (5, "messages[1].body_text"), (6, "customer.email"), (7, "priority"), (9, "id"), (10, "id")}
    kept = importers.import_file(db, path, "gorgias", skip_invalid=True)
    assert kept.written and kept.skipped == 9
    assert [r[0] for r in db.tuples("SELECT ref FROM tickets")] == ["gorgias:8"]


def test_not_gorgias_at_all_is_a_document_problem(db, tmp_path):
    for content in ('"just text"', '{"data": 5}', "[1, 2]"):
        path = tmp_path / "odd.json"
        path.write_text(content)
        report = importers.import_file(db, path, "gorgias")
        assert not report.written and report.errors, content


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                max_size=3), max_leaves=10)
KEYS = ("id", "status", "priority", "subject", "customer", "tags", "assignee_user", "created_datetime",
        "updated_datetime", "messages")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({}, optional={k: JSON for k in KEYS}),
       message=st.fixed_dictionaries({}, optional={k: JSON for k in ("public", "from_agent", "source", "sender",
                                                                       "body_text", "body_html",
                                                                       "created_datetime")}))
def test_any_shape_is_a_problem_or_a_ticket_never_a_crash(values, message):
    ticket = dict(json.loads(FIXTURE.read_text())["data"][0])
    ticket.update(values)
    if "messages" not in values:
        ticket["messages"] = [dict(ticket["messages"][0], **message)]
    parsed = helpdesks.gorgias([ticket])
    assert len(parsed.tickets) + len({r for r in parsed.bad_records}) >= 1
    for record in parsed.tickets:
        assert record.ref.startswith("gorgias:") and record.created_at.endswith("Z")
