"""The append-only audit log: every change records who, when and what.

Called inside the transaction that makes the change, so the log and the
data can never disagree.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from desktop.core import clock
from desktop.core.store import Database


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    entity: str
    entity_id: int | None
    action: str
    change: dict[str, Any] | None


def record(conn: sqlite3.Connection, actor: str, entity: str, entity_id: int | None,
           action: str, change: dict[str, Any] | None = None, at: str | None = None) -> None:
    conn.execute(
        "INSERT INTO audit_log (at, actor, entity, entity_id, action, change) VALUES (?, ?, ?, ?, ?, ?)",
        (at or clock.now_iso(), actor, entity, entity_id, action,
         None if change is None else json.dumps(change, ensure_ascii=False, sort_keys=True)))


def for_entity(db: Database, entity: str, entity_id: int, limit: int = 200) -> list[AuditEntry]:
    rows = db.query(
        "SELECT * FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY id DESC LIMIT ?",
        (entity, entity_id, limit))
    return [AuditEntry(r["id"], r["at"], r["actor"], r["entity"], r["entity_id"], r["action"],
                       json.loads(r["change"]) if r["change"] else None) for r in rows]


def latest_id(db: Database) -> int:
    """The newest audit entry: it moves with every change to the data (and
    not with presence heartbeats), so the app polls it to know when to
    re-read what it shows."""
    return db.scalar("SELECT coalesce(max(id), 0) FROM audit_log")
