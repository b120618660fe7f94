"""Counting and checking a database: ``amends stats`` and ``amends check``."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop.core.store import Database
from desktop.core.store.schema import CURRENT_VERSION


def stats(db: Database) -> dict[str, int]:
    row = db.one("""SELECT
        (SELECT count(*) FROM tickets) AS tickets,
        (SELECT count(*) FROM tickets WHERE status = 'open') AS open,
        (SELECT count(*) FROM tickets WHERE status = 'pending') AS pending,
        (SELECT count(*) FROM tickets WHERE status = 'resolved') AS resolved,
        (SELECT count(*) FROM customers) AS customers,
        (SELECT count(*) FROM policies) AS policies,
        (SELECT count(*) FROM policy_versions) AS policy_versions,
        (SELECT count(*) FROM resolutions) AS resolutions""")
    result = {key: row[key] for key in row.keys()}
    result["schema_version"] = db.schema_version
    return result


@dataclass
class HealthReport:
    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

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
    missing = db.scalar("SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                        "(SELECT 1 FROM ticket_search s WHERE s.rowid = t.id)")
    if missing:
        report.problems.append(f"search index: {missing} ticket(s) missing from the index")
    else:
        report.checks.append("search index: every ticket indexed")
    return report
