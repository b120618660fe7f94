"""Counting and checking a database: ``amends stats`` and ``amends check``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from amends.core import address_merge, attachments, audit
from amends.core.store import Database
from amends.core.store.schema import CURRENT_VERSION


def stats(db: Database) -> dict[str, int]:
    (row,) = db.query("""SELECT
        (SELECT count(*) FROM tickets) AS tickets,
        (SELECT count(*) FROM tickets WHERE status = 'open') AS open,
        (SELECT count(*) FROM tickets WHERE status = 'pending') AS pending,
        (SELECT count(*) FROM tickets WHERE status = 'resolved') AS resolved,
        (SELECT count(*) FROM customers) AS customers,
        (SELECT count(*) FROM policies) AS policies,
        (SELECT count(*) FROM policy_versions) AS policy_versions,
        (SELECT count(*) FROM resolutions) AS resolutions""")
    result = {key: row[key] for key in row.keys()}  # noqa: SIM118 (a sqlite3.Row iterates its values, not keys)
    result["schema_version"] = db.schema_version
    return result


@dataclass
class HealthReport:
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    repairable: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def check(db: Database) -> HealthReport:
    """Integrity, foreign keys, schema version and the search index."""
    report = HealthReport()
    results = [r[0] for r in db.query("PRAGMA integrity_check")]
    if results == ["ok"]:
        report.checks.append("integrity: ok")
    else:
        report.problems.extend(f"integrity: {line}" for line in results[:20])
    broken = db.query("PRAGMA foreign_key_check")
    if broken:
        report.problems.append(f"foreign keys: {len(broken)} row(s) point at missing records "
                               f"(first: {broken[0][0]} rowid {broken[0][1]})")
    else:
        report.checks.append("foreign keys: ok")
    version = db.schema_version
    if version != CURRENT_VERSION:
        report.problems.append(f"schema version {version}, expected {CURRENT_VERSION}")
    else:
        report.checks.append(f"schema version: {version}")
    for problem in search_index_problems(db):
        report.problems.append(f"search index: {problem}")
        report.repairable = True
    if not any(p.startswith("search index") for p in report.problems):
        report.checks.append("search index: every ticket indexed, nothing stale")
    damaged = attachments.verify(db)
    report.problems.extend(f"attachments: {problem}" for problem in damaged)
    if not damaged:
        kept = db.scalar("SELECT count(*) FROM attachments WHERE kept = 1")
        report.checks.append(f"attachments: {kept} files kept, every one matches its SHA-256")
    merged = address_merge.upgrade_merges(db.conn)
    if merged:  # said where people look after an upgrade, not only in the log
        report.checks.append(f"customers: {sum(len(m['merged']) for m in merged)} duplicates merged into "
                             f"{len(merged)} by the schema 3 upgrade (one customer per address; audit: "
                             "merge_duplicates)")
    return report


def search_index_problems(db: Database) -> list[str]:
    problems = []
    missing = db.scalar("SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                        "(SELECT 1 FROM ticket_search s WHERE s.rowid = t.id)")
    if missing:
        problems.append(f"{missing} ticket(s) missing from the index")
    stale = db.scalar("SELECT count(*) FROM ticket_search s WHERE NOT EXISTS "
                      "(SELECT 1 FROM tickets t WHERE t.id = s.rowid)")
    if stale:
        problems.append(f"{stale} entr(y/ies) for tickets that no longer exist")
    if not db.readonly:
        try:
            with db.transaction() as conn:
                conn.execute("INSERT INTO ticket_search (ticket_search) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as error:
            problems.append(f"the index is inconsistent ({error})")
        try:
            with db.transaction() as conn:  # the customer index checks itself against the customers table
                conn.execute("INSERT INTO customer_search (customer_search, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as error:
            problems.append(f"the customer index is inconsistent ({error})")
    return problems


def rebuild_search_index(db: Database) -> int:
    """Re-create the full-text index from the tickets and their messages, in
    one transaction; returns how many tickets were indexed."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM ticket_search")
        conn.execute("""INSERT INTO ticket_search (rowid, subject, body)
                        SELECT t.id, t.subject,
                               coalesce((SELECT group_concat(m.body, char(10)) FROM
                                         (SELECT body FROM messages WHERE ticket_id = t.id ORDER BY created_at, id) m),
                                        '')
                        FROM tickets t""")
        count = conn.execute("SELECT count(*) FROM ticket_search").fetchone()[0]
        conn.execute("INSERT INTO customer_search (customer_search) VALUES ('rebuild')")
        audit.record(conn, db.actor, "database", None, "rebuild_search_index", {"tickets": count})
    return count


def repair(db: Database) -> HealthReport:
    """Check, fix what can be fixed safely (the search index), check again.
    Damage to the file itself is not repaired in place: restore a backup."""
    before = check(db)
    fixed = []
    if before.repairable:
        count = rebuild_search_index(db)
        fixed.append(f"search index rebuilt ({count:,} tickets)")
    after = check(db)
    after.fixed = fixed
    return after
