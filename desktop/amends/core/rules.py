"""Rules: how the relations side sorts new tickets without reading each one.

A rule is a search in the inbox's own language (words, phrases, ``OR``,
``from:``, ``cycle:`` … see :mod:`amends.core.query_syntax`) and what to set
on a new ticket that matches it: a category, tags, a priority, an assignee.
Mail and imports bring tickets in as ``other``; without rules no recovery
checklist ever applies to them and the Review's per-category figures stay
empty.

Rules run in their order inside the transaction that writes the new tickets
(:func:`apply`), each as one query restricted to the new tickets' ids, so a
rule costs the same on a million tickets as on ten. A field is set by the
first matching rule that sets it, and never when the import itself gave it
a value. Every change is audited on the ticket ("rule 'Crushed boxes' set
category damaged_shipment"). :func:`trial` tells, before saving, what a rule
would have matched in a period.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from amends.core import audit, clock, query_syntax, tags
from amends.core.errors import ConflictError, NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import CATEGORIES, DEFAULT_PRIORITY, PRIORITIES

if TYPE_CHECKING:  # importing insights builds every Review figure module: not at start-up
    from amends.core.insights.period import Period

#: What a rule can set (``--set KEY=VALUE`` on the command line).
ACTIONS = ("category", "tag", "priority", "assignee")
NAME_LIMIT = 80

#: The rules a new database starts with: one per category, from the words
#: customers use (the search has no stemming: word forms are listed).
DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("Crushed or broken boxes",
     "crushed OR broken OR damaged OR smashed OR dented OR torn OR leaking OR spilled OR \"split open\"",
     "damaged_shipment"),
    ("Wrong or missing items",
     "\"wrong item\" OR \"wrong coffee\" OR \"wrong tea\" OR \"instead of\" OR \"someone else's\" OR \"missing item\" "
     "OR \"half the\"", "wrong_item"),
    ("Late or lost deliveries",
     "late OR \"not arrived\" OR \"hasn't arrived\" OR \"never arrived\" OR \"not here\" OR tracking OR "
     "\"where is my\" OR lost", "late_delivery"),
    ("Billing questions",
     "charged OR charge OR billed OR billing OR invoice OR refund OR overcharged OR \"double charge\"", "billing"),
    ("Skips and pauses",
     "skip OR skipping OR pause OR pausing OR \"hold my\" OR \"put on hold\" OR travelling OR traveling",
     "skip_pause"),
    ("Cancellations",
     "cancel OR cancelling OR canceling OR cancelled OR cancellation OR unsubscribe OR \"stop my\"",
     "cancellation"),
    ("Product quality",
     "stale OR \"not fresh\" OR bitter OR taste OR tasted OR quality OR mouldy OR moldy OR expired",
     "product_quality"),
)


@dataclass(frozen=True)
class Rule:
    """One rule. ``query`` is search text; None actions are left alone."""

    name: str
    query: str
    category: str | None = None
    priority: int | None = None
    assignee: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    id: int | None = None
    position: int = 0
    version: int = 1

    def actions(self) -> dict[str, Any]:
        """What it sets, for people and JSON: only the actions it has."""
        found: dict[str, Any] = {}
        if self.category is not None:
            found["category"] = self.category
        if self.tags:
            found["tags"] = list(self.tags)
        if self.priority is not None:
            found["priority"] = self.priority
        if self.assignee is not None:
            found["assignee"] = self.assignee
        return found

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "position": self.position, "when": self.query,
                "set": self.actions(), "enabled": self.enabled, "version": self.version}


@dataclass(frozen=True)
class Given:
    """Which fields an import set itself (a rule leaves those alone)."""

    category: bool = False
    priority: bool = False
    assignee: bool = False


@dataclass(frozen=True)
class Applied:
    """One rule's change to one new ticket (also what the audit entry says)."""

    ticket_id: int
    rule: str
    changes: dict[str, Any]

    @property
    def summary(self) -> str:
        parts = [f"{key} {', '.join(value) if isinstance(value, list) else value}"
                 for key, value in self.changes.items()]
        return f"rule '{self.rule}' set {' and '.join(parts)}"


@dataclass(frozen=True)
class Trial:
    """What a rule would have matched in a period (before it is saved)."""

    rule: Rule
    period: Period
    matched: int
    by_category: dict[str, int] = field(default_factory=dict)

    @property
    def already(self) -> int:
        """Matched tickets that already have the category the rule sets."""
        return self.by_category.get(self.rule.category, 0) if self.rule.category else 0

    @property
    def summary(self) -> str:
        head = f"would have matched {self.matched:,} ticket{'s' if self.matched != 1 else ''}"
        if not self.matched:
            return head
        order = sorted(self.by_category.items(), key=lambda kv: (kv[0] != self.rule.category, -kv[1], kv[0]))
        parts = [f"{n:,} {'already ' if key == self.rule.category else ''}{key}" for key, n in order]
        return f"{head}: {', '.join(parts)}"

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.name, "when": self.rule.query, "set": self.rule.actions(),
                **self.period.as_dict(), "matched": self.matched, "by_category": dict(sorted(self.by_category.items())),
                "already": self.already, "would_change": self.matched - self.already, "summary": self.summary}


def parse_set(values: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` texts (``--set category=billing --set tag=vip``) to
    rule fields; a mistake names the text and what is allowed."""
    found: dict[str, Any] = {"tags": []}
    for text in values:
        key, sep, value = text.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or key not in ACTIONS:
            raise ValidationError([("--set", f"{text!r} should be KEY=VALUE with KEY one of {', '.join(ACTIONS)}")])
        if not value:
            raise ValidationError([("--set", f"{text!r} needs a value after '='")])
        if key == "tag":
            found["tags"].append(value)
        elif key in found:
            raise ValidationError([("--set", f"{key} is set more than once")])
        elif key == "priority":
            found["priority"] = _priority(value)
        else:
            found[key] = value
    found["tags"] = tuple(found["tags"])
    return found


def _priority(text: str) -> int:
    names = {name.lower(): number for number, name in PRIORITIES.items()}
    if text.lower() in names:
        return names[text.lower()]
    if text.isdigit() and int(text) in PRIORITIES:
        return int(text)
    raise ValidationError([("priority", f"{text!r} is not a priority (0-3 or "
                                        f"{', '.join(p.lower() for p in PRIORITIES.values())})")])


def check(rule: Rule) -> Rule:
    """The rule, cleaned (names trimmed, category keys), or every problem
    with it at once. The condition must be a valid search that names
    something: an empty one would match every ticket."""
    problems: list[tuple[str, str]] = []
    name = " ".join(rule.name.split())
    if not name:
        problems.append(("name", "a rule needs a name"))
    elif len(name) > NAME_LIMIT:
        problems.append(("name", f"at most {NAME_LIMIT} characters"))
    parsed = query_syntax.parse(rule.query, "", strict=True)
    problems += [("when", f"{p.token}: {p.reason}") for p in parsed.problems]
    if not parsed.problems and not (parsed.words or parsed.excluded or parsed.conditions):
        problems.append(("when", "the condition is empty (it would match every ticket): give words or fields"))
    category = rule.category
    if category is not None:
        category = category.strip().lower().replace("-", "_").replace(" ", "_")
        by_name = {n.lower().replace(" ", "_"): key for key, n in CATEGORIES.items()}
        category = category if category in CATEGORIES else by_name.get(category)
        if category is None:
            problems.append(("category", f"{rule.category!r} is not a category (one of {', '.join(CATEGORIES)})"))
    if rule.priority is not None and rule.priority not in PRIORITIES:
        problems.append(("priority", "0 (low) to 3 (urgent)"))
    assignee = rule.assignee.strip() if rule.assignee is not None else None
    if assignee == "":
        problems.append(("assignee", "an assignee needs a name"))
    clean_tags = []
    for tag in rule.tags:
        try:
            clean_tags.append(tags.check_name(tag))
        except ValidationError as error:
            problems += [("tag", f"{tag!r}: {reason}") for _, reason in error.problems]
    if not (category or clean_tags or rule.priority is not None or assignee):
        problems.append(("set", f"a rule sets at least one of {', '.join(ACTIONS)}"))
    if problems:
        raise ValidationError(problems)
    return replace(rule, name=name, category=category, assignee=assignee,
                   tags=tuple(dict.fromkeys(clean_tags)))


def _from_row(row: sqlite3.Row | tuple) -> Rule:
    rule_id, name, position, query, category, priority, assignee, tag_json, enabled, version = row
    return Rule(name, query, category, priority, assignee, tuple(json.loads(tag_json or "[]")), bool(enabled),
                rule_id, position, version)


_COLUMNS = "id, name, position, query, category, priority, assignee, tags, enabled, version"


def all_rules(db: Database) -> list[Rule]:
    """Every rule in the order they run."""
    return [_from_row(r) for r in db.tuples(f"SELECT {_COLUMNS} FROM rules ORDER BY position, id")]


def get(db: Database, name: str) -> Rule:
    row = db.tuples(f"SELECT {_COLUMNS} FROM rules WHERE name = ?", (" ".join(name.split()),))
    if not row:
        known = ", ".join(r.name for r in all_rules(db)) or "none yet"
        raise NotFound(f"No rule is called {name!r} (rules: {known}).")
    return _from_row(row[0])


def add(db: Database, rule: Rule) -> Rule:
    """Save a new rule at the end of the list (it runs last)."""
    rule = check(rule)
    with db.transaction() as conn:
        if conn.execute("SELECT 1 FROM rules WHERE name = ?", (rule.name,)).fetchone():
            raise ValidationError([("name", f"a rule called {rule.name!r} exists already")])
        position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM rules").fetchone()[0]
        rule_id = _insert(conn, db.actor, rule, position)
        audit.record(conn, db.actor, "rule", rule_id, "created", {"name": rule.name, "when": rule.query,
                                                                   "set": rule.actions()})
    return replace(rule, id=rule_id, position=position)


def _insert(conn: sqlite3.Connection, actor: str, rule: Rule, position: int) -> int:
    return inserted_id(conn.execute(
        "INSERT INTO rules (name, position, query, category, priority, assignee, tags, enabled, updated_at, "
        "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rule.name, position, rule.query, rule.category, rule.priority, rule.assignee,
         json.dumps(list(rule.tags), ensure_ascii=False), int(rule.enabled), clock.now_iso(), actor)))


def update(db: Database, rule: Rule) -> Rule:
    """Save an edited rule (``rule.id`` and the ``version`` it was loaded at);
    someone else's save in between is a :class:`ConflictError`."""
    rule_id = rule.id
    if rule_id is None:
        raise ValidationError([("rule", "only a saved rule can be updated")])
    rule = check(rule)
    with db.transaction() as conn:
        current = conn.execute("SELECT version, updated_by FROM rules WHERE id = ?", (rule_id,)).fetchone()
        if current is None:
            raise NotFound(f"Rule {rule_id} no longer exists.")
        if current[0] != rule.version:
            raise ConflictError("rule", rule_id, by=current[1])
        if conn.execute("SELECT 1 FROM rules WHERE name = ? AND id <> ?", (rule.name, rule.id)).fetchone():
            raise ValidationError([("name", f"a rule called {rule.name!r} exists already")])
        conn.execute("UPDATE rules SET name = ?, query = ?, category = ?, priority = ?, assignee = ?, tags = ?, "
                     "enabled = ?, updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ?",
                     (rule.name, rule.query, rule.category, rule.priority, rule.assignee,
                      json.dumps(list(rule.tags), ensure_ascii=False), int(rule.enabled), clock.now_iso(),
                      db.actor, rule.id))
        audit.record(conn, db.actor, "rule", rule.id, "updated", {"name": rule.name, "when": rule.query,
                                                                   "set": rule.actions(), "enabled": rule.enabled})
    return replace(rule, version=rule.version + 1)


def remove(db: Database, rule_id: int) -> None:
    with db.transaction() as conn:
        row = conn.execute("SELECT name FROM rules WHERE id = ?", (rule_id,)).fetchone()
        if row is None:
            raise NotFound(f"Rule {rule_id} no longer exists.")
        conn.execute("DELETE FROM rules WHERE id = ?", (rule_id,))
        audit.record(conn, db.actor, "rule", rule_id, "removed", {"name": row[0]})


def reorder(db: Database, rule_ids: list[int]) -> None:
    """Put the rules in this order (every rule, each once)."""
    with db.transaction() as conn:
        known = {r[0] for r in conn.execute("SELECT id FROM rules")}
        if set(rule_ids) != known or len(rule_ids) != len(known):
            raise ValidationError([("order", "name every rule exactly once")])
        conn.executemany("UPDATE rules SET position = ?, version = version + 1 WHERE id = ?",
                         [(i, rule_id) for i, rule_id in enumerate(rule_ids, start=1)])
        audit.record(conn, db.actor, "rule", None, "reordered", {"order": rule_ids})


def seed_defaults(conn: sqlite3.Connection, actor: str) -> None:
    """The starting rules of a new database (one per category)."""
    existing = conn.execute("SELECT count(*) FROM rules").fetchone()[0]
    for position, (name, query, category) in enumerate(DEFAULTS, start=existing + 1):
        if not conn.execute("SELECT 1 FROM rules WHERE name = ?", (name,)).fetchone():
            _insert(conn, actor, check(Rule(name, query, category)), position)


def _condition(rule: Rule, actor: str, *, probe: tuple[int, int] | None) -> tuple[str, list[Any]]:
    """The rule's search as SQL over ``tickets t`` (every value a parameter).
    ``probe``: only tickets in this id range are asked about, so the search
    index is read for that range only."""
    parsed = query_syntax.parse(rule.query, actor, probe=probe, strict=True)
    if parsed.problems:
        raise ValidationError([("when", f"rule {rule.name!r}: {p.token}: {p.reason}") for p in parsed.problems])
    where = [sql for sql, _ in parsed.conditions]
    params: list[Any] = [value for _, values in parsed.conditions for value in values]
    lookup = "t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?" + (
        " AND rowid BETWEEN ? AND ?)" if probe else ")")
    if parsed.words:
        where.append(lookup)
        params += [query_syntax.fts_expression(parsed.words, prefix_last=False), *(probe or ())]
    if parsed.excluded:
        where.append(f"NOT {lookup}")
        params += [" OR ".join(query_syntax.fts_expression([term], prefix_last=False) or ""
                               for term in parsed.excluded), *(probe or ())]
    return " AND ".join(f"({w})" for w in where) or "1", params


def apply(conn: sqlite3.Connection, actor: str, new: Mapping[int, Given]) -> list[Applied]:
    """Run the enabled rules over just-written tickets (ids, with what their
    import set), inside the caller's transaction. Each rule is one query
    restricted to those ids. Returns what changed (each change audited)."""
    if not new:
        return []
    rules = [_from_row(r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM rules WHERE enabled = 1 ORDER BY position, id")]
    if not rules:
        return []
    ids = json.dumps(sorted(new))
    taken: dict[int, set[str]] = {i: {f for f in ("category", "priority", "assignee") if getattr(g, f)}
                                  for i, g in new.items()}
    applied: list[Applied] = []
    for rule in rules:
        where, params = _condition(rule, actor, probe=(min(new), max(new)))
        matched = [r[0] for r in conn.execute(
            f"SELECT t.id FROM tickets t WHERE t.id IN (SELECT value FROM json_each(?)) AND {where} ORDER BY t.id",
            [ids, *params])]
        for ticket_id in matched:
            changes = _apply_one(conn, rule, ticket_id, taken[ticket_id])
            if changes:
                done = Applied(ticket_id, rule.name, changes)
                audit.record(conn, actor, "ticket", ticket_id, "rule",
                             {"rule": rule.name, "rule_id": rule.id, "set": changes, "summary": done.summary})
                applied.append(done)
    return applied


def _apply_one(conn: sqlite3.Connection, rule: Rule, ticket_id: int, taken: set[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("category", "priority", "assignee"):
        value = getattr(rule, name)
        if value is not None and name not in taken:
            changes[name] = value
            taken.add(name)
    if changes:
        conn.execute(f"UPDATE tickets SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                     [*changes.values(), ticket_id])
    added = []
    for name in rule.tags:
        conn.execute("INSERT INTO tags (name, colour) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                     (name, tags.PALETTE[-1]))
        if conn.execute("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag_id) SELECT ?, id FROM tags "
                        "WHERE name = ?", (ticket_id, name)).rowcount:
            added.append(name)
    if added:
        changes["tags"] = added
    return changes


def given_by(category: str, priority: int, assignee: str | None) -> Given:
    """What an imported record set itself: anything but the defaults an
    import leaves (category ``other``, normal priority, no assignee)."""
    return Given(category != "other", priority != DEFAULT_PRIORITY, assignee is not None)


def trial(db: Database, rule: Rule, period: Period) -> Trial:
    """What ``rule`` (saved or not) would have matched among the tickets
    created in ``period``, by their category now: shown before saving."""
    rule = check(rule)
    where, params = _condition(rule, db.actor, probe=None)
    counts = dict(db.tuples(
        f"SELECT t.category, count(*) FROM tickets t WHERE t.merged_into IS NULL AND t.created_at >= ? "
        f"AND t.created_at < ? AND {where} GROUP BY t.category", [period.start, period.end, *params]))
    return Trial(rule, period, sum(counts.values()), counts)
