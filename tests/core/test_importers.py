"""Imports: validated whole before writing, all or nothing, idempotent; the
exchange format round-trips; CSV quirks are handled or reported by line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from amends.core import demo, importers, tickets
from amends.core.errors import Cancelled
from amends.core.exporters import amends as amends_export
from amends.core.exporters import tables
from amends.core.workspace import open_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ACTOR

TABLES = ("tickets", "messages", "customers", "subscriptions", "policies", "policy_versions", "resolutions",
          "resolution_steps", "ticket_search")


def counts(db) -> dict:
    return {t: db.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}


def test_exchange_format_round_trips_and_reimport_changes_nothing(tmp_path):
    source = open_database(tmp_path / "a.db", ACTOR)
    demo.generate(source, 250, seed=5, now=datetime(2026, 11, 1, tzinfo=UTC))
    first = amends_export.document(source)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(first))
    target = open_database(tmp_path / "b.db", ACTOR)
    report = importers.import_file(target, path)
    assert report.written and report.imported == 250 and not report.errors
    assert amends_export.document(target) == first
    before = counts(target)
    again = importers.import_file(target, path)
    assert (again.imported, again.unchanged) == (0, 250) and counts(target) == before
    # an updated export updates what changed
    first["tickets"][0]["subject"] = "Renamed in the helpdesk"
    first["tickets"][0]["messages"].append({"direction": "in", "author": "Ada", "at": "2026-11-01T09:00:00Z",
                                            "body": "any news?"})
    path.write_text(json.dumps(first))
    updated = importers.import_file(target, path)
    assert (updated.imported, updated.unchanged) == (1, 249)
    stored = tickets.page(target, tickets.InboxQuery(status="all", text="Renamed helpdesk"))[0]
    assert len(stored) == 1 and tickets.get(target, stored[0].id).messages[-1].body == "any news?"


def test_a_bad_record_keeps_the_whole_file_out(db, tmp_path):
    doc = {"format": "amends", "version": 1, "customers": [{"ref": "c1", "email": "a@example.com", "name": "A"}],
           "policies": [], "tickets": [
               {"ref": "t1", "customer": "c1", "subject": "Fine", "category": "billing", "status": "open",
                "created_at": "2026-01-05T10:00:00Z", "messages": []},
               {"ref": "t2", "customer": "c9", "subject": "", "category": "nope", "status": "open",
                "created_at": "soon", "messages": [{"direction": "sideways", "at": "x", "body": "y"}]}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    before = counts(db)
    report = importers.import_file(db, path)
    assert not report.written and report.imported == 0 and counts(db) == before
    fields = {(e.record, e.field) for e in report.errors}
    assert {(2, "tickets.customer"), (2, "tickets.subject"), (2, "tickets.category"), (2, "tickets.created_at"),
            (2, "tickets.messages[0].direction")} <= fields
    skipped = importers.import_file(db, path, skip_invalid=True)
    assert skipped.written and skipped.imported == 1 and skipped.skipped == 1
    assert db.scalar("SELECT count(*) FROM tickets") == 1


def test_dry_run_writes_nothing(db, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,subject,created_at\n1,Hello,2026-01-01\n2,World,2026-01-02\n")
    before = counts(db)
    report = importers.import_file(db, path, dry_run=True)
    assert report.imported == 2 and not report.written and counts(db) == before


def test_published_versions_in_the_file_must_match(db, tmp_path):
    doc = amends_export.document(db)
    doc["policies"][0]["versions"][0]["steps"].append({"type": "survey"})
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(doc))
    report = importers.import_file(db, path)
    assert not report.written and "never change" in report.errors[0].reason


@pytest.mark.parametrize("content, encoding", [
    ("\ufeffid;subject;category;created_at\n1;Box crushed;damaged_shipment;2026-01-05 10:00\n", "utf-8"),
    ("id\tsubject\tcategory\tcreated_at\n1\tBox crushed\tDamaged shipment\t2026-01-05\n", "utf-16"),
    ('id,subject,category,created_at\n1,"Box ""crushed""\nbadly",billing,05/01/2026\n', "utf-8"),
    ("id,subject,category,created_at\n1,Caf\xe9 box,other,2026-01-05\n", "cp1252"),
])
def test_csv_dialects_and_encodings(db, tmp_path, content, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(content.encode(encoding))
    report = importers.import_file(db, path, "csv")
    assert report.written and report.imported == 1, report.errors
    assert db.scalar("SELECT count(*) FROM tickets") == 1


def test_csv_problems_are_reported_by_line_and_nothing_is_written(db, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,subject,created_at\n1,Fine,2026-01-01\n2,Too,many,columns\n3,"unclosed,2026-01-01\n')
    report = importers.import_file(db, path)
    assert not report.written and db.scalar("SELECT count(*) FROM tickets") == 0
    assert [(e.record, e.reason.split(" ")[0]) for e in report.errors] == [(3, "4"), (4, "malformed")]


def test_column_mapping_and_customers_csv(db, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Ticket No,Betreff,Kunde,Datum\n7,Karton kaputt,ada@example.com,2026-02-01\n")
    report = importers.import_file(db, path, "csv", mapping={"Ticket No": "ref", "Betreff": "subject",
                                                             "Kunde": "customer_email", "Datum": "created_at"})
    assert report.written and report.imported == 1
    people = tmp_path / "customers.csv"
    people.write_text("email,name,plan,started_at,cycle_days,status,cancelled_at\n"
                      "ada@example.com,Ada,Coffee Monthly,2026-01-15,30,active,\n"
                      "bo@example.com,Bo,Tea Box,2025-06-01,30,cancelled,2026-01-01\n")
    result = importers.import_file(db, people)
    assert result.format == "customers" and result.imported == 2
    ticket = tickets.get(db, db.scalar("SELECT id FROM tickets WHERE ref = '7'"))
    assert ticket.billing_cycle == 1, "the customer's subscription now gives the ticket its cycle"
    assert importers.import_file(db, people).unchanged == 2


def test_csv_export_neutralises_formulas(db, tmp_path):
    tickets.create(db, "=HYPERLINK(\"http://evil\")", "x")
    tickets.create(db, "@SUM(A1)", "x")
    tickets.create(db, "+1", "x")
    out = tmp_path / "out.csv"
    assert tables.write_csv(db, out) == 3
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and "'+1" in text
    assert tables.safe_cell("-3") == "'-3" and tables.safe_cell("\tx") == "'\tx" and tables.safe_cell("ok") == "ok"


def test_cancel_rolls_the_whole_import_back(db, tmp_path):
    lines = "\n".join(f"{i},Subject {i},2026-01-01" for i in range(1200))
    path = tmp_path / "big.csv"
    path.write_text("id,subject,created_at\n" + lines + "\n")
    before = counts(db)
    with pytest.raises(Cancelled):
        importers.import_file(db, path, cancelled=lambda: True)
    assert counts(db) == before


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_as_csv_never_crash_or_half_import(db, tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(b"id,subject,created_at\n" + data)
    before = counts(db)
    try:
        report = importers.import_file(db, path, "csv")
    except Exception as error:  # noqa: BLE001 - only known errors may escape
        from amends.core.errors import AmendsError

        assert isinstance(error, AmendsError), repr(error)
        assert counts(db) == before
        return
    if not report.written:
        assert counts(db) == before


@SETTINGS
@given(doc=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                            st.sampled_from(["format", "version", "customers", "policies", "tickets", "ref",
                                             "subject", "messages", "created_at", "category", "resolution"]),
                            inner, max_size=6), max_leaves=30))
def test_arbitrary_json_never_crashes_or_half_imports(db, tmp_path, doc):
    if isinstance(doc, dict):
        doc = {"format": "amends", "version": 1} | doc
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(doc))
    before = counts(db)
    report = importers.import_file(db, path, "amends")
    if not report.written:
        assert counts(db) == before


def test_exchange_format_carries_tags_snoozes_merges_and_saved_replies(tmp_path):
    from amends.core import merges, replies, snooze, tags

    source = open_database(tmp_path / "a.db", ACTOR)
    demo.generate(source, 40, seed=2, now=datetime(2026, 11, 1, tzinfo=UTC))
    ids = [r[0] for r in source.tuples("SELECT id FROM tickets ORDER BY id")]
    tags.add(source, ids[:3], "Wholesale")
    tags.set_colour(source, tags.get_or_create(source, "Wholesale").id, "#123456")
    snooze.snooze(source, [ids[5]], "7d")
    merges.merge(source, ids[7], ids[6])
    replies.save(source, "Wholesale hello", "Hi {customer.first_name}, your pallet ships Monday.", None)
    doc = amends_export.document(source)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    target = open_database(tmp_path / "b.db", ACTOR)
    assert not importers.import_file(target, path).errors
    assert amends_export.document(target) == doc
    by_ref = dict(target.tuples("SELECT ref, id FROM tickets"))
    ref = dict(source.tuples("SELECT id, ref FROM tickets"))
    assert tickets.get(target, by_ref[ref[ids[7]]]).merged_into == by_ref[ref[ids[6]]]
    assert {t.name: t.colour for t in tags.all_tags(target)}["Wholesale"] == "#123456"
    assert any(r.name == "Wholesale hello" for r in replies.all_replies(target))


def test_bad_tags_and_replies_in_an_exchange_document_are_reported(db, tmp_path):
    doc = {"format": "amends", "version": 1, "customers": [], "policies": [],
           "tickets": [{"ref": "t1", "subject": "A", "category": "other", "status": "open",
                        "created_at": "2026-01-05T10:00:00Z", "tags": ["ok", "bad:tag"], "merged_into": "t9",
                        "snoozed_until": "later"}],
           "tags": [{"name": "ok", "colour": "red"}],
           "saved_replies": [{"name": "Typo", "body": "Hi {customer.firstname}"}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    before = db.scalar("SELECT total_changes()")
    report = importers.import_file(db, path)
    assert not report.written and db.scalar("SELECT total_changes()") == before
    fields = {e.field for e in report.errors}
    assert {"tickets.tags[1]", "tickets.merged_into", "tickets.snoozed_until", "tags.colour",
            "saved_replies.body"} <= fields


# -- hostile values (issue 11, point 9) -------------------------------------

def _policy_doc(**step) -> dict:
    offer = {"type": "save_offer", "offer_kind": "percent_next_cycle", "min": 0, "max": 15} | step
    return {"format": "amends", "version": 1, "policies": [
        {"ref": "p1", "name": "Damage", "category": "damaged_shipment", "segment": "any",
         "versions": [{"version": 1, "published_at": "2026-01-01T00:00:00Z", "steps": [offer]}]}], "tickets": []}


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_in_policy_bounds_are_problems(db, tmp_path, raw):
    text = json.dumps(_policy_doc(max=123456)).replace("123456", raw)
    before = counts(db)
    report = importers.import_file(db, _write(tmp_path, "p.json", text))
    assert not report.written and counts(db) == before
    assert [(e.record, e.field) for e in report.errors] == [(1, "policies.versions[0].steps[0].max")]
    assert "finite" in report.errors[0].reason


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e400", "1e300", "-5"])
def test_nan_and_infinity_offers_are_problems(db, tmp_path, raw):
    doc = _policy_doc()
    doc["tickets"] = [{"ref": "t1", "subject": "Crushed", "category": "damaged_shipment", "status": "resolved",
                       "created_at": "2026-01-02T00:00:00Z", "resolution": {
                           "at": "2026-01-03T00:00:00Z", "policy": "p1", "policy_version": 1,
                           "steps": [{"index": 0, "type": "save_offer", "outcome": "done"}],
                           "offer": {"value": 123456}}}]
    report = importers.import_file(db, _write(tmp_path, "o.json", json.dumps(doc).replace("123456", raw)))
    assert not report.written and db.scalar("SELECT count(*) FROM resolutions") == 0
    assert [(e.record, e.field) for e in report.errors] == [(1, "tickets.resolution.offer.value")]


def test_bounds_and_offers_must_be_finite_in_the_core_too():
    from amends.core import policies, resolution

    nan_bounds = policies.Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=float("nan"))
    assert policies.validate("P", "billing", "any", [nan_bounds])
    inf_days = policies.Step("check_in", days=float("inf"))
    assert policies.validate("P", "billing", "any", [inf_days])
    version = policies.PolicyVersion(1, 1, "P", 1, "", "", "", (policies.Step(
        "save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=15),))
    checklist = resolution.Checklist(1, 1, "open", "billing", version, "P v1", "any")
    done = [resolution.StepOutcome(0, True)]
    for value in (float("nan"), float("inf")):
        problems = resolution.check(checklist, done, resolution.Offer(value, override_reason="because"))
        assert [f for f, _ in problems] == ["offer"], value


def test_two_policies_with_the_same_scope_are_a_problem(db, tmp_path):
    doc = _policy_doc()
    doc["policies"].append(dict(doc["policies"][0], ref="p2", name="Damage again"))
    report = importers.import_file(db, _write(tmp_path, "two.json", json.dumps(doc)))
    assert not report.written
    assert [(e.record, e.field) for e in report.errors] == [(2, "policies.segment")]
    # one of them imports; the other, in a later file, clashes with it
    doc["policies"].pop()
    assert importers.import_file(db, _write(tmp_path, "one.json", json.dumps(doc))).written
    doc["policies"][0] = dict(doc["policies"][0], ref="p3", name="Damage, third")
    before = counts(db)
    later = importers.import_file(db, _write(tmp_path, "three.json", json.dumps(doc)))
    assert not later.written and counts(db) == before
    assert [(e.record, e.field) for e in later.errors] == [(1, "policies.segment")]
    assert "Damage" in later.errors[0].reason


def test_a_duplicate_ref_in_a_csv_is_a_problem_not_an_overwrite(db, tmp_path):
    path = _write(tmp_path, "dup.csv", "id,subject,created_at\nA-1,First,2026-01-05\nA-1,Second,2026-01-06\n")
    report = importers.import_file(db, path)
    assert not report.written and db.scalar("SELECT count(*) FROM tickets") == 0
    assert [(e.record, e.field) for e in report.errors] == [(3, "ref")]
    assert "line 2" in report.errors[0].reason


def test_a_duplicate_id_in_a_helpdesk_export_is_a_problem(db, tmp_path):
    ticket = {"id": 7, "subject": "Odd", "status": "open", "created_at": "2026-01-01T00:00:00Z"}
    report = importers.import_file(db, _write(tmp_path, "z.json", json.dumps({"tickets": [ticket, ticket]})),
                                   "zendesk")
    assert not report.written and [(e.record, e.field) for e in report.errors] == [(2, "id")]


def test_a_200_kb_csv_cell_imports(db, tmp_path):
    body = "word " * 40_000
    path = _write(tmp_path, "long.csv", f'id,subject,body,created_at\nL-1,Long,"{body}",2026-01-05\n')
    report = importers.import_file(db, path)
    assert report.written and not report.errors
    assert db.scalar("SELECT length(body) FROM messages") == len(body)


@pytest.mark.parametrize("value", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "1899-12-31",
                                   "3000-01-01T00:00:00Z", "0001-01-01"])
def test_dates_out_of_range_are_problems(db, tmp_path, value):
    path = _write(tmp_path, "d.csv", f"id,subject,created_at\nD-1,Dated,{value}\n")
    report = importers.import_file(db, path)
    assert not report.written and [(e.record, e.field) for e in report.errors] == [(2, "created_at")]
    assert "1900" in report.errors[0].reason


def test_superscript_two_and_odd_utf16_are_problems(db, tmp_path):
    customers = _write(tmp_path, "c.csv", "email,plan,started_at,cycle_days\na@example.com,Monthly,2026-01-01,²\n")
    report = importers.import_file(db, customers, "customers")
    assert [(e.record, e.field) for e in report.errors] == [(2, "subscription")]
    odd = tmp_path / "odd.csv"
    odd.write_bytes("id,subject,created_at\nU-1,Odd,2026-01-05\n".encode("utf-16")[:-1])
    report = importers.import_file(db, odd)
    assert not report.written and "UTF-16" in report.errors[0].reason


@pytest.mark.parametrize("text", ['{"format": "amends", "version": 1, "tickets": ' + "[" * 50_000 + "]" * 50_000 + "}",
                                  '{"format": "amends", "version": 1, "tickets": [{"ref": "t1", "subject": "a \\ud800", '
                                  '"category": "other", "status": "open", "created_at": "2026-01-05T10:00:00Z"}]}',
                                  '{"format": "amends", "version": 1, "x": ' + "9" * 5000 + "}"])
def test_deep_json_surrogates_and_huge_numbers_are_problems(db, tmp_path, text):
    report = importers.import_file(db, _write(tmp_path, "h.json", text))
    assert not report.written and report.errors and counts(db)["tickets"] == 0


def test_a_problem_quoting_a_huge_cell_stays_short(db, tmp_path):
    path = _write(tmp_path, "big.csv", f"id,subject,created_at\nB-1,Big,{'x' * 200_000}\n")
    report = importers.import_file(db, path)
    assert [(e.record, e.field) for e in report.errors] == [(2, "created_at")]
    assert len(report.errors[0].reason) <= 300


def test_a_policy_stored_with_missing_bounds_refuses_offers_instead_of_crashing():
    """Files imported before bounds were checked stored NaN as NULL: resolving
    under such a version says what is wrong instead of a TypeError."""
    from amends.core import policies, resolution

    version = policies.PolicyVersion(1, 1, "P", 1, "", "", "", (policies.Step(
        "save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=None),))
    checklist = resolution.Checklist(1, 1, "open", "billing", version, "P v1", "any")
    problems = resolution.check(checklist, [resolution.StepOutcome(0, True)], resolution.Offer(5))
    assert [f for f, _ in problems] == ["offer"] and "publish" in problems[0][1]
