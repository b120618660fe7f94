"""The id of the row an INSERT wrote, as an ``int``.

``sqlite3.Cursor.lastrowid`` is typed ``int | None``: it is None on a cursor
that never inserted a row. After one of our plain INSERTs it is always set,
so None can only be a bug; it is raised here, where it happens, instead of a
None id travelling on into records, audit entries and foreign keys.
"""

from __future__ import annotations

import sqlite3


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid of the row that the INSERT just run on ``cursor`` wrote."""
    rowid = cursor.lastrowid
    if rowid is None:
        raise RuntimeError("the INSERT wrote no row: sqlite3 gave no lastrowid")
    return rowid
