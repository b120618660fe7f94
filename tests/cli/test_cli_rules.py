"""``amends rules``: list, add, test (and remove), as a real process."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import amends, one_line_error


@pytest.fixture
def db_file(tmp_path, db_target):
    path = db_target
    mbox = tmp_path / "in.mbox"
    mbox.write_text(
        "From ada@example.com Mon Jan  5 10:00:00 2026\nFrom: Ada <ada@example.com>\nSubject: Box arrived crushed\n"
        "Date: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <a@x>\n\nAll broken.\n"
        "From bo@example.com Mon Jan  5 11:00:00 2026\nFrom: Bo <bo@example.com>\nSubject: Dented tin\n"
        "Date: Mon, 05 Jan 2026 11:00:00 +0000\nMessage-ID: <b@x>\n\nThe tin is dented.\n", encoding="utf-8")
    result = amends("--db", str(path), "import", str(mbox))
    assert result.returncode == 0, result.stderr
    return path


def test_list_shows_the_default_rules_as_json(db_file):
    result = amends("--db", str(db_file), "rules", "list", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["position"] for r in data["rules"]] == sorted(r["position"] for r in data["rules"])
    first = data["rules"][0]
    assert set(first) == {"id", "name", "position", "when", "set", "enabled", "version"}
    assert first["set"] == {"category": "damaged_shipment"} and " OR " in first["when"]


def test_add_then_test_a_rule(db_file):
    result = amends("--db", str(db_file), "rules", "add", "--name", "Dents", "--when", "dented OR dent",
                    "--set", "category=damaged_shipment", "--set", "tag=dent", "--set", "priority=2",
                    "--set", "assignee=Ana Ruiz")
    assert result.returncode == 0, result.stderr
    assert "Dents" in result.stdout
    listed = json.loads(amends("--db", str(db_file), "rules", "list", "--json").stdout)["rules"]
    assert listed[-1]["name"] == "Dents"
    assert listed[-1]["set"] == {"category": "damaged_shipment", "tags": ["dent"], "priority": 2,
                                 "assignee": "Ana Ruiz"}
    tried = amends("--db", str(db_file), "rules", "test", "Dents", "--since", "2026-01-01", "--until",
                   "2026-01-31", "--json")
    assert tried.returncode == 0, tried.stderr
    data = json.loads(tried.stdout)
    assert data["matched"] == 1 and data["by_category"] == {"damaged_shipment": 1}
    assert data["already"] == 1 and data["would_change"] == 0
    assert data["since"] == "2026-01-01" and data["until"] == "2026-01-31"
    assert data["summary"] == "would have matched 1 ticket: 1 already damaged_shipment"
    text = amends("--db", str(db_file), "rules", "test", "Dents", "--since", "2026-01-01", "--until", "2026-01-31")
    assert "would have matched 1 ticket" in text.stdout


def test_add_dry_run_tries_without_saving(db_file):
    result = amends("--db", str(db_file), "rules", "add", "--name", "Tins", "--when", "tin", "--set",
                    "category=product_quality", "--dry-run", "--since", "2026-01-01", "--until", "2026-01-31",
                    "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["by_category"] == {"damaged_shipment": 1}
    listed = json.loads(amends("--db", str(db_file), "rules", "list", "--json").stdout)["rules"]
    assert "Tins" not in [r["name"] for r in listed]


def test_remove(db_file):
    assert amends("--db", str(db_file), "rules", "remove", "Cancellations").returncode == 0
    listed = json.loads(amends("--db", str(db_file), "rules", "list", "--json").stdout)["rules"]
    assert "Cancellations" not in [r["name"] for r in listed]


@pytest.mark.parametrize("args, status, words", [
    (["add", "--name", "x", "--when", "a", "--set", "colour=red"], 2, "KEY=VALUE"),
    (["add", "--name", "x", "--when", "a", "--set", "category"], 2, "KEY=VALUE"),
    (["add", "--name", "x", "--when", "a", "--set", "priority=9"], 2, "not a priority"),
    (["add", "--name", "x", "--when", "a"], 2, "--set"),
    (["add", "--name", "x", "--when", "status:closed", "--set", "category=billing"], 1, "status is one of"),
    (["add", "--name", "x", "--when", "a OR", "--set", "category=billing"], 1, "OR needs"),
    (["add", "--name", "x", "--when", "a", "--set", "category=broken"], 1, "not a category"),
    (["add", "--name", "cancellations", "--when", "a", "--set", "category=billing"], 1, "exists already"),
    (["test", "Nope", "--json"], 1, "No rule is called 'Nope'"),
    (["test", "Cancellations", "--since", "yesterday"], 2, "YYYY-MM-DD"),
    # an end before the start is a bad argument: exit 2, like every other command's period
    (["test", "Cancellations", "--since", "2026-02-01", "--until", "2026-01-01"], 2, "before"),
    (["frobnicate"], 2, "invalid choice"),
    ([], 2, "list|add|test|remove"),
])
def test_bad_input_is_one_clear_line_and_changes_nothing(db_file, args, status, words):
    before = amends("--db", str(db_file), "rules", "list", "--json").stdout
    result = amends("--db", str(db_file), "rules", *args)
    assert result.returncode == status, (result.returncode, result.stderr)
    assert words in one_line_error(result)
    assert amends("--db", str(db_file), "rules", "list", "--json").stdout == before
