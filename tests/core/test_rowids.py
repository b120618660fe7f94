"""inserted_id(): the id an INSERT wrote, never a None that travels on."""

from __future__ import annotations

import sqlite3

import pytest
from amends.core.store.rowids import inserted_id


def test_the_id_of_the_inserted_row_and_none_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "ids.db")
    try:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        assert inserted_id(conn.execute("INSERT INTO t (name) VALUES ('a')")) == 1
        assert inserted_id(conn.execute("INSERT INTO t (name) VALUES ('b')")) == 2
        with pytest.raises(RuntimeError, match="no row"):
            inserted_id(conn.cursor())  # a cursor that never inserted has no lastrowid
    finally:
        conn.close()
