"""Edits of ticket fields, one ticket or a thousand at once, that can be
taken back.

Every edit returns a record of what it changed; ``record.undo(db)`` writes
the reverse and returns *its* record, whose ``undo`` is the redo. The UI's
``QUndoStack`` just keeps swapping them (desktop/amends/ui/undo.py). Undo never
overwrites someone else's later work: a ticket changed by anyone since the
edit (its version moved on) is left alone and listed in ``skipped``.

One edit = one transaction, with ``executemany`` for the rows and one audit
entry per ticket, so a bulk edit of 1,000 tickets costs milliseconds, not
1,000 transactions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from amends.core import clock, tickets
from amends.core.errors import NotFound, ValidationError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, PRIORITIES

#: Fields a (bulk) edit may change. Resolving goes through the checklist.
FIELDS = ("status", "category", "priority", "assignee", "snoozed_until")
_LABELS = {"status": "status", "category": "category", "priority": "priority", "assignee": "assignee",
           "snoozed_until": "snooze"}


@dataclass(frozen=True)
class FieldEdit:
    """One field set on some tickets; ``rows`` hold (ticket id, value before,
    value after, version after, updated_at before)."""

    field: str
    rows: tuple[tuple[int, Any, Any, int, str], ...]
    skipped: tuple[int, ...] = ()

    @property
    def ticket_ids(self) -> list[int]:
        return [r[0] for r in self.rows]

    @property
    def label(self) -> str:
        return f"{_LABELS[self.field]} of {len(self.rows)} ticket{'s' if len(self.rows) != 1 else ''}"

    def undo(self, db: Database) -> FieldEdit:
        return _write(db, self.field, {r[0]: r[1] for r in self.rows},
                      expect={r[0]: (r[3], r[2]) for r in self.rows},
                      restore_updated={r[0]: r[4] for r in self.rows}, action="undo")


def check_value(field: str, value: Any) -> None:
    problems = []
    if field not in FIELDS:
        problems.append((field, "cannot be edited here"))
    elif field == "status":
        if value == "resolved":
            problems.append((field, "resolve through the recovery checklist (E), not by setting the status"))
        elif value not in ("open", "pending"):
            problems.append((field, "must be open or pending"))
    elif field == "category" and value not in CATEGORIES:
        problems.append((field, f"must be one of {', '.join(CATEGORIES)}"))
    elif field == "priority" and value not in PRIORITIES:
        problems.append((field, f"must be one of {', '.join(map(str, PRIORITIES))}"))
    elif field == "assignee" and value is not None and not str(value).strip():
        problems.append((field, "a name, or nobody"))
    elif field == "snoozed_until" and value is not None:
        try:
            clock.parse_iso(str(value))
        except ValueError:
            problems.append((field, "must be a time (ISO 8601)"))
    if problems:
        raise ValidationError(problems)


def set_field(db: Database, ticket_ids: Iterable[int], field: str, value: Any) -> FieldEdit:
    """Set ``field`` to ``value`` on every ticket given (unchanged ones are
    not touched and not part of the edit)."""
    return set_values(db, field, {tid: value for tid in ticket_ids})


def set_values(db: Database, field: str, values: dict[int, Any], *,
               expected_versions: dict[int, int] | None = None) -> FieldEdit:
    """Set ``field`` per ticket (snoozing to each customer's next cycle gives
    each ticket its own time). With ``expected_versions`` (a single edit from
    the ticket view) a ticket someone else changed raises ConflictError."""
    for value in set(values.values()):
        check_value(field, value)
    if field == "snoozed_until":
        values = {tid: None if v is None else clock.to_iso(clock.parse_iso(v)) for tid, v in values.items()}
    return _write(db, field, values, expected_versions=expected_versions, action="update")


def _write(db: Database, field: str, values: dict[int, Any], *, action: str,
           expected_versions: dict[int, int] | None = None,
           expect: dict[int, tuple[int, Any]] | None = None,
           restore_updated: dict[int, str] | None = None) -> FieldEdit:
    if field not in FIELDS:
        raise ValidationError([(field, "cannot be edited here")])
    now = clock.now_iso()
    rows, skipped = [], []
    with db.transaction(tickets=values) as conn:  # it reads-then-writes only these tickets' rows
        current = {r["id"]: r for r in conn.execute(
            f"SELECT id, {field} AS value, version, status, updated_at FROM tickets "
            "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(values)),))}
        missing = [tid for tid in values if tid not in current]
        if missing and expect is None:
            raise NotFound(f"Ticket {missing[0]} does not exist." if len(missing) == 1
                           else f"{len(missing)} of the tickets no longer exist (first: #{missing[0]}).")
        for tid, value in values.items():
            row = current.get(tid)
            if row is None:
                skipped.append(tid)
                continue
            if expected_versions is not None and tid in expected_versions \
                    and row["version"] != expected_versions[tid]:
                full = conn.execute("SELECT * FROM tickets WHERE id = ?", (tid,)).fetchone()
                raise tickets.conflict_for(conn, tid, expected_versions[tid], full)
            if expect is not None and (row["version"], row["value"]) != expect[tid]:
                skipped.append(tid)  # someone changed it since: theirs stays
                continue
            if field == "status" and row["status"] == "resolved" and action != "undo":
                skipped.append(tid)  # reopening a resolved ticket is a single, deliberate edit
                continue
            if row["value"] == value:
                continue
            rows.append((tid, row["value"], value, row["version"] + 1, row["updated_at"]))
        updated = {tid: (restore_updated or {}).get(tid, now) for tid, *_ in rows}
        conn.executemany(f"UPDATE tickets SET {field} = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                         [(after, updated[tid], tid) for tid, _before, after, _v, _u in rows])
        conn.executemany(
            "INSERT INTO audit_log (at, actor, entity, entity_id, action, change) VALUES (?, ?, 'ticket', ?, ?, ?)",
            [(now, db.actor, tid, action, json.dumps({"before": {field: before}, "after": {field: after}},
                                                    ensure_ascii=False, sort_keys=True))
             for tid, before, after, _v, _u in rows])
    return FieldEdit(field, tuple(rows), tuple(skipped))


def take(db: Database, ticket_id: int) -> FieldEdit:
    """Assign the ticket to me, atomically (amends.core.tickets.take: when
    two people take it at once one of them gets ConflictError), as an edit
    that can be undone."""
    before = db.one("SELECT assignee, updated_at, version FROM tickets WHERE id = ?", (ticket_id,))
    version = tickets.take(db, ticket_id)
    if before is None or version == before["version"]:
        return FieldEdit("assignee", ())
    return FieldEdit("assignee", ((ticket_id, before["assignee"], db.actor, version, before["updated_at"]),))
