"""Tickets as CSV (safe to open in a spreadsheet) or JSON, for everything
or the tickets a search or view shows."""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

from amends.core import tickets
from amends.core.exporters.snapshot import read_snapshot
from amends.core.output_files import atomic_output
from amends.core.store import Database

COLUMNS = ("id", "ref", "subject", "status", "category", "priority", "assignee", "customer", "email",
           "created_at", "updated_at", "resolved_at", "billing_cycle")
#: A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


#: Characters a spreadsheet skips or shows as nothing before a cell's text,
#: so ``" =cmd"`` or ``"\ufeff=cmd"`` still runs as a formula.
_INVISIBLE_CATEGORIES = ("Zs", "Zl", "Zp", "Cf", "Cc")


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def formula_like(text: str) -> bool:
    """Would a spreadsheet read this cell as a formula? A tab or CR anywhere
    in the leading invisible run, or ``= + - @`` (or a full-width look-alike)
    as the first visible character."""
    for ch in text:
        if ch in "\t\r":
            return True
        if _invisible(ch):
            continue
        return unicodedata.normalize("NFKC", ch).startswith(FORMULA_PREFIXES)
    return False


def safe_cell(value: object) -> object:
    """Neutralise formula injection: such a cell gets a leading apostrophe,
    in every column."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def rows(db: Database, query: tickets.InboxQuery | None = None):
    """Every ticket (or the ones ``query`` selects), paged, newest first.
    Consistent only inside :func:`read_snapshot` (the writers below use it):
    otherwise a ticket edited meanwhile jumps over the page cursor."""
    query = query or tickets.InboxQuery(status="all")
    cursor = None
    while True:
        page, cursor = tickets.page(db, query, cursor, 1000)
        ids = [r.id for r in page]
        if ids:
            details = {r["id"]: r for r in db.query(
                f"""SELECT t.id, t.ref, t.resolved_at, c.email FROM tickets t LEFT JOIN customers c
                    ON c.id = t.customer_id WHERE t.id IN ({','.join('?' * len(ids))})""", ids)}
            for r in page:
                d = details[r.id]
                yield {"id": r.id, "ref": d["ref"], "subject": r.subject, "status": r.status,
                       "category": r.category, "priority": r.priority, "assignee": r.assignee,
                       "customer": r.customer, "email": d["email"], "created_at": r.created_at,
                       "updated_at": r.updated_at, "resolved_at": d["resolved_at"], "billing_cycle": r.billing_cycle}
        if cursor is None:
            return


def write_csv(db: Database, out: Path, query: tickets.InboxQuery | None = None, *, force: bool = False) -> int:
    """Write the tickets as CSV, atomically, from one snapshot. ``force``
    replaces an existing (non-database) file."""
    count = 0
    # The BOM makes Excel read UTF-8; newline="" lets the csv module end rows.
    with atomic_output(out, force=force, database=db.path, encoding="utf-8-sig", newline="") as handle, \
            read_snapshot(db):
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows(db, query):
            writer.writerow([safe_cell(row[c]) for c in COLUMNS])
            count += 1
    return count


def write_json(db: Database, out: Path, query: tickets.InboxQuery | None = None, *, force: bool = False) -> int:
    """Write the tickets with their messages as JSON, atomically, from one snapshot."""
    with atomic_output(out, force=force, database=db.path) as handle, read_snapshot(db):
        items = list(rows(db, query))
        for item in items:
            item["messages"] = [{"direction": m.direction, "author": m.author, "at": m.created_at, "body": m.body}
                                for m in tickets.messages(db, item["id"])]
        json.dump({"tickets": items}, handle, indent=2, ensure_ascii=False)
    return len(items)
