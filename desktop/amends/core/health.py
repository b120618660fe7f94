"""Counting and checking a database: ``amends stats`` and ``amends check``.

The check covers the file (integrity, foreign keys), the schema (version,
and drift against what this version creates: store/schema_check.py), the
search indexes and the attachments; repair makes a backup, then puts back
what holds no data of its own (store/schema_repair.py) and rebuilds the
search indexes, and refuses the rest with the reason."""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass, field

from amends.core import address_merge, attachments, audit, backups
from amends.core.errors import Busy, DatabaseProblem
from amends.core.store import Database, derived, schema_check, schema_repair
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
    #: the schema's differences from what this version creates (harmless ones too)
    drift: list[schema_check.Difference] = field(default_factory=list)
    #: what ``repair`` would not change, and why
    refused: list[str] = field(default_factory=list)

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
    schema_drift(db, report)
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


def schema_drift(db: Database, report: HealthReport) -> None:
    """Each difference from the expected schema is a problem, said with what
    it breaks; tables and views of someone else's are only noted."""
    try:
        report.drift = schema_check.drift(db.conn)
    except sqlite3.DatabaseError as error:  # a damaged catalogue: integrity_check says more
        report.problems.append(f"schema: could not be read ({error})")
        return
    serious = [d for d in report.drift if not d.harmless]
    report.problems.extend(f"schema: {d.text}" for d in serious)
    report.checks.extend(f"schema: note: {d.text}" for d in report.drift if d.harmless)
    report.refused = [f"{d.text} — left as it is: {d.refusal}" for d in serious if not d.repairable]
    if any(d.repairable for d in serious):
        report.repairable = True
    if not serious:
        report.checks.append(f"schema: as version {db.schema_version} defines it (tables, columns, indexes, "
                             "triggers, views, CHECK constraints, search indexes)")


def search_index_problems(db: Database) -> list[str]:
    problems = []
    present = {row[0] for row in db.query("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    if not {"ticket_search", "customer_search"} <= present:
        return []  # a search index that is gone is schema drift, said (and restored) there
    missing = db.scalar("SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                        "(SELECT 1 FROM ticket_search s WHERE s.rowid = t.id)")
    if missing:
        problems.append(f"{missing} ticket(s) missing from the index")
    stale = db.scalar("SELECT count(*) FROM ticket_search s WHERE NOT EXISTS "
                      "(SELECT 1 FROM tickets t WHERE t.id = s.rowid)")
    if stale:
        problems.append(f"{stale} entr(y/ies) for tickets that no longer exist")
    # FTS5's own integrity check; on PostgreSQL the index is a generated tsvector column
    # and the customer index a view of customers: they cannot be out of step with their rows
    if not db.readonly and getattr(db.conn, "dialect", "sqlite") == "sqlite":
        for table, what, rank in (("ticket_search", "the index", ""), ("customer_search", "the customer index", ", 1")):
            # the customer index checks itself against the customers table (its content)
            try:
                with db.transaction() as conn:
                    conn.execute(f"INSERT INTO {table} ({table}{', rank' if rank else ''}) "
                                 f"VALUES ('integrity-check'{rank})")
            except sqlite3.DatabaseError as error:
                problems.append(f"{what} is inconsistent ({error})")
            except DatabaseProblem as error:  # the store says "damaged" for an index out of step: say which
                if isinstance(error, Busy) or not isinstance(error.__cause__, sqlite3.DatabaseError):
                    raise
                problems.append(f"{what} is inconsistent ({error.__cause__})")
    return problems


def rebuild_search_index(db: Database) -> int:
    """Re-create the full-text indexes from the tickets and their messages
    and from the customers, in one transaction; returns how many tickets
    were indexed."""
    with db.transaction() as conn:
        _fill_search_indexes(conn)
        count = conn.execute("SELECT count(*) FROM ticket_search").fetchone()[0]
        audit.record(conn, db.actor, "database", None, "rebuild_search_index", {"tickets": count})
    return count


def _fill_search_indexes(conn: sqlite3.Connection) -> None:
    _fill_ticket_search(conn)
    if getattr(conn, "dialect", "sqlite") == "sqlite":  # on PostgreSQL it is a view of customers
        conn.execute("INSERT INTO customer_search (customer_search) VALUES ('rebuild')")


def _fill_ticket_search(conn: sqlite3.Connection) -> int:
    """ticket_search holds its own copy of the text (not ``content=``): it
    is filled from the tickets the way core/tickets.py writes it."""
    conn.execute("DELETE FROM ticket_search")
    conn.execute("""INSERT INTO ticket_search (rowid, subject, body)
                    SELECT t.id, t.subject,
                           coalesce((SELECT group_concat(m.body, char(10)) FROM
                                     (SELECT body FROM messages WHERE ticket_id = t.id ORDER BY created_at, id) m),
                                    '')
                    FROM tickets t""")
    return conn.execute("SELECT count(*) FROM ticket_search").fetchone()[0]


def repair(db: Database) -> HealthReport:
    """Check; when something can be fixed safely, back up the file, then
    put back missing or altered triggers, indexes, views and search indexes
    (rebuilding what they index) and rebuild a search index that is out of
    step, all in one transaction; check again. What cannot be verified (a
    table's columns or constraints changed, damage to the file) is left as
    it is and listed in ``refused``: restore a backup for that."""
    before = check(db)
    if not before.repairable:
        return before
    if db.readonly:
        before.refused.insert(0, "nothing repaired: this file cannot be changed from here (read-only)")
        return before
    server = getattr(db.conn, "dialect", "sqlite") != "sqlite"
    # a server's database is backed up by the server (pg_dump): the file backup API has no copy
    # to make there; the repair below is still one transaction
    copy = None if server else backups.make(db, "repair")
    wanted = schema_check.expected(db.schema_version)
    sql_of = {key: table.sql for key, table in wanted.tables.items() if table.virtual}
    with db.transaction() as conn:
        rebuilders: dict[str, schema_repair.Rebuilder] = {"ticket_search": _fill_ticket_search}
        rebuilders |= {table: functools.partial(derived.refill, table=table) for table in derived.DERIVED}
        result = schema_repair.repair(conn, before.drift, sql_of, rebuilders)
        if any(p.startswith("search index") for p in before.problems):
            problem = schema_repair.attempt(conn, lambda: _fill_search_indexes(conn))
            if problem:
                result.refused.append(f"search index not rebuilt: SQLite refused it ({problem}); the tables it "
                                      "indexes have changed")
            else:
                count = conn.execute("SELECT count(*) FROM ticket_search").fetchone()[0]
                result.rebuilt.append(f"search index rebuilt ({count:,} tickets)")
        audit.record(conn, db.actor, "database", None, "repair",
                     {"backup": str(copy) if copy else None, "done": result.done + result.rebuilt, "refused": result.refused})
    after = check(db)
    after.fixed = result.done + result.rebuilt + ([f"backup made before repairing: {copy}"] if copy else
                                                  ["no backup made first: a server database is backed up by the "
                                                   "server (pg_dump); the repair was one transaction"])
    after.refused = result.refused
    return after
