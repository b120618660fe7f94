"""Views: the built-in ones every inbox has, and searches a person saved,
in their own order and with their own names.

A saved view is search text (desktop/amends/core/query_syntax.py) plus a status
filter and a sort, so anything the search box can find can be a view.
Saved views belong to the person who saved them (one shared file, several
people, each with their own sidebar).
"""

from __future__ import annotations

from dataclasses import dataclass

from amends.core import query_syntax, tickets
from amends.core.errors import ConflictError, NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id


@dataclass(frozen=True)
class View:
    key: str            # "builtin:<name>" or "saved:<id>"
    name: str
    query: tickets.InboxQuery
    id: int | None = None       # saved views only
    version: int | None = None

    @property
    def saved(self) -> bool:
        return self.id is not None


#: The built-in views (name, query); the sidebar shows them first, in this order.
BUILTIN: tuple[tuple[str, tickets.InboxQuery], ...] = (
    ("Active", tickets.InboxQuery(status="active")),
    ("Mine", tickets.InboxQuery(status="active", assignee="me")),
    ("Unassigned", tickets.InboxQuery(status="active", assignee=tickets.UNASSIGNED)),
    ("Due follow-ups", tickets.InboxQuery(status="all", view="due_followups")),
    # Reply targets (core/targets.py), the longest waiting first.
    ("Overdue", tickets.InboxQuery(status="active", base_text="is:overdue", sort="waiting")),
    ("Due soon", tickets.InboxQuery(status="active", base_text="is:due-soon", sort="waiting")),
    ("First-cycle customers", tickets.InboxQuery(status="active", base_text="cycle:1")),
    ("No policy", tickets.InboxQuery(status="active", base_text="policy:none")),
    ("Snoozed", tickets.InboxQuery(status="all", base_text="is:snoozed")),
    ("Resolved", tickets.InboxQuery(status="resolved")),
    ("All tickets", tickets.InboxQuery(status="all")),
)


def builtin() -> list[View]:
    return [View(f"builtin:{name}", name, query) for name, query in BUILTIN]


def _check(name: str, text: str, status: str, sort: str, actor: str) -> str:
    clean = " ".join((name or "").split())
    problems = []
    if not clean:
        problems.append(("name", "a view needs a name"))
    elif len(clean) > 60:
        problems.append(("name", "at most 60 characters"))
    parsed = query_syntax.parse(text, actor)
    problems += [(p.token, p.reason) for p in parsed.problems]
    try:
        tickets.InboxQuery(status=status, sort=sort).validated()
    except ValidationError as error:
        problems += error.problems
    if problems:
        raise ValidationError(problems)
    return clean


def saved(db: Database) -> list[View]:
    """This person's saved views, in their order."""
    return [View(f"saved:{r['id']}", r["name"], tickets.InboxQuery(status=r["status"], sort=r["sort"],
                                                                  text=r["query"]), r["id"], r["version"])
            for r in db.query("SELECT * FROM saved_views WHERE actor = ? ORDER BY position, id", (db.actor,))]


def all_views(db: Database) -> list[View]:
    return builtin() + saved(db)


def save(db: Database, name: str, text: str, *, status: str = "active", sort: str = "updated") -> int:
    from amends.core import audit  # (writing a view only: not imported at start, issue 16)

    clean = _check(name, text, status, sort, db.actor)
    with db.transaction() as conn:
        position = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM saved_views WHERE actor = ?",
                                (db.actor,)).fetchone()[0]
        view_id = inserted_id(conn.execute("INSERT INTO saved_views (actor, name, query, status, sort, position) "
                               "VALUES (?, ?, ?, ?, ?, ?)", (db.actor, clean, text.strip(), status, sort,
                                                             position)))
        audit.record(conn, db.actor, "view", view_id, "create", {"name": clean, "query": text.strip()})
    return view_id


def _mine(conn, db: Database, view_id: int):
    row = conn.execute("SELECT * FROM saved_views WHERE id = ? AND actor = ?", (view_id, db.actor)).fetchone()
    if row is None:
        raise NotFound(f"View {view_id} does not exist (or is someone else's).")
    return row


def rename(db: Database, view_id: int, name: str) -> None:
    from amends.core import audit  # (writing a view only: not imported at start, issue 16)

    with db.transaction() as conn:
        row = _mine(conn, db, view_id)
        clean = _check(name, row["query"], row["status"], row["sort"], db.actor)
        conn.execute("UPDATE saved_views SET name = ?, version = version + 1 WHERE id = ?", (clean, view_id))
        audit.record(conn, db.actor, "view", view_id, "update",
                     {"before": {"name": row["name"]}, "after": {"name": clean}})


def update_query(db: Database, view_id: int, text: str, expected_version: int) -> None:
    with db.transaction() as conn:
        row = _mine(conn, db, view_id)
        if row["version"] != expected_version:
            raise ConflictError("View", view_id, message="This view was changed in another window; reload it.")
        _check(row["name"], text, row["status"], row["sort"], db.actor)
        conn.execute("UPDATE saved_views SET query = ?, version = version + 1 WHERE id = ?", (text.strip(), view_id))


def reorder(db: Database, view_ids: list[int]) -> None:
    """Put this person's saved views in the order given (all of them)."""
    with db.transaction() as conn:
        mine = {r[0] for r in conn.execute("SELECT id FROM saved_views WHERE actor = ?", (db.actor,))}
        if set(view_ids) != mine or len(view_ids) != len(mine):
            raise ValidationError([("order", "the order must list each of your saved views once")])
        conn.executemany("UPDATE saved_views SET position = ? WHERE id = ?",
                         [(position, vid) for position, vid in enumerate(view_ids)])


def delete(db: Database, view_id: int) -> None:
    from amends.core import audit  # (writing a view only: not imported at start, issue 16)

    with db.transaction() as conn:
        row = _mine(conn, db, view_id)
        conn.execute("DELETE FROM saved_views WHERE id = ?", (view_id,))
        audit.record(conn, db.actor, "view", view_id, "delete", {"name": row["name"], "query": row["query"]})
