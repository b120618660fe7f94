"""The append-only audit log: every change records who, when and what.

Called inside the transaction that makes the change, so the log and the
data can never disagree.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from amends.core import clock
from amends.core.errors import ValidationError
from amends.core.store import Database


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


@dataclass(frozen=True)
class AuditQuery:
    """Filters for the Audit pane; None means any. Dates are YYYY-MM-DD, both
    included."""

    actor: str | None = None
    entity: str | None = None
    entity_id: int | None = None
    since: str | None = None
    until: str | None = None


def page(db: Database, query: AuditQuery, before_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    """Newest first, keyset-paged by id (the log only grows)."""
    where, params = [], []
    for column, value in (("actor", query.actor), ("entity", query.entity), ("entity_id", query.entity_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if query.since:
        where.append("at >= ?")
        params.append(f"{_day(query.since, 'since')}T00:00:00Z")
    if query.until:
        where.append("at < ?")
        params.append(f"{_day(query.until, 'until') + timedelta(days=1)}T00:00:00Z")
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?"
    rows = db.query(sql, [*params, int(limit)])
    return [AuditEntry(r["id"], r["at"], r["actor"], r["entity"], r["entity_id"], r["action"],
                       json.loads(r["change"]) if r["change"] else None) for r in rows]


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError([(name, f"{text!r} is not a date (YYYY-MM-DD)")]) from None


def actors(db: Database) -> list[str]:
    return [r[0] for r in db.query("SELECT DISTINCT actor FROM audit_log ORDER BY actor")]


def describe(entry: AuditEntry) -> str:
    """What changed, in one line: ``priority: 1 → 3; assignee: — → Ana``."""
    change = entry.change or {}
    if isinstance(change.get("summary"), str):  # entries that say it in words (a rule sorting a ticket)
        return change["summary"]
    before, after = change.get("before"), change.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        return "; ".join(f"{k}: {_show(before.get(k))} → {_show(v)}" for k, v in after.items())
    parts = []
    for key, value in change.items():
        if key in ("before", "after"):
            continue
        if key == "steps" and isinstance(value, list):
            value = ", ".join(step.get("type", "?") for step in value)
        parts.append(f"{key}: {_show(value)}")
    return "; ".join(parts)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"
