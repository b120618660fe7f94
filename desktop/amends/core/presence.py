"""Presence: "<display name> is viewing / replying" on a ticket.

Each app instance writes a heartbeat (its ticket and activity) every few
seconds. Entries not refreshed for :data:`EXPIRE_SECONDS` are ignored, so a
crashed instance disappears by itself. Heartbeats are not changes to the
business data: they are not audited.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from amends.core import clock
from amends.core.errors import ValidationError
from amends.core.store import Database

EXPIRE_SECONDS = 30
ACTIVITIES = ("viewing", "replying", "idle")


def new_instance() -> str:
    return os.urandom(16).hex()  # not uuid: importing it costs ~17 ms of start-up (it loads platform)


@dataclass(frozen=True)
class Presence:
    instance: str
    actor: str
    ticket_id: int | None
    activity: str
    seen_at: str

    def describe(self) -> str:
        return f"{self.actor} is {self.activity}"


def beat(db: Database, instance: str, ticket_id: int | None, activity: str = "viewing",
         *, at: str | None = None) -> None:
    if activity not in ACTIVITIES:
        raise ValidationError([("activity", f"one of {', '.join(ACTIVITIES)}")])
    at = at or clock.now_iso()
    with db.transaction(wait=False) as conn:  # a heartbeat never makes anyone wait
        conn.execute(
            "INSERT INTO presence (instance, actor, ticket_id, activity, seen_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(instance) DO UPDATE SET actor = excluded.actor, ticket_id = excluded.ticket_id, "
            "activity = excluded.activity, seen_at = excluded.seen_at",
            (instance, db.actor, ticket_id, activity, at))
        # Old rows of instances that crashed long ago: tidy up now and then.
        conn.execute("DELETE FROM presence WHERE seen_at < ?",
                     (clock.to_iso(clock.parse_iso(at) - timedelta(days=1)),))


def leave(db: Database, instance: str) -> None:
    with db.transaction() as conn:
        conn.execute("DELETE FROM presence WHERE instance = ?", (instance,))


def others(db: Database, instance: str, *, now: str | None = None) -> list[Presence]:
    """Everyone else whose heartbeat is fresh, with the ticket they are on."""
    since = clock.to_iso(clock.parse_iso(now or clock.now_iso()) - timedelta(seconds=EXPIRE_SECONDS))
    return [Presence(*r) for r in db.tuples(
        "SELECT instance, actor, ticket_id, activity, seen_at FROM presence "
        "WHERE instance <> ? AND seen_at >= ? ORDER BY actor", (instance, since))]


def by_ticket(people: list[Presence]) -> dict[int, list[Presence]]:
    found: dict[int, list[Presence]] = {}
    for person in people:
        if person.ticket_id is not None and person.activity != "idle":
            found.setdefault(person.ticket_id, []).append(person)
    return found
