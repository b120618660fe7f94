"""What was wrong with a mail when it came in. Mail is never refused for
being odd (no Date, no sender, an unknown charset, broken MIME, a bounce):
it is kept, and these notes say what the reader should not trust."""

from __future__ import annotations

import json

from amends.core.store import Database


def _load(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        found = json.loads(text)
    except ValueError:  # written by another tool: show it as it is rather than hide it
        return [text]
    return [str(d) for d in found] if isinstance(found, list) else [str(found)]


def of_message(db: Database, message_id: int) -> list[str]:
    """The defects noted on one message (empty when it was a clean mail)."""
    return _load(db.scalar("SELECT defects FROM messages WHERE id = ?", (message_id,)))


def of_ticket(db: Database, ticket_id: int) -> dict[int, list[str]]:
    """Message id → its defects, for the messages of a ticket that have any
    (what the conversation view marks)."""
    return {row[0]: _load(row[1]) for row in db.query(
        "SELECT id, defects FROM messages WHERE ticket_id = ? AND defects IS NOT NULL ORDER BY created_at, id",
        (ticket_id,))}
