"""Forward-only schema migrations with a backup before each.

The schema version lives in ``PRAGMA user_version``. A file newer than this
app is refused before anything writes to it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from amends.core import clock
from amends.core.errors import DatabaseProblem, SchemaTooNew
from amends.core.store import snapshot
from amends.core.store.schema import CURRENT_VERSION, SCRIPTS

log = logging.getLogger(__name__)


def statements(script: str) -> list[str]:
    """Split a DDL script into complete statements (triggers included)."""
    result, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                result.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        result.append(buffer.strip())
    return result


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def refuse_if_too_new(version: int, path: str, known: int = CURRENT_VERSION) -> None:
    if version > known:
        raise SchemaTooNew(
            f"{path} was written by a newer Amends (schema {version}; this app knows up to "
            f"{known}). It was not opened or changed.",
            path=path, hint="Update Amends to open it.")


def is_foreign_database(conn: sqlite3.Connection) -> bool:
    """A SQLite file with tables but no Amends schema version: someone else's."""
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    return schema_version(conn) == 0 and tables > 0


def backup_path(path: Path, from_version: int) -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return path.with_name(f"{path.name}.pre-v{from_version + 1}-{stamp}.bak")


def backup(conn: sqlite3.Connection, dest: Path) -> Path:
    """Copy the live database with SQLite's backup API (safe while others
    use it): complete or absent, 0600, never over another process's copy
    (two processes upgrading at once each keep their own). Returns the path."""
    snapshot.clean_debris(Path(dest).parent)
    return snapshot.write_copy(conn, dest, unique=True)


def _v3_intervals(conn: sqlite3.Connection) -> None:
    """H8: billing intervals as unit x count, read from the old cycle_days
    (30 days meant "monthly", 7 "weekly" ...: billing.from_days); tickets of
    plans that now count in calendar months get their cycle numbers again."""
    from amends.core import billing  # (calendar and locale: only when a migration or a subscription needs them)

    moved: set[int] = set()
    for sub_id, customer_id, days in conn.execute(
            "SELECT id, customer_id, cycle_days FROM subscriptions WHERE interval_unit IS NULL").fetchall():
        interval = billing.from_days(int(days))
        conn.execute("UPDATE subscriptions SET interval_unit = ?, interval_count = ? WHERE id = ?",
                     (interval.unit, interval.count, sub_id))
        if interval.unit in ("month", "year"):
            moved.add(customer_id)
    for customer_id in sorted(moved):
        recount_cycles(conn, customer_id)


def recount_cycles(conn: sqlite3.Connection, customer_id: int) -> None:
    """The customer's tickets get the billing cycle of the subscription in
    force when each was opened (billing.in_force_id)."""
    from amends.core import billing  # (calendar and locale: only when a migration or a subscription needs them)

    sql = (f"SELECT started_at, interval_unit, interval_count, cycle_days FROM subscriptions "
           f"WHERE id = {billing.in_force_id()}")
    for ticket_id, created in conn.execute("SELECT id, created_at FROM tickets WHERE customer_id = ?",
                                           (customer_id,)).fetchall():
        sub = conn.execute(sql, {"customer": customer_id, "at": created}).fetchone()
        cycle = None if sub is None else billing.cycle_number(
            clock.parse_iso(sub[0]), billing.stored(sub[1], sub[2], sub[3]), clock.parse_iso(created))
        conn.execute("UPDATE tickets SET billing_cycle = ? WHERE id = ? AND billing_cycle IS NOT ?",
                     (cycle, ticket_id, cycle))


def _v3_mailboxes(conn: sqlite3.Connection) -> None:
    """H12: every mail account gets a short mailbox name (the part before
    the @, the whole address where two share it), and its last UID moves to
    mail_folders without a UIDVALIDITY: the first fetch records it and reads
    on from that UID."""
    rows = conn.execute("SELECT id, from_address, imap_folder, last_uid FROM mail_accounts ORDER BY id").fetchall()
    taken: set[str] = set()
    for row in rows:
        address = (row[1] or "").strip().lower()
        label = address.split("@", 1)[0] or f"mailbox-{row[0]}"
        if label in taken:
            label = address if address not in taken else f"{address}-{row[0]}"
        taken.add(label)
        conn.execute("UPDATE mail_accounts SET label = ? WHERE id = ?", (label, row[0]))
        if row[3] is not None:
            conn.execute("INSERT INTO mail_folders (account_id, folder, uidvalidity, last_uid) VALUES (?, ?, NULL, ?)",
                         (row[0], row[2] or "INBOX", row[3]))



def _v3(conn: sqlite3.Connection) -> None:
    _v3_intervals(conn)
    _v3_mailboxes(conn)


#: Python run right after a version's script, in the same transaction: data
#: moves that DDL cannot express.
UPGRADES: dict[int, Callable[[sqlite3.Connection], None]] = {3: _v3}


def migrate(conn: sqlite3.Connection, path: Path,
            scripts: dict[int, str] | None = None,
            after: Callable[[sqlite3.Connection, int], None] | None = None) -> int:
    """Bring the schema up to date; return the version the file had.

    Each step runs in one ``BEGIN IMMEDIATE`` transaction and re-reads the
    version inside it, so two processes opening a new file at once do not
    both create the schema. A file that already holds data is copied to
    ``<name>.pre-vN-<time>.bak`` first.
    """
    scripts = SCRIPTS if scripts is None else scripts
    target = max(scripts)
    start = schema_version(conn)
    refuse_if_too_new(start, str(path), target)
    if start >= target:
        return start
    if start > 0:
        try:
            copy = backup(conn, backup_path(path, start))
        except (OSError, sqlite3.Error) as error:
            raise DatabaseProblem(
                f"Could not back up {path} before upgrading it ({error}); nothing was changed.",
                path=str(path)) from error
        log.info("Upgrading %s from schema %d to %d; backup %s", path, start, target, copy)
    for version in range(start + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) < version:
                for statement in statements(scripts[version]):
                    conn.execute(statement)
                if scripts is SCRIPTS and version in UPGRADES:
                    UPGRADES[version](conn)
                conn.execute(f"PRAGMA user_version = {int(version)}")
                if after is not None:
                    after(conn, version)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return start

