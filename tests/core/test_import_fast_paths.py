"""The exchange import's fast paths (issue 16: 0.39x the raw insert rate,
target 0.5x) decide nothing by themselves: a clean document is recognised
at C speed and the careful walk runs on every other one; a time already in
the stored form is kept as it is, after the same checks. These tests hold
the fast paths to the careful answers (benchmarks/run.py measures the speed).
"""

from __future__ import annotations

import json

import pytest
from amends.core.importers.values import BadValue, json_problems, time_value


def _doc(**extra) -> dict:
    ticket = {"ref": "t1", "subject": "Box", "messages": [{"direction": "in", "at": "2026-01-05T10:00:00Z",
                                                             "body": "Order 12345"}]}
    ticket.update(extra)
    return {"format": "amends", "version": 1, "tickets": [ticket]}


def test_a_clean_document_has_no_problems():
    assert json_problems(_doc()) == []


def test_a_long_digit_run_in_a_text_is_no_problem():
    assert json_problems(_doc(subject="Order 123456789012345678901234567890")) == []


@pytest.mark.parametrize(("extra", "field", "reason"), [
    ({"priority": 2**63}, "tickets.priority", "too large"),
    ({"priority": -(2**64)}, "tickets.priority", "too large"),
    ({"score": float("nan")}, "tickets.score", "finite"),
    ({"score": float("-inf")}, "tickets.score", "finite"),
    ({"subject": "bad \ud800 text"}, "tickets.subject", "Unicode"),
    ({"meta": {"k\udfff": 1}}, "tickets.meta", "Unicode"),
])
def test_every_kind_of_problem_is_still_found_where_it_is(extra, field, reason):
    found = json_problems(_doc(**extra))
    assert len(found) == 1, found
    record, where, why = found[0]
    assert (record, where) == (1, field) and reason in why


def test_a_document_nested_deeper_than_json_can_write_is_walked_not_crashed():
    deep: object = "end"
    for _ in range(100_000):
        deep = [deep]
    assert json_problems({"tickets": [{"x": deep}]}) == []


@pytest.mark.parametrize("text", ["2026-01-05T10:00:00Z", "1900-01-01T00:00:00Z", "2999-12-31T23:59:59Z",
                                  "2024-02-29T12:00:00Z"])
def test_a_stored_form_time_is_kept_as_it_is(text):
    assert time_value(text) == text
    assert time_value(json.loads(json.dumps(text))) == text


@pytest.mark.parametrize(("text", "reason"), [("2026-02-30T10:00:00Z", "not a real date"),
                                              ("1899-12-31T23:59:59Z", "outside the years"),
                                              ("3000-01-01T00:00:00Z", "outside the years")])
def test_a_stored_form_time_is_still_checked(text, reason):
    with pytest.raises(BadValue, match=reason):
        time_value(text)


def test_the_batched_exchange_import_leaves_tickets_as_the_triggers_would(db, backend, tmp_path):
    """Issue 16: a complete file's new tickets go in after their messages (one
    executemany per table, foreign keys checked at commit), and one statement
    sets their waiting columns. The result must be what writing them one by
    one gives: ids in file order after those here, each message and search row
    on its ticket, the waiting columns equal to the triggers' recompute, a
    ticket with a file (written on its own) in between, a resolution kept."""
    import base64
    import hashlib

    from amends.core import importers, tickets
    from amends.core.store.schema import WAITING

    here = tickets.create(db, "Already here", "Hello")
    photo = b"\x89PNG not really"

    def message(direction: str, at: str, body: str, **extra) -> dict:
        return {"direction": direction, "author": "Ada", "at": at, "body": body, **extra}

    doc = {"format": "amends", "version": 1, "tickets": [
        {"ref": "a", "subject": "Crushed box", "status": "open", "created_at": "2026-01-05T10:00:00Z",
         "messages": [message("in", "2026-01-05T10:00:00Z", "crushed"), message("out", "2026-01-05T12:00:00Z", "sorry"),
                      message("in", "2026-01-06T09:00:00Z", "still crushed"),
                      message("note", "2026-01-06T10:00:00Z", "call them")]},
        {"ref": "b", "subject": "Out of order", "status": "open", "created_at": "2026-01-07T10:00:00Z",
         "messages": [message("out", "2026-01-08T10:00:00Z", "answer"), message("in", "2026-01-07T10:00:00Z", "ask")]},
        {"ref": "c", "subject": "With a photo", "status": "open", "created_at": "2026-01-09T10:00:00Z",
         "messages": [message("in", "2026-01-09T10:00:00Z", "see the photo", attachments=[
             {"name": "box.png", "type": "image/png", "size": len(photo),
              "sha256": hashlib.sha256(photo).hexdigest(), "data": base64.b64encode(photo).decode()}])]},
        {"ref": "d", "subject": "After the photo", "status": "resolved", "created_at": "2026-01-10T10:00:00Z",
         "messages": [message("in", "2026-01-10T10:00:00Z", "refund please")],
         "resolution": {"at": "2026-01-11T10:00:00Z", "actor": "Ben", "steps": []}},
        {"ref": "e", "subject": "Nothing said", "status": "open", "created_at": "2026-01-12T10:00:00Z",
         "messages": []},
    ]}
    path = tmp_path / "file.json"
    path.write_text(json.dumps(doc))
    report = importers.import_file(db, path, "amends")
    assert report.written and report.imported == 5, report.errors
    ids = [db.scalar("SELECT id FROM tickets WHERE ref = ?", (t["ref"],)) for t in doc["tickets"]]
    assert ids == list(range(here + 1, here + 6))
    for ticket_id, record in zip(ids, doc["tickets"], strict=True):
        stored = tickets.get(db, ticket_id)
        assert [m.body for m in stored.messages] == [m["body"] for m in sorted(record["messages"],
                                                                             key=lambda m: m["at"])]
        assert db.scalar("SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?",
                         (f'subject:"{record["subject"]}"',)) == ticket_id
    assert db.scalar("SELECT count(*) FROM attachments") == 1
    assert db.scalar("SELECT ticket_id FROM resolutions") == ids[3]
    columns = "SELECT id, waiting_since, replied_at, last_in_at FROM tickets ORDER BY id"
    written = db.tuples(columns)
    assert written[1:3] == [(ids[0], "2026-01-06T09:00:00Z", "2026-01-05T12:00:00Z", "2026-01-06T09:00:00Z"),
                            (ids[1], None, "2026-01-08T10:00:00Z", "2026-01-07T10:00:00Z")]
    with db.transaction() as conn:
        conn.execute(WAITING)  # what the triggers keep: recomputed, nothing moves
    assert db.tuples(columns) == written
    if backend == "sqlite":  # checked at commit, and only in that transaction
        assert db.tuples("PRAGMA foreign_key_check") == [] and db.scalar("PRAGMA defer_foreign_keys") == 0


def test_a_mail_ticket_naming_one_of_the_same_file_still_joins_it(db, tmp_path):
    """The batched tickets are not in the database until written: a mail
    ticket of the file whose subject names an earlier one of the same file
    (its customer's) joins it, as when each ticket was written at once."""
    from amends.core import importers, tickets

    first = db.scalar("SELECT coalesce(max(id), 0) + 1 FROM tickets")
    doc = {"format": "amends", "version": 1,
           "customers": [{"ref": "c1", "email": "ada@example.com", "name": "Ada"}],
           "tickets": [
               {"ref": "mail:1", "subject": "Crushed box", "status": "open", "created_at": "2026-01-05T10:00:00Z",
                "customer": "c1", "messages": [{"direction": "in", "author": "Ada", "at": "2026-01-05T10:00:00Z",
                                                "body": "crushed"}]},
               {"ref": "mail:2", "subject": f"Re: Crushed box [#{first}]", "status": "open",
                "created_at": "2026-01-06T10:00:00Z", "customer": "c1",
                "messages": [{"direction": "in", "author": "Ada", "at": "2026-01-06T10:00:00Z", "body": "any news?"}]},
           ]}
    path = tmp_path / "mail.json"
    path.write_text(json.dumps(doc))
    report = importers.import_file(db, path, "amends")
    assert report.written, report.errors
    assert db.scalar("SELECT count(*) FROM tickets") == 1
    assert [m.body for m in tickets.get(db, first).messages] == ["crushed", "any news?"]


def test_a_batched_csv_import_is_sorted_by_rules_and_waits_as_written_one_by_one(db, tmp_path):
    """CSV rows are batched too (unique refs, no threading): the relations
    side's rules (the shipped ones: "crushed" is a damaged shipment) still sort
    the new tickets, and each waits since its message."""
    from amends.core import importers, tickets
    from amends.core.store.schema import WAITING

    path = tmp_path / "tickets.csv"
    path.write_text("id,subject,body,created_at\n"
                    "r1,Box crushed,It arrived crushed,2026-01-05T10:00:00Z\n"
                    "r2,Where is it,No parcel yet,2026-01-06T10:00:00Z\n"
                    "r3,No body,,2026-01-07T10:00:00Z\n", encoding="utf-8")
    report = importers.import_file(db, path, "csv")
    assert report.written and report.imported == 3, report.errors
    found = {ref: (category, waiting) for ref, category, waiting in db.tuples(
        "SELECT ref, category, waiting_since FROM tickets ORDER BY id")}
    assert found == {"r1": ("damaged_shipment", "2026-01-05T10:00:00Z"), "r2": ("other", "2026-01-06T10:00:00Z"),
                     "r3": ("other", None)}
    before = db.tuples("SELECT id, waiting_since, replied_at, last_in_at FROM tickets ORDER BY id")
    with db.transaction() as conn:
        conn.execute(WAITING)
    assert db.tuples("SELECT id, waiting_since, replied_at, last_in_at FROM tickets ORDER BY id") == before
    assert tickets.page(db, tickets.InboxQuery(status="all", text="crushed"))[0][0].subject == "Box crushed"


def test_a_batched_import_keeps_every_derived_table_as_its_fill_computes_it(db, tmp_path):
    """On SQLite the exchange import writes a file's tickets after their messages and resolutions
    (write_batch.Pending). Every table of sums and facts kept by triggers (store/derived.py) must be as
    the schema's fill computes it from the rows afterwards: the review of schema 8 found the save offers'
    candidates and the money of recovery (schema 7) missing after an import, until a refill."""
    from amends.core import importers
    from amends.core.store import derived

    from tests.helpers import assert_kept_as_refilled

    def message(direction: str, at: str, body: str) -> dict:
        return {"direction": direction, "author": "Ada", "at": at, "body": body}

    sub = {"plan": "Snack Box", "started_at": "2025-12-01T00:00:00Z", "cycle_days": 30, "price_minor": 3500,
           "currency": "USD"}
    doc = {"format": "amends", "version": 1,
           "customers": [{"ref": "c1", "email": "a@example.com", "name": "A", "subscriptions": [sub]},
                         {"ref": "c2", "email": "b@example.com", "name": "B"}],
           "tickets": [
               {"ref": "t1", "customer": "c1", "subject": "Stop my plan", "category": "cancellation",
                "status": "resolved", "created_at": "2026-01-02T00:00:00Z",
                "messages": [message("in", "2026-01-02T00:00:00Z", "stop it"),
                             message("out", "2026-01-02T05:00:00Z", "done")],
                "resolution": {"at": "2026-01-03T00:00:00Z", "actor": "Ben", "steps": [],
                               "offer": {"kind": "percent_next_cycle", "value": 20}}},
               {"ref": "t2", "customer": "c1", "subject": "Crushed", "category": "damaged_shipment",
                "status": "resolved", "created_at": "2026-01-04T00:00:00Z",
                "messages": [message("in", "2026-01-04T00:00:00Z", "crushed box")],
                "resolution": {"at": "2026-01-05T00:00:00Z", "actor": "Ana", "steps": [],
                               "offer": {"kind": "account_credit", "value": 5}}},
               {"ref": "t3", "customer": "c2", "subject": "Where is it", "category": "late_delivery",
                "status": "open", "created_at": "2026-01-06T00:00:00Z",
                "messages": [message("in", "2026-01-06T00:00:00Z", "late again")]}]}
    path = tmp_path / "file.json"
    path.write_text(json.dumps(doc))
    report = importers.import_file(db, path, "amends")
    assert report.written and report.imported == 3, report.errors
    assert db.scalar("SELECT count(*) FROM review_money_days") > 0
    for table in derived.DERIVED:
        assert_kept_as_refilled(db, table)
