"""The ``amends`` command, run as a separate process, as users and scripts
run it. Every failure is one line on stderr and a non-zero status."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from amends import __version__
from amends.core.store.schema import CURRENT_VERSION

from tests.cli.conftest import Target

BIN = Path(sys.executable).parent / "amends"


def amends(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "amends"]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("amends: ")
    return lines[0]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    result = amends("--db", str(path), "demo", "--tickets", "500", "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "500 tickets" in result.stdout
    return path


@pytest.fixture(scope="module")
def demo(backend, module_targets, request) -> Target:
    """The same demo on the backend of the test's param: the file above, or a server database."""
    if backend == "sqlite":
        return Target("sqlite", str(request.getfixturevalue("demo_file")))
    target = module_targets.new()
    result = amends("--db", str(target), "demo", "--tickets", "500", "--seed", "5")
    assert result.returncode == 0, result.stderr
    return target


def test_entry_point_is_installed():
    assert BIN.exists() or shutil.which("amends"), "pip install -e . provides the amends command"


def test_version():
    result = amends("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"amends {__version__}"


def test_stats_json(demo):
    result = amends("--db", str(demo), "stats", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["tickets"] == 500 and data["customers"] > 0 and data["policies"] == 9
    assert data["schema_version"] == CURRENT_VERSION
    assert [(data["open"],)] == demo.rows("SELECT count(*) FROM tickets WHERE status = 'open'")


def test_check_healthy(demo):
    result = amends("--db", str(demo), "check")
    assert result.returncode == 0 and "healthy" in result.stdout


def test_check_finds_damage(tmp_path, demo_file):
    broken = tmp_path / "broken.db"
    shutil.copy(demo_file, broken)
    raw = sqlite3.connect(broken)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    data = bytearray(broken.read_bytes())
    page = 4096
    for offset in range(page * 40, page * 60):
        data[offset] = 0x55
    broken.write_bytes(bytes(data))
    result = amends("--db", str(broken), "check")
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_search_json_and_text(demo):
    result = amends("--db", str(demo), "search", "box", "--limit", "5", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert 0 < data["count"] <= 5 and len(data["tickets"]) == data["count"]
    ids = [t["id"] for t in data["tickets"]]
    assert ids == sorted(ids, reverse=True), "newest first"
    assert all(t["ref"].startswith("demo-t") for t in data["tickets"])
    text = amends("--db", str(demo), "search", 'NEAR( "x" OR')
    assert text.returncode == 0 and "No tickets match" in text.stdout


def test_search_speaks_the_fields_of_triage(demo):
    vip = json.loads(amends("--db", str(demo), "search", "tag:VIP", "--limit", "500", "--json").stdout)
    assert vip["count"] > 0 and all("VIP" in t["tags"] for t in vip["tickets"])
    snoozed = json.loads(amends("--db", str(demo), "search", "is:snoozed", "--json").stdout)
    assert snoozed["count"] > 0 and all(t["snoozed_until"] for t in snoozed["tickets"])
    assert [t["snoozed_until"] for t in snoozed["tickets"]] == sorted(t["snoozed_until"] for t in snoozed["tickets"])
    text = amends("--db", str(demo), "search", "tag:VIP", "--limit", "1")
    assert "[VIP]" in text.stdout
    wrong = amends("--db", str(demo), "search", "tag:vpi")
    assert wrong.returncode != 0 and "tag:vpi" in wrong.stderr and "VIP" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def _open_damaged_ticket(target: Target) -> int:
    [(found,)] = target.rows("SELECT id FROM tickets WHERE status <> 'resolved' AND category = 'damaged_shipment' "
                             "ORDER BY id LIMIT 1")
    return found


def test_resolve_follows_the_same_rules_as_the_dialog(targets, demo):
    path = targets.copy(demo, "resolve.db")
    ticket = _open_damaged_ticket(path)
    missing = amends("--db", str(path), "resolve", str(ticket), "--step", "1=done")
    assert missing.returncode == 1 and "was not resolved" in missing.stderr and "Traceback" not in missing.stderr
    assert "1. Apology" in missing.stderr, "the checklist is listed so the person can complete it"
    steps = ["--step", "1=done", "--step", "2=skip:customer kept it", "--step", "3=done", "--step", "4=done",
             "--step", "5=done"]
    outside = amends("--db", str(path), "resolve", str(ticket), *steps, "--offer", "40")
    assert outside.returncode == 1 and "override reason" in outside.stderr
    done = amends("--db", str(path), "resolve", str(ticket), *steps, "--offer", "40",
                  "--override-reason", "VIP", "--actor", "cli@test")
    assert done.returncode == 0, done.stderr
    assert "follow-up due" in done.stdout
    [row] = path.rows("SELECT actor, offer_value, offer_in_bounds, override_reason, policy_version_id "
                      "FROM resolutions WHERE ticket_id = ?", (ticket,))
    assert row[:4] == ("cli@test", 40.0, 0, "VIP") and row[4] is not None
    skipped = path.rows("SELECT reason FROM resolution_steps s JOIN resolutions r ON r.id = s.resolution_id "
                        "WHERE r.ticket_id = ? AND s.outcome = 'skipped'", (ticket,))
    assert skipped == [("customer kept it",)]
    again = amends("--db", str(path), "resolve", str(ticket), *steps, "--offer", "10")
    assert "already resolved" in one_line_error(again)


@pytest.mark.parametrize("args, expected", [
    (["stats", "--bogus"], 2),
    (["demo"], 2),
    (["demo", "--tickets", "-3"], 2),
    (["resolve", "abc"], 2),
    (["resolve", "1", "--step", "one=done"], 2),  # a bad argument, as the README says
    (["resolve", "999999"], 1),
    (["frobnicate"], 2),
])
def test_bad_arguments_get_one_line(demo, args, expected):
    result = amends("--db", str(demo), *args)
    one_line_error(result)
    assert result.returncode == expected


def test_missing_and_non_database_files(tmp_path):
    for command in (["stats", "--json"], ["check"], ["search", "x"], ["resolve", "1"]):
        missing = amends("--db", str(tmp_path / "absent.db"), *command)
        assert "does not exist" in one_line_error(missing)
    assert not (tmp_path / "absent.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_text("hello, not sqlite")
    before = junk.read_bytes()
    assert "not an Amends database" in one_line_error(amends("--db", str(junk), "stats"))
    assert junk.read_bytes() == before
    assert "does not exist" in one_line_error(amends("--db", str(tmp_path / "no" / "dir.db"), "demo",
                                                     "--tickets", "5"))


def test_newer_schema_is_refused_untouched(tmp_path, demo_file):
    path = tmp_path / "future.db"
    shutil.copy(demo_file, path)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.execute("PRAGMA user_version = 42")
    raw.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    for command in (["stats"], ["check"], ["demo", "--tickets", "3"]):
        assert "newer Amends" in one_line_error(amends("--db", str(path), *command))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_amends_db_environment_variable(db_target):
    path = db_target
    assert amends("demo", "--tickets", "20", env={"AMENDS_DB": str(path)}).returncode == 0
    result = amends("stats", "--json", env={"AMENDS_DB": str(path)})
    assert json.loads(result.stdout)["tickets"] == 20


def test_demo_refuses_a_full_database(demo):
    assert "already holds" in one_line_error(amends("--db", str(demo), "demo", "--tickets", "5"))


def test_no_command_launches_the_app(tmp_path, demo_file):
    """``amends --db PATH`` opens the main window (offscreen here); the
    startup probe quits after the first inbox page is painted."""
    env = {"QT_QPA_PLATFORM": "offscreen", "AMENDS_STARTUP_PROBE": "1"}
    result = amends("--db", str(demo_file), env=env)
    assert result.returncode == 0, result.stderr
    assert "first_paint_ms=" in result.stdout and "rows=" in result.stdout
    assert "rows=0" not in result.stdout
    fresh = tmp_path / "fresh.db"
    assert amends("--db", str(fresh), env=env).returncode == 0
    assert fresh.exists(), "a new database is created on first start"


def test_default_database_lives_in_the_user_data_dir(tmp_path):
    home = tmp_path / "home"
    env = {"QT_QPA_PLATFORM": "offscreen", "AMENDS_STARTUP_PROBE": "1", "AMENDS_HOME": str(home)}
    result = amends(env=env)
    assert result.returncode == 0, result.stderr
    assert (home / "data" / "amends.db").exists()


def test_insights_json_has_the_contracted_shape(demo):
    result = amends("--db", str(demo), "insights", "--since", "2025-01-01", "--until", "2026-12-31",
                    "--churn-window-days", "45", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["period"] == {"since": "2025-01-01", "until": "2026-12-31"}
    row = data["recurring"][0]
    assert {"category", "tickets", "per_1000_active", "covered_by_policy", "flag", "reason"} <= set(row)
    assert {r["category"] for r in data["recurring"]} >= {"damaged_shipment", "other"}
    offers = data["offers"]
    assert {"actor", "category", "count", "min", "median", "max"} <= set(offers["by_actor"][0])
    out = offers["out_of_range"][0]
    assert {"ticket", "actor", "category", "value", "min", "max", "override_reason"} <= set(out)
    assert set(out["ticket"]) == {"id", "ref"} and out["ticket"]["ref"].startswith("demo-t")
    churn = data["cycle1_churn"]
    assert churn["window_days"] == 45
    for group in ("cycle1", "later", "cycle1_recovered", "cycle1_not_recovered"):
        assert {"customers", "churned", "rate"} <= set(churn[group])
    assert 0 <= data["checklist_completion"] <= 1 and isinstance(data["followups_overdue"], int)
    assert sum(r["tickets"] for r in data["recurring"]) == 500


def test_insights_json_is_the_reviews_to_json(demo):
    """The command prints exactly what the core's typed Review gives as JSON
    (whose shape tests/core/test_insights.py holds to a recorded file)."""
    from datetime import date

    from amends.core import insights
    from amends.core.workspace import open_database

    result = amends("--db", str(demo), "insights", "--since", "2025-01-01", "--until", "2026-12-31",
                    "--min-tickets", "7", "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    db = open_database(str(demo), "tester", create=False)
    try:
        review = insights.compute(db, insights.Period(date(2025, 1, 1), date(2026, 12, 31)),
                                  insights.Settings(insights.Thresholds(min_tickets=7)), now=printed["as_of"])
    finally:
        db.close()
    assert result.stdout == json.dumps(review.to_json(), indent=2, ensure_ascii=False) + "\n"


def test_insights_text_and_bad_dates(demo):
    text = amends("--db", str(demo), "insights", "--since", "2025-01-01")
    assert text.returncode == 0 and "Recurring complaints" in text.stdout and "Churn within 60 days" in text.stdout
    assert "dates are YYYY-MM-DD" in one_line_error(amends("--db", str(demo), "insights", "--since", "May"))


def test_report_writes_a_pdf(tmp_path, demo):
    out = tmp_path / "q3.pdf"
    result = amends("--db", str(demo), "report", "--out", str(out), "--since", "2026-07-01",
                    "--until", "2026-09-30", env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:5] == b"%PDF-" and out.stat().st_size > 10_000
    missing = amends("--db", str(demo), "report", "--out", str(tmp_path / "no" / "x.pdf"))
    assert "does not exist" in one_line_error(missing)


def test_backup_and_restore_commands(tmp_path, demo_file):
    work = tmp_path / "work.db"
    shutil.copy(demo_file, work)
    copy = tmp_path / "copy.db"
    done = amends("--db", str(work), "backup", str(copy))
    assert done.returncode == 0 and "integrity ok" in done.stdout
    folder_copy = amends("--db", str(work), "backup", str(tmp_path))
    assert folder_copy.returncode == 0
    assert "exists" in one_line_error(amends("--db", str(work), "backup", str(copy)))
    raw = sqlite3.connect(work)
    raw.execute("DELETE FROM messages")
    raw.commit()
    raw.close()
    refused = amends("--db", str(work), "restore", str(copy))
    assert "--force" in one_line_error(refused)
    restored = amends("--db", str(work), "restore", str(copy), "--force")
    assert restored.returncode == 0 and "kept as" in restored.stdout
    raw = sqlite3.connect(work)
    assert raw.execute("SELECT count(*) FROM messages").fetchone()[0] > 0
    raw.close()
    fresh = tmp_path / "fresh.db"
    assert amends("--db", str(fresh), "restore", str(copy)).returncode == 0, "a new file needs no --force"
    junk = tmp_path / "junk.db"
    junk.write_text("junk")
    assert "not an Amends database" in one_line_error(amends("--db", str(work), "restore", str(junk), "--force"))


def test_check_repair_rebuilds_the_search_index(targets, demo):
    work = targets.copy(demo, "index.db")
    work.write("DELETE FROM ticket_search WHERE rowid IN (SELECT id FROM tickets LIMIT 10)")
    broken = amends("--db", str(work), "check")
    assert broken.returncode == 1 and "10 ticket(s) missing" in broken.stderr and "--repair" in broken.stderr
    fixed = amends("--db", str(work), "check", "--repair")
    assert fixed.returncode == 0 and "fixed: search index rebuilt" in fixed.stdout
    assert amends("--db", str(work), "check").returncode == 0


def test_import_and_export_commands(tmp_path, targets, demo):
    exported = tmp_path / "all.json"
    assert amends("--db", str(demo), "export", "--format", "amends", "--out", str(exported)).returncode == 0
    fresh = targets.new("fresh.db")
    result = amends("--db", str(fresh), "import", str(exported), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["files"][0]
    assert report["imported"] == 500 and report["skipped"] == 0 and report["errors"] == []
    again = amends("--db", str(fresh), "export", "--format", "amends", "--out", str(tmp_path / "again.json"))
    assert again.returncode == 0
    assert json.loads(exported.read_text()) == json.loads((tmp_path / "again.json").read_text())
    bad = tmp_path / "bad.csv"
    bad.write_text("id,subject,created_at\n1,ok,2026-01-01\n2,,someday\n")
    refused = amends("--db", str(fresh), "import", str(bad), "--json")
    assert refused.returncode == 1
    errors = json.loads(refused.stdout)["files"][0]["errors"]
    assert {(e["record"], e["field"]) for e in errors} == {(3, "subject"), (3, "created_at")}
    text = amends("--db", str(fresh), "import", str(bad))
    assert text.returncode == 1 and "line 3: subject" in text.stderr and "Traceback" not in text.stderr
    dry = amends("--db", str(fresh), "import", str(bad), "--skip-invalid", "--dry-run")
    assert dry.returncode == 0 and "would import 1 tickets" in dry.stdout
    csv_out = tmp_path / "box.csv"
    assert amends("--db", str(fresh), "export", "--format", "csv", "--out", str(csv_out), "--query", "box"
                  ).returncode == 0
    assert csv_out.read_text(encoding="utf-8-sig").startswith("id,ref,subject")
    assert "COLUMN=FIELD" in one_line_error(amends("--db", str(fresh), "import", str(bad), "--map", "nonsense"))
