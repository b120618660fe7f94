"""Schema drift made the way people make it (sqlite-utils transform, DROP
TRIGGER / DROP INDEX, ALTER TABLE ADD COLUMN, a DB Browser-style rebuild),
found by ``health.check`` in plain words, and mended by ``health.repair``
where nothing but this app's own definitions is needed. Real files, real
sqlite-utils, real SQL; the expected schema comes from the app's scripts."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils
from amends.core import customers, demo, health, tickets
from amends.core.store import migrations, schema_check
from amends.core.store.schema import CURRENT_VERSION, SCRIPTS
from amends.core.workspace import open_database

from tests.conftest import ACTOR

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A small Amends file, closed: ready for another tool."""
    path = tmp_path / "amends.db"
    db = open_database(path, ACTOR)
    demo.generate(db, 40, seed=3, now=datetime(2026, 11, 1, tzinfo=UTC))
    db.close()
    return path


def check(path: Path) -> health.HealthReport:
    db = open_database(path, ACTOR)
    try:
        return health.check(db)
    finally:
        db.close()


def repair(path: Path) -> health.HealthReport:
    db = open_database(path, ACTOR)
    try:
        return health.repair(db)
    finally:
        db.close()


def schema_rows(path: Path) -> list[tuple]:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        raw.close()


def schema_problems(report: health.HealthReport) -> list[str]:
    return [p for p in report.problems if p.startswith("schema: ")]


# -- what the check expects -------------------------------------------------------------------------------


def test_new_and_upgraded_files_match_the_expected_schema(tmp_path: Path, made: Path) -> None:
    report = check(made)
    assert report.ok, report.problems
    assert any(c.startswith(f"schema: as version {CURRENT_VERSION} defines it") for c in report.checks)
    for fixture in sorted(FIXTURES.glob("amends-v*.db")):  # every released version, upgraded by opening
        copy = tmp_path / fixture.name
        copy.write_bytes(fixture.read_bytes())
        upgraded = check(copy)
        assert not schema_problems(upgraded), (fixture.name, upgraded.problems)


def test_the_expected_schema_is_built_from_the_scripts_not_a_list() -> None:
    """A version added to SCRIPTS is checked with nothing else to keep: a
    file that lacks what a next version would add is told each thing."""
    nxt = max(SCRIPTS) + 1
    extra = {**SCRIPTS, nxt: """CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL CHECK (body <> ''));
        CREATE INDEX notes_body ON notes(body) WHERE body IS NOT NULL;
        CREATE VIEW open_tickets AS SELECT id FROM tickets WHERE status = 'open';
        CREATE TRIGGER notes_frozen BEFORE DELETE ON notes BEGIN SELECT RAISE(ABORT, 'notes stay'); END;"""}
    ahead, now = sqlite3.connect(":memory:", isolation_level=None), sqlite3.connect(":memory:", isolation_level=None)
    migrations.migrate(ahead, Path(":memory:"), extra)
    migrations.migrate(now, Path(":memory:"))
    found = schema_check.compare(schema_check.introspect(ahead), schema_check.introspect(now))
    assert {(d.kind, d.name, d.change) for d in found} == {
        ("table", "notes", "missing"), ("index", "notes_body", "missing"), ("view", "open_tickets", "missing"),
        ("trigger", "notes_frozen", "missing")}
    assert schema_check.compare(schema_check.expected(), schema_check.introspect(now)) == []


def test_normalising_reads_quoting_case_and_comments_alike() -> None:
    assert schema_check.normal('CREATE TABLE IF NOT EXISTS "Tickets" ( -- note\n "id" INTEGER )') == \
        schema_check.normal("create table tickets (id integer)")
    assert schema_check.checks_of("CREATE TABLE t (a TEXT CHECK (a IN ('x', 'y')), b INT, CHECK (b > 0))") == \
        ("a in ( 'x' , 'y' )", "b > 0")
    assert schema_check.normal("SELECT 'Open'") != schema_check.normal("SELECT 'open'"), "strings keep their case"


# -- sqlite-utils transform --------------------------------------------------------------------------------


def test_sqlite_utils_transform_drops_the_immutability_triggers_and_repair_restores_them(made: Path) -> None:
    su = sqlite_utils.Database(made)
    su["policy_versions"].transform(types={"note": str})  # "a common way to change a column"
    su.close()
    report = check(made)
    assert not report.ok and report.repairable
    assert "schema: trigger policy_versions_immutable_update is missing: an UPDATE on policy_versions is no " \
           "longer refused (published policy versions are immutable)" in report.problems
    assert any("policy_versions_immutable_delete is missing" in p for p in report.problems)
    raw = sqlite3.connect(made)
    raw.execute("UPDATE policy_versions SET note = 'rewritten' WHERE id = 1")  # history can be rewritten now
    raw.commit()
    raw.close()
    fixed = repair(made)
    assert fixed.ok, fixed.problems
    assert "trigger policy_versions_immutable_update restored" in fixed.fixed
    (line,) = [f for f in fixed.fixed if f.startswith("backup made before repairing: ")]
    backup = Path(line.removeprefix("backup made before repairing: "))
    assert backup.is_file() and "policy_versions_immutable_update" not in {r[1] for r in schema_rows(backup)}
    raw = sqlite3.connect(made)
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        raw.execute("UPDATE policy_versions SET note = 'again' WHERE id = 1")
    actor, change = raw.execute("SELECT actor, change FROM audit_log WHERE action = 'repair'").fetchone()
    raw.close()
    assert actor == ACTOR and "trigger policy_versions_immutable_update restored" in json.loads(change)["done"]
    assert json.loads(change)["backup"] == str(backup), "the audit log says where the copy from before is"


def test_sqlite_utils_transform_of_customers_unhooks_the_customer_search(made: Path) -> None:
    su = sqlite_utils.Database(made)
    su["customers"].transform(rename={"name": "full_name"})
    su["customers"].transform(rename={"full_name": "name"})  # renamed and back: the columns are as before
    su.execute("UPDATE customers SET name = 'Zebedee Quartermain' WHERE id = 1")
    su.conn.commit()
    su.close()
    report = check(made)
    texts = schema_problems(report)
    search = [t for t in texts if "the search index customer_search no longer follows" in t]
    churn = [t for t in texts if "no longer also changes churn_firsts" in t]  # V8CHURN's three on customers
    assert len(search) == 3 and len(churn) == 3 and len(texts) == 6, texts
    fixed = repair(made)
    assert fixed.ok, fixed.problems
    assert any(line.startswith("search index customer_search rebuilt") for line in fixed.fixed)
    db = open_database(made, ACTOR)
    try:
        found = db.query("SELECT rowid FROM customer_search WHERE customer_search MATCH 'Quartermain'")
        assert [r[0] for r in found] == [1], "changes made while the triggers were gone are indexed again"
        customers.create(db, "new@example.com", "Philippa Newcombe")
        assert db.query("SELECT rowid FROM customer_search WHERE customer_search MATCH 'Newcombe'")
    finally:
        db.close()


def test_a_changed_column_type_is_refused_and_left_as_it_is(made: Path) -> None:
    su = sqlite_utils.Database(made)
    su["tickets"].transform(types={"priority": str})
    su.close()
    report = check(made)
    assert "schema: column tickets.priority is declared TEXT, expected INTEGER: SQLite converts values by the " \
           "declared type, so they may be stored and read back differently" in report.problems
    before = schema_rows(made)
    refused = repair(made)
    assert not refused.ok and not refused.fixed, "nothing to do safely: no backup, no change"
    assert any(r.startswith("column tickets.priority is declared TEXT") and "left as it is" in r
               for r in refused.refused)
    assert schema_rows(made) == before


def test_a_dropped_column_is_named_and_not_repaired(made: Path) -> None:
    su = sqlite_utils.Database(made)
    su["saved_views"].transform(drop={"sort"})
    su.close()
    report = check(made)
    assert "schema: column saved_views.sort is missing: the app's reads and writes of saved_views fail" \
        in report.problems
    assert not report.repairable


# -- DROP TRIGGER / DROP INDEX ------------------------------------------------------------------------------


def test_dropped_trigger_and_indexes_are_named_with_their_consequence_and_restored(made: Path) -> None:
    raw = sqlite3.connect(made)
    raw.execute("DROP TRIGGER audit_log_append_only_delete")
    raw.execute("DROP INDEX tickets_active_updated")
    raw.execute("DROP INDEX subscriptions_ref")
    raw.close()
    problems = schema_problems(check(made))
    assert "schema: trigger audit_log_append_only_delete is missing: a DELETE on audit_log is no longer refused " \
           "(the audit log is append-only)" in problems
    assert "schema: index tickets_active_updated is missing: lists and searches that read tickets by " \
           "updated_at, id get slow on a large file" in problems
    assert "schema: index subscriptions_ref is missing: subscriptions no longer refuses two rows with the same " \
           "ref" in problems
    fixed = repair(made)
    assert fixed.ok, fixed.problems
    assert {"trigger audit_log_append_only_delete restored", "index tickets_active_updated restored",
            "index subscriptions_ref restored"} <= set(fixed.fixed)
    raw = sqlite3.connect(made)
    sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'tickets_active_updated'").fetchone()[0]
    raw.close()
    assert "WHERE status <> 'resolved'" in sql, "the partial index comes back partial"


def test_a_partial_index_made_full_is_a_difference(made: Path) -> None:
    raw = sqlite3.connect(made)
    raw.execute("DROP INDEX tickets_active_created")
    raw.execute("CREATE INDEX tickets_active_created ON tickets(created_at, id)")
    raw.close()
    assert any("index tickets_active_created is defined differently" in p for p in check(made).problems)
    assert "index tickets_active_created put back as the app defines it" in repair(made).fixed


def test_a_unique_index_that_new_duplicates_break_is_reported_and_the_rest_still_restored(made: Path) -> None:
    raw = sqlite3.connect(made)
    raw.execute("DROP INDEX messages_external")
    raw.execute("DROP INDEX messages_ticket")
    raw.execute("UPDATE messages SET external_id = 'same@x' WHERE id IN (1, 2)")
    raw.commit()
    raw.close()
    fixed = repair(made)
    assert "index messages_ticket restored" in fixed.fixed
    assert any(r.startswith("index messages_external is missing") and "UNIQUE constraint failed" in r
               for r in fixed.refused)
    assert not fixed.ok and any("messages_external is missing" in p for p in fixed.problems)


def test_a_trigger_someone_changed_is_put_back(made: Path) -> None:
    raw = sqlite3.connect(made)
    raw.execute("DROP TRIGGER policy_steps_immutable_update")
    raw.execute("CREATE TRIGGER policy_steps_immutable_update BEFORE UPDATE ON policy_steps BEGIN SELECT 1; END")
    raw.close()
    assert any("trigger policy_steps_immutable_update does something else" in p for p in check(made).problems)
    assert "trigger policy_steps_immutable_update put back as the app defines it" in repair(made).fixed


def test_a_search_index_dropped_is_created_and_filled_again(made: Path) -> None:
    raw = sqlite3.connect(made)
    raw.execute("DROP TABLE ticket_search")
    raw.close()
    report = check(made)
    assert "schema: search index ticket_search is missing: searches that use it fail" in report.problems
    fixed = repair(made)
    assert fixed.ok, fixed.problems
    db = open_database(made, ACTOR)
    try:
        rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text="box"), limit=5)
        assert rows, "search works again, over every ticket"
        assert db.scalar("SELECT count(*) FROM ticket_search") == db.scalar("SELECT count(*) FROM tickets")
    finally:
        db.close()


# -- ALTER TABLE ADD COLUMN, DB Browser's rebuild, things of someone else's --------------------------------


def test_a_column_added_with_alter_table_is_extra_and_refused(made: Path) -> None:
    raw = sqlite3.connect(made)
    raw.execute("ALTER TABLE tickets ADD COLUMN my_flag TEXT")
    raw.execute("ALTER TABLE customers ADD COLUMN region TEXT NOT NULL DEFAULT 'eu'")
    raw.close()
    report = check(made)
    assert "schema: column tickets.my_flag is not Amends': the app leaves it empty and exports do not carry it" \
        in report.problems
    before = schema_rows(made)
    refused = repair(made)
    assert not refused.ok and schema_rows(made) == before
    assert any(r.startswith("column customers.region is not Amends'") for r in refused.refused)


def test_a_db_browser_style_rebuild_loses_checks_and_indexes(made: Path) -> None:
    """DB Browser's "Modify table": CREATE the new table, copy, DROP the old,
    RENAME; here the new one was typed without the CHECK constraints."""
    raw = sqlite3.connect(made, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("BEGIN")
    raw.execute("""CREATE TABLE "resolution_steps_new" ("id" INTEGER PRIMARY KEY,
        "resolution_id" INTEGER NOT NULL REFERENCES "resolutions"("id") ON DELETE CASCADE,
        "position" INTEGER NOT NULL, "type" TEXT NOT NULL, "outcome" TEXT NOT NULL, "reason" TEXT,
        UNIQUE ("resolution_id", "position"))""")
    raw.execute('INSERT INTO "resolution_steps_new" SELECT * FROM "resolution_steps"')
    raw.execute('DROP TABLE "resolution_steps"')
    raw.execute('ALTER TABLE "resolution_steps_new" RENAME TO "resolution_steps"')
    raw.execute("COMMIT")
    raw.close()
    report = check(made)
    lost = [p for p in report.problems if "resolution_steps lost its CHECK" in p]
    assert len(lost) == 2 and any("outcome in ( 'done' , 'skipped' )" in p for p in lost)
    assert all("it now accepts values the app refuses" in p for p in lost)
    before = schema_rows(made)
    refused = repair(made)
    # Schema 6: the rebuild also dropped the trigger that sums skipped steps for the Review; it holds no data of
    # its own, so it is put back (and its sums filled again from the rows). Nothing else changes.
    # Schema 8 (V8SAVES): likewise the three that keep the set of resolutions with a save-offer step.
    summing = {"review_skipped_days_add", "save_offer_steps_insert", "save_offer_steps_update",
               "save_offer_steps_delete"}
    after = schema_rows(made)
    assert not refused.ok and [r for r in after if r[1] not in summing] == before, \
        "a lost CHECK is not rebuilt around unchecked rows"
    assert {r[1] for r in after if r[1] in summing} == summing and not summing & {r[1] for r in before}
    assert any("review_skipped_days" in line for line in refused.fixed), refused.fixed
    assert any("save_offer_steps" in line for line in refused.fixed), refused.fixed


def test_a_rebuild_that_loses_a_cascade_and_an_index(made: Path) -> None:
    raw = sqlite3.connect(made, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("BEGIN")
    sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'followups'").fetchone()[0]
    raw.execute(sql.replace("CREATE TABLE followups", "CREATE TABLE followups_new")
                .replace("REFERENCES tickets(id) ON DELETE CASCADE", "REFERENCES tickets(id)"))
    raw.execute("INSERT INTO followups_new SELECT * FROM followups")
    raw.execute("DROP TABLE followups")
    raw.execute("ALTER TABLE followups_new RENAME TO followups")
    raw.execute("COMMIT")
    raw.close()
    problems = schema_problems(check(made))
    assert "schema: the link followups.ticket_id → tickets is defined differently; deleting a tickets row no " \
           "longer removes its followups rows" in problems
    assert any(p.startswith("schema: index followups_open_due is missing") for p in problems)
    fixed = repair(made)
    assert "index followups_open_due restored" in fixed.fixed and not fixed.ok
    assert any("followups.ticket_id" in r and "left as it is" in r for r in fixed.refused)


def test_tables_and_views_of_someone_else_are_noted_not_problems(made: Path) -> None:
    raw = sqlite3.connect(made)
    raw.execute("CREATE TABLE my_notes (id INTEGER PRIMARY KEY, text TEXT)")
    raw.execute("CREATE INDEX my_notes_text ON my_notes(text)")
    raw.execute("CREATE VIEW open_by_category AS SELECT category, count(*) AS n FROM tickets GROUP BY category")
    raw.close()
    report = check(made)
    assert report.ok, report.problems
    assert "schema: note: table my_notes is not Amends' own: the app leaves it alone" in report.checks
    assert "schema: note: view open_by_category is not Amends' own: the app leaves it alone" in report.checks


def test_a_trigger_someone_added_on_an_amends_table_is_a_problem_left_to_them(made: Path) -> None:
    su = sqlite_utils.Database(made)
    su["tickets"].enable_fts(["subject"], create_triggers=True)  # sqlite-utils' own search, kept by triggers
    su.close()
    report = check(made)
    extra = [p for p in report.problems if "is not Amends': it runs inside the app's own writes to tickets" in p]
    assert len(extra) == 3
    assert "schema: note: table tickets_fts is not Amends' own: the app leaves it alone" in report.checks
    assert all("DROP TRIGGER" in r for r in report.refused)


def test_transform_of_every_table_is_told_table_by_table(made: Path) -> None:
    """sqlite-utils transform (no change asked) on every table it accepts:
    the triggers go, and a WITHOUT ROWID table stops being one; repair puts
    every trigger back and leaves the storage change, said, to a backup."""
    su = sqlite_utils.Database(made)
    for name in ("policy_versions", "policy_steps", "audit_log", "customers", "attachments", "drafts", "tickets"):
        su[name].transform()
    su.close()
    problems = schema_problems(check(made))
    assert "schema: table drafts is no longer WITHOUT ROWID: it keeps a hidden row id besides its key (more " \
           "space, slower lookups by key)" in problems
    fixed = repair(made)
    restored = {line for line in fixed.fixed if line.startswith("trigger ")}
    # with those of tickets (F3: the subscription in force; V7RESOL: the money of its resolutions re-priced;
    # V8THEMES: the ticket's theme text added, read again when its subject changes, dropped with it),
    # V8SAVES's three of tickets (the save offers' candidates) and two of policy_steps (its save-offer set),
    # V8REPLY's four (what the Review reads of a ticket copied onto its waits when written, edited or deleted)
    # and V8CHURN's five (three on customers, two on tickets: each customer's first-ticket facts)
    assert len(restored) == 29, fixed.fixed
    assert schema_problems(fixed) == ["schema: table drafts is no longer WITHOUT ROWID: it keeps a hidden row id "
                                      "besides its key (more space, slower lookups by key)"]


def test_triggers_of_a_table_that_lost_a_column_are_not_restored(made: Path) -> None:
    """Restored onto a table without the column it writes, a trigger would
    make every write of the app fail: left, with the reason."""
    raw = sqlite3.connect(made, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("BEGIN")
    raw.execute("CREATE TABLE customers_new (id INTEGER PRIMARY KEY, ref TEXT UNIQUE, email TEXT NOT NULL, "
                "created_at TEXT NOT NULL, first_ticket_at TEXT, first_ticket_id INTEGER, "
                "version INTEGER NOT NULL DEFAULT 1)")  # "name" left out
    raw.execute("INSERT INTO customers_new SELECT id, ref, email, created_at, first_ticket_at, first_ticket_id, "
                "version FROM customers")
    raw.execute("DROP TABLE customers")
    raw.execute("ALTER TABLE customers_new RENAME TO customers")
    raw.execute("COMMIT")
    raw.close()
    fixed = repair(made)
    assert any(r.startswith("trigger customers_search_insert is missing") and "lost columns" in r
               for r in fixed.refused), fixed.refused
    assert any(r.startswith("column customers.name is missing") for r in fixed.refused)
    raw = sqlite3.connect(made)
    try:
        assert raw.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers'"
                           ).fetchone()[0] == 0
    finally:
        raw.close()
