"""Tables whose rows are sums of other tables, kept by triggers (schema 6,
V6REVIEW: the Review's per-day resolution sums; schema 7, V7RESOL: the money
of recovery per day, corrected when a stamp or a price changes; schema 8, V8THEMES: each ticket's subject
and first customer message as the themes read them; V8SAVES: the save offers' candidate tickets;
V8CHURN: each customer's first-ticket facts for the cycle-1 churn; issue 16).

Like a search index they hold nothing of their own: when another tool drops
one of their triggers (a table rebuilt in a DB browser drops its triggers),
writes made meanwhile are missing from the sums, so the doctor that puts the
trigger back fills the table again from the rows (health.repair). The fill is
the schema script's own ``INSERT … SELECT`` for that table, so the upgrade
and the repair compute the sums the same way."""

from __future__ import annotations

import re
import sqlite3
from functools import cache

from amends.core.store.schema import SCRIPTS

#: The derived tables, by the first schema version that has them.
DERIVED: dict[str, int] = {"review_resolution_days": 6, "review_offer_values": 6, "review_skipped_days": 6,
                          "review_money_days": 7,
                          "reply_waits": 7, "reply_open": 7,
                          "theme_texts": 8,
                          "save_offer_steps": 8, "save_offer_versions": 8, "save_candidates": 8,
                          "churn_firsts": 8}


@cache
def fill_statement(table: str) -> str:
    """The ``INSERT INTO table … SELECT`` of the script that created ``table``."""
    from amends.core.store.migrations import statements

    for statement in statements(SCRIPTS[DERIVED[table]]):
        body = re.sub(r"^(\s*--[^\n]*\n)*", "", statement)
        if re.match(rf"INSERT INTO {table}\b", body) and "SELECT" in body:
            return body
    raise LookupError(f"schema {DERIVED[table]} has no INSERT … SELECT for {table}")


def refill(conn: sqlite3.Connection, table: str) -> int:
    """Empty ``table`` and sum it again from the rows; returns its row count."""
    conn.execute(f"DELETE FROM {table}")
    conn.execute(fill_statement(table))
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
