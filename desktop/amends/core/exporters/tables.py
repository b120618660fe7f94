"""Tickets as CSV (safe to open in a spreadsheet) or JSON, for everything
or the tickets a search or view shows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from amends.core import tickets
from amends.core.store import Database

COLUMNS = ("id", "ref", "subject", "status", "category", "priority", "assignee", "customer", "email",
           "created_at", "updated_at", "resolved_at", "billing_cycle")
#: A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise formula injection: such a cell gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def rows(db: Database, query: tickets.InboxQuery | None = None):
    """Every ticket (or the ones ``query`` selects), paged, newest first."""
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


def write_csv(db: Database, out: Path, query: tickets.InboxQuery | None = None) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows(db, query):
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
        count += 1
    out.write_text(buffer.getvalue(), encoding="utf-8-sig")  # the BOM makes Excel read UTF-8
    return count


def write_json(db: Database, out: Path, query: tickets.InboxQuery | None = None) -> int:
    items = list(rows(db, query))
    for item in items:
        item["messages"] = [{"direction": m.direction, "author": m.author, "at": m.created_at, "body": m.body}
                            for m in tickets.messages(db, item["id"])]
    out.write_text(json.dumps({"tickets": items}, indent=2, ensure_ascii=False), encoding="utf-8")
    return len(items)
