"""Rules sort new tickets: applied on import (and so on mail fetch, which
imports through the same writer), never over what the import set itself,
audited, tried on a period before saving."""

from __future__ import annotations

from datetime import date

import pytest
from amends.core import audit, importers, rules, tickets
from amends.core.errors import NotFound, ValidationError
from amends.core.insights.period import Period
from amends.core.vocabulary import CATEGORIES

from tests.conftest import make_ticket


def mbox(path, *mails: tuple[str, str, str]) -> object:
    """Write an mbox of (message id, subject, body) mails."""
    chunks = []
    for number, (message_id, subject, body) in enumerate(mails):
        chunks.append(f"From ada@example.com Mon Jan  5 10:00:0{number} 2026\nFrom: Ada <ada@example.com>\n"
                      f"Subject: {subject}\nDate: Mon, 05 Jan 2026 10:00:0{number} +0000\n"
                      f"Message-ID: <{message_id}@x>\n\n{body}\n")
    path.write_text("".join(chunks), encoding="utf-8")
    return path


def by_subject(db, subject: str) -> tickets.Ticket:
    return tickets.get(db, db.scalar("SELECT id FROM tickets WHERE subject = ?", (subject,)))


def test_a_new_database_has_a_rule_for_every_category(db):
    found = rules.all_rules(db)
    assert {r.category for r in found} == set(CATEGORIES) - {"other"}
    assert [r.position for r in found] == sorted(r.position for r in found)
    assert any(" OR " in r.query for r in found)


def test_mail_import_sorts_by_rule_and_audits_it(db, tmp_path):
    report = importers.import_file(db, mbox(tmp_path / "in.mbox", ("a", "Box arrived crushed", "all broken"),
                                            ("b", "Question", "Do you ship to Norway?"),
                                            ("c", "Charged twice", "my card was charged twice")))
    assert report.imported == 3
    crushed, question, billed = (by_subject(db, s) for s in ("Box arrived crushed", "Question", "Charged twice"))
    assert (crushed.category, question.category, billed.category) == ("damaged_shipment", "other", "billing")
    entries = [e for e in audit.for_entity(db, "ticket", crushed.id) if e.action == "rule"]
    assert len(entries) == 1
    assert entries[0].change["summary"] == "rule 'Crushed or broken boxes' set category damaged_shipment"
    assert entries[0].change["set"] == {"category": "damaged_shipment"}
    assert audit.describe(entries[0]) == "rule 'Crushed or broken boxes' set category damaged_shipment", \
        "the history and the Audit pane say it in words"
    assert not [e for e in audit.for_entity(db, "ticket", question.id) if e.action == "rule"]


def test_importing_again_changes_nothing(db, tmp_path):
    path = mbox(tmp_path / "in.mbox", ("a", "Box arrived crushed", "all broken"))
    importers.import_file(db, path)
    before = by_subject(db, "Box arrived crushed")
    again = importers.import_file(db, path)
    after = by_subject(db, "Box arrived crushed")
    assert again.imported == 0 and after.category == "damaged_shipment" and after.version == before.version
    assert db.scalar("SELECT count(*) FROM audit_log WHERE action = 'rule'") == 1


def test_a_category_set_by_a_person_survives_importing_the_mail_again(db, tmp_path):
    path = mbox(tmp_path / "in.mbox", ("b", "Question", "Do you ship to Norway?"))
    importers.import_file(db, path)
    ticket = by_subject(db, "Question")
    tickets.update(db, ticket.id, ticket.version, category="late_delivery")
    importers.import_file(db, path)
    assert by_subject(db, "Question").category == "late_delivery"


def test_what_the_import_sets_itself_is_left_alone(db, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ref,subject,body,category,priority,created_at\n"
                    "r1,Box crushed,it is broken,billing,,2026-01-05T10:00:00Z\n"
                    "r2,Box crushed,it is broken,,,2026-01-05T10:00:00Z\n", encoding="utf-8")
    rules.add(db, rules.Rule("Urgent breakage", "broken", priority=3, tags=("fragile",)))
    importers.import_file(db, path)
    given = tickets.get(db, db.scalar("SELECT id FROM tickets WHERE ref = 'r1'"))
    free = tickets.get(db, db.scalar("SELECT id FROM tickets WHERE ref = 'r2'"))
    assert given.category == "billing", "the file said billing: no rule overrides it"
    assert free.category == "damaged_shipment"
    assert given.priority == free.priority == 3, "the file left priority at its default"
    assert db.scalar("SELECT count(*) FROM ticket_tags") == 2


def test_first_matching_rule_sets_a_field_later_ones_add_the_rest(db, tmp_path):
    rules.add(db, rules.Rule("Broken to Ana", "broken", category="product_quality", assignee="Ana Ruiz",
                             tags=("breakage",)))
    importers.import_file(db, mbox(tmp_path / "in.mbox", ("a", "Jar broken", "glass everywhere")))
    ticket = by_subject(db, "Jar broken")
    assert ticket.category == "damaged_shipment", "the default rule comes first"
    assert ticket.assignee == "Ana Ruiz", "the later rule still sets what no earlier one did"
    summaries = sorted(e.change["summary"] for e in audit.for_entity(db, "ticket", ticket.id) if e.action == "rule")
    assert summaries == ["rule 'Broken to Ana' set assignee Ana Ruiz and tags breakage",
                         "rule 'Crushed or broken boxes' set category damaged_shipment"]


def test_rules_only_touch_the_new_tickets(db, tmp_path):
    old = make_ticket(db, None, "other", "2026-01-01T00:00:00Z", "Crushed", "crushed box")
    importers.import_file(db, mbox(tmp_path / "in.mbox", ("a", "Box arrived crushed", "all broken")))
    assert tickets.get(db, old).category == "other"


def test_disabled_rules_do_not_run(db, tmp_path):
    rule = rules.get(db, "Crushed or broken boxes")
    rules.update(db, rules.Rule(rule.name, rule.query, rule.category, enabled=False, id=rule.id,
                                version=rule.version))
    importers.import_file(db, mbox(tmp_path / "in.mbox", ("a", "Box arrived crushed", "all broken")))
    assert by_subject(db, "Box arrived crushed").category == "other"


def test_trial_counts_what_a_rule_would_have_matched(db):
    for n in range(3):
        make_ticket(db, None, "damaged_shipment", f"2026-02-0{n + 1}T00:00:00Z", "Crushed box", "crushed")
    make_ticket(db, None, "other", "2026-02-05T00:00:00Z", "It is crushed", "see photo")
    make_ticket(db, None, "other", "2026-04-05T00:00:00Z", "Crushed", "outside the period")
    make_ticket(db, None, "billing", "2026-02-05T00:00:00Z", "Charged", "twice")
    found = rules.trial(db, rules.Rule("Crushed", "crushed OR smashed", category="damaged_shipment"),
                        Period(date(2026, 2, 1), date(2026, 3, 31)))
    assert found.matched == 4 and found.by_category == {"damaged_shipment": 3, "other": 1}
    assert found.summary == "would have matched 4 tickets: 3 already damaged_shipment, 1 other"
    shape = found.as_dict()
    assert shape["already"] == 3 and shape["would_change"] == 1 and shape["since"] == "2026-02-01"


@pytest.mark.parametrize("rule, field, words", [
    (rules.Rule("", "crushed", category="billing"), "name", "needs a name"),
    (rules.Rule("x", "", category="billing"), "when", "empty"),
    (rules.Rule("x", "-", category="billing"), "when", "empty"),
    (rules.Rule("x", "status:closed", category="billing"), "when", "status is one of"),
    (rules.Rule("x", "crushed OR", category="billing"), "when", "OR needs"),
    (rules.Rule("x", "crushed"), "set", "at least one"),
    (rules.Rule("x", "crushed", category="broken"), "category", "not a category"),
    (rules.Rule("x", "crushed", priority=7), "priority", "0 (low)"),
    (rules.Rule("x", "crushed", tags=("a:b",)), "tag", "no colons"),
])
def test_bad_rules_are_refused_with_the_field_named(db, rule, field, words):
    count = db.scalar("SELECT count(*) FROM rules")
    with pytest.raises(ValidationError) as caught:
        rules.add(db, rule)
    assert any(f == field and words in reason for f, reason in caught.value.problems), caught.value.problems
    assert db.scalar("SELECT count(*) FROM rules") == count


def test_a_name_is_used_once_and_unknown_names_are_explained(db):
    with pytest.raises(ValidationError, match="exists already"):
        rules.add(db, rules.Rule("crushed or broken BOXES", "x", category="billing"))
    with pytest.raises(NotFound, match="Crushed or broken boxes"):
        rules.get(db, "Nope")


def test_rule_text_is_never_sql_or_fts_syntax(db, tmp_path):
    rules.add(db, rules.Rule("Hostile", "'; DROP TABLE tickets; -- OR \"NEAR(\" OR x* OR \"a)b\"", tags=("odd",)))
    importers.import_file(db, mbox(tmp_path / "in.mbox", ("a", "drop table", "Please DROP TABLE tickets now")))
    assert db.scalar("SELECT count(*) FROM tickets") == 1
    assert db.scalar("SELECT count(*) FROM ticket_tags") == 1, "the words matched as words"


def test_reorder_and_remove(db):
    ids = [r.id for r in rules.all_rules(db)]
    rules.reorder(db, list(reversed(ids)))
    assert [r.id for r in rules.all_rules(db)] == list(reversed(ids))
    with pytest.raises(ValidationError):
        rules.reorder(db, ids[:2])
    rules.remove(db, ids[0])
    assert ids[0] not in [r.id for r in rules.all_rules(db)]


def test_parse_set():
    assert rules.parse_set(["category=billing", "tag=vip", "tag=refund", "priority=high", "assignee=Ana"]) == {
        "category": "billing", "tags": ("vip", "refund"), "priority": 2, "assignee": "Ana"}
    for bad in (["colour=red"], ["category"], ["category="], ["priority=9"], ["category=a", "category=b"]):
        with pytest.raises(ValidationError):
            rules.parse_set(bad)
