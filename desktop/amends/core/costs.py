"""What a replacement costs, per category: a figure the business sets (the
box, packing, postage), shared by everyone on the file (the settings table,
key ``replacement_cost.<category>``). The Review values replacement steps
with it and marks the result an estimate: it is an average, not a bill."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

from amends.core import audit, money
from amends.core.errors import ValidationError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES

PREFIX = "replacement_cost."


@dataclass(frozen=True)
class Cost:
    minor: int        # in the currency's smallest unit
    currency: str

    def label(self) -> str:
        return money.label(self.minor, self.currency)


def replacement_costs(db: Database | sqlite3.Connection) -> dict[str, Cost]:
    """Category → what one replacement costs (categories without a figure are absent)."""
    sql = "SELECT key, value FROM settings WHERE key LIKE 'replacement\\_cost.%' ESCAPE '\\'"
    rows = db.execute(sql).fetchall() if isinstance(db, sqlite3.Connection) else db.tuples(sql)
    found = {}
    for key, value in rows:
        try:
            data = json.loads(value)
            found[key[len(PREFIX):]] = Cost(int(data["minor"]), str(data["currency"]))
        except (TypeError, ValueError, KeyError):
            continue  # written by something else: treated as not set (health checks settings separately)
    return found


def set_replacement_cost(db: Database, category: str, amount: str | None, currency: str = "") -> Cost | None:
    """Set (or, with ``amount`` None, clear) the cost of one replacement in
    ``category``; '12.50', 'USD'."""
    problems = []
    if category not in CATEGORIES:
        problems.append(("category", f"unknown category {category!r} (one of {', '.join(CATEGORIES)})"))
    cost = None
    if amount is not None:
        code = currency.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            problems.append(("currency", f"{currency!r} is not a currency code (three letters, e.g. USD)"))
        else:
            try:
                cost = Cost(money.to_minor(amount, code), code)
                if cost.minor < 0:
                    problems.append(("amount", "a cost cannot be negative"))
            except ValueError as error:
                problems.append(("amount", str(error)))
    if problems:
        raise ValidationError(problems)
    with db.transaction() as conn:
        if cost is None:
            conn.execute("DELETE FROM settings WHERE key = ?", (PREFIX + category,))
        else:
            value = json.dumps({"minor": cost.minor, "currency": cost.currency})
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                         "value = excluded.value, version = version + 1", (PREFIX + category, value))
        audit.record(conn, db.actor, "settings", None, "update",
                     {"after": {PREFIX + category: None if cost is None else cost.label()}})
    return cost
