"""Opening an Amends database the way the app and the CLI both do: the store
connection plus what a brand-new file needs (the default policies, saved
replies and rules; a file upgraded to a version gets what that version adds)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from amends.core.store import Database, snapshot


def open_database(path: str | Path, actor: str, *, create: bool = True) -> Database:
    """Open (creating and seeding if new) the database at ``path``. What
    seeds a new or upgraded file, and the PostgreSQL store, are imported
    only when needed: every start of the app opens a database (issue 16)."""

    def after_migration(conn: sqlite3.Connection, version: int) -> None:
        from amends.core import address_merge, policies, replies, rules

        if version == 1:
            policies.seed_defaults(conn, actor)
        if version == 2:
            replies.seed_defaults(conn, actor)
        if version == 3:
            rules.seed_defaults(conn, actor)
            # one customer per address: today's duplicates merged, audited and logged
            address_merge.merge_duplicates(conn, actor)

    if isinstance(path, str) and "://" in path:  # perhaps a server: the module that tells is imported only then
        from amends.core.store import postgres

        if postgres.is_url(path):  # a server (issue 19): the same seeding, no file to make private
            return postgres.PostgresDatabase.open(path, actor, create=create, after_migration=after_migration)
    new = not Path(path).expanduser().exists()
    db = Database.open(path, actor, create=create, after_migration=after_migration)
    if new:  # customer data: readable by the user only, whatever the umask
        snapshot.make_private(db.path)
    return db
