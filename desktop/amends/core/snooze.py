"""Snooze: hide a ticket from the active views until a time.

A snoozed ticket comes back by itself when the time passes (the active
filter compares with now), when the customer writes (adding an inbound
message clears the snooze, desktop/amends/core/tickets.py and the importers), and
:func:`wake_due` moves woken tickets to the top of "recently updated".
Snoozing is a field edit (desktop/amends/core/edits.py), so it can be undone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from amends.core import billing, clock
from amends.core.edits import FieldEdit, set_values
from amends.core.errors import ValidationError
from amends.core.store import Database

#: Preset name -> what the menu says.
PRESETS: dict[str, str] = {
    "tomorrow": "Tomorrow morning",
    "3d": "In 3 days",
    "7d": "In 7 days",
    "next_cycle": "The customer's next billing cycle",
}
MORNING = time(9, 0)


@dataclass(frozen=True)
class Woken:
    ticket_ids: tuple[int, ...]


def preset_time(preset: str, now_local: datetime) -> datetime:
    """The moment a preset means, in the person's local time (``now_local``
    carries its zone): tomorrow 09:00, or the same time of day +3/+7 days."""
    if preset == "tomorrow":
        return datetime.combine(now_local.date() + timedelta(days=1), MORNING, now_local.tzinfo)
    if preset in ("3d", "7d"):
        return datetime.combine(now_local.date() + timedelta(days=int(preset[0])), MORNING, now_local.tzinfo)
    raise ValidationError([("snooze", f"unknown preset {preset!r} (one of {', '.join(PRESETS)})")])


def next_charge(db: Database, customer_id: int | None, now: datetime) -> datetime | None:
    """When the customer's subscription next renews (None without one)."""
    if customer_id is None:
        return None
    from amends.core import customers  # (not imported by the app's start: the first page needs none of it)

    sub = customers.subscription_at(db, customer_id, clock.to_iso(now))
    if sub is None or sub.status == "cancelled":
        return None
    return billing.next_charge(clock.parse_iso(sub.started_at), sub.interval, now)


def until_for(db: Database, ticket_ids: Iterable[int], preset: str, now_local: datetime,
              custom: datetime | None = None) -> dict[int, str]:
    """Each ticket's snooze time for a preset (``next_cycle`` differs per
    customer; a ticket whose customer has no subscription gets +7 days)."""
    ids = list(ticket_ids)
    if preset == "custom":
        if custom is None:
            raise ValidationError([("snooze", "choose a date")])
        if custom <= now_local:
            raise ValidationError([("snooze", "the date must be in the future")])
        return {tid: clock.to_iso(custom) for tid in ids}
    if preset != "next_cycle":
        at = clock.to_iso(preset_time(preset, now_local))
        return {tid: at for tid in ids}
    now = now_local.astimezone(UTC)
    owners = dict(db.tuples("SELECT id, customer_id FROM tickets WHERE id IN (SELECT value FROM json_each(?))",
                            (json.dumps(ids),)))
    fallback = clock.to_iso(preset_time("7d", now_local))
    result = {}
    for tid in ids:
        charge = next_charge(db, owners.get(tid), now)
        result[tid] = clock.to_iso(charge) if charge is not None else fallback
    return result


def snooze(db: Database, ticket_ids: Iterable[int], preset: str, now_local: datetime | None = None,
           custom: datetime | None = None) -> FieldEdit:
    now_local = now_local or datetime.now().astimezone()
    return set_values(db, "snoozed_until", until_for(db, ticket_ids, preset, now_local, custom))


def unsnooze(db: Database, ticket_ids: Iterable[int]) -> FieldEdit:
    return set_values(db, "snoozed_until", {tid: None for tid in ticket_ids})


def wake_due(db: Database, now: str | None = None) -> Woken:
    """Tickets whose snooze has passed: clear it and put them on top of the
    inbox (their updated time is now), with an audit entry each."""
    now = now or clock.now_iso()
    if db.readonly:
        return Woken(())
    ids = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE snoozed_until IS NOT NULL AND snoozed_until <= ?",
                                   (now,))]
    if not ids:
        return Woken(())
    with db.transaction() as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM tickets WHERE snoozed_until IS NOT NULL AND snoozed_until <= ?", (now,))]
        conn.executemany("UPDATE tickets SET snoozed_until = NULL, updated_at = ? WHERE id = ?",
                         [(now, tid) for tid in ids])
        conn.executemany("INSERT INTO audit_log (at, actor, entity, entity_id, action, change) "
                         "VALUES (?, ?, 'ticket', ?, 'wake', NULL)", [(now, db.actor, tid) for tid in ids])
    return Woken(tuple(ids))
