"""Unsaved work that survives a crash or a restart: what you were typing to a
customer and a half-done recovery checklist. Saved as you go (debounced by
the UI), per person and ticket; removed once sent, resolved or cancelled.
Not audited: a draft is not a change to the business data."""

from __future__ import annotations

import json
from typing import Any

from amends.core import clock
from amends.core.errors import ValidationError
from amends.core.store import Database

KINDS = ("reply", "checklist")


def save(db: Database, ticket_id: int, kind: str, body: str) -> None:
    """Keep ``body`` as the draft (an empty body removes it)."""
    if kind not in KINDS:
        raise ValidationError([("kind", f"one of {', '.join(KINDS)}")])
    with db.transaction() as conn:
        if not body.strip():
            conn.execute("DELETE FROM drafts WHERE actor = ? AND ticket_id = ? AND kind = ?",
                         (db.actor, ticket_id, kind))
            return
        conn.execute("INSERT INTO drafts (actor, ticket_id, kind, body, updated_at) VALUES (?, ?, ?, ?, ?) "
                     "ON CONFLICT(actor, ticket_id, kind) DO UPDATE SET body = excluded.body, "
                     "updated_at = excluded.updated_at", (db.actor, ticket_id, kind, body, clock.now_iso()))


def load(db: Database, ticket_id: int, kind: str) -> str | None:
    return db.scalar("SELECT body FROM drafts WHERE actor = ? AND ticket_id = ? AND kind = ?",
                     (db.actor, ticket_id, kind))


def clear(db: Database, ticket_id: int, kind: str) -> None:
    save(db, ticket_id, kind, "")


def save_checklist(db: Database, ticket_id: int, state: dict[str, Any]) -> None:
    save(db, ticket_id, "checklist", json.dumps(state, sort_keys=True))


def load_checklist(db: Database, ticket_id: int) -> dict[str, Any] | None:
    return parse_checklist(load(db, ticket_id, "checklist"))


def parse_checklist(text: str | None) -> dict[str, Any] | None:
    """A stored checklist draft's state, or None (none, or damaged)."""
    if not text:
        return None
    try:
        state = json.loads(text)
    except ValueError:
        return None  # a damaged draft is not worth an error: start afresh
    return state if isinstance(state, dict) else None
