"""One read transaction for a whole export.

Exports read many pages and many small queries. Without a transaction each
query sees the database as it is *then*: another person's edit moves a ticket
(new ``updated_at``) past the page cursor and it is never exported, or a
customer added between two queries is missing from a lookup made earlier.
Inside one read transaction every query sees the same committed state (WAL:
a snapshot; others keep writing meanwhile. Rollback journal on a network
share: a shared lock, so others' saves wait until the export has read).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from amends.core.store import Database
from amends.core.store.errors import translate


@contextmanager
def read_snapshot(db: Database) -> Iterator[Database]:
    """Run the body in one read transaction; nested use joins the outer one."""
    if db.conn.in_transaction:
        yield db
        return
    try:
        db.conn.execute("BEGIN DEFERRED")
        # A deferred transaction takes its snapshot at the first read: now.
        db.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as error:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        translated = translate(error, db.location)
        if translated is error:
            raise
        raise translated from error
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")  # nothing was written: just let go of the snapshot
