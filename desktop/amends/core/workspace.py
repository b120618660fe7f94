"""Opening an Amends database the way the app and the CLI both do: the store
connection plus what a brand-new file needs (the default policies, saved
replies and rules; a file upgraded to a version gets what that version adds)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from amends.core import address_merge, policies, replies, rules
from amends.core.store import Database, postgres, snapshot


def open_database(path: str | Path, actor: str, *, create: bool = True) -> Database:
    """Open (creating and seeding if new) the database at ``path``."""

    def after_migration(conn: sqlite3.Connection, version: int) -> None:
        if version == 1:
            policies.seed_defaults(conn, actor)
        if version == 2:
            replies.seed_defaults(conn, actor)
        if version == 3:
            rules.seed_defaults(conn, actor)
            # one customer per address: today's duplicates merged, audited and logged
            address_merge.merge_duplicates(conn, actor)

    if postgres.is_url(path):  # a server (issue 19): the same seeding, no file to make private
        return postgres.PostgresDatabase.open(path, actor, create=create, after_migration=after_migration)
    new = not Path(path).expanduser().exists()
    db = Database.open(path, actor, create=create, after_migration=after_migration)
    if new:  # customer data: readable by the user only, whatever the umask
        snapshot.make_private(db.path)
    return db
