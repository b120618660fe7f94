"""What the inbox shows: the :class:`InboxQuery` record, its sorts and
views, and the view filters it turns into SQL (``t`` is ``tickets``).

Split out of tickets.py (one concern a module): the search language adds to
these terms in :mod:`amends.core.inbox_search`, the pages read with them in
:mod:`amends.core.inbox_pages`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amends.core import query_syntax
from amends.core.errors import ValidationError
from amends.core.vocabulary import CATEGORIES

WAITING_KEY = "coalesce(t.waiting_since, '~')"

#: ``InboxQuery.assignee`` value meaning "nobody is assigned".
UNASSIGNED = "\x00none"

STATUS_FILTERS = ("active", "open", "pending", "resolved", "all")
SORTS = {
    # name: (ORDER BY columns, all descending; keyset columns)
    "updated": ("t.updated_at", "t.id"),
    "created": ("t.created_at", "t.id"),
    "priority": ("t.priority", "t.updated_at", "t.id"),
    # Oldest waiting first: the customer who has waited longest on top; tickets
    # nobody waits on come last ('~' sorts after every time), by the expression index.
    "waiting": (WAITING_KEY, "t.id"),
}
#: Sorts read oldest first (the others newest first).
ASCENDING = frozenset({"waiting"})
VIEWS = ("all", "due_followups")


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox shows. ``status='active'`` means open or pending."""

    status: str = "active"
    category: str | None = None
    assignee: str | None = None
    text: str = ""
    sort: str = "updated"
    view: str = "all"
    #: Only these tickets (a drill-down from the Review pane); None = no limit.
    ids: tuple[int, ...] | None = None
    #: The view's own search (``cycle:1`` for "First-cycle customers"), added
    #: to what the person types without showing in the search box.
    base_text: str = ""

    @property
    def full_text(self) -> str:
        return f"{self.base_text} {self.text}".strip()

    def validated(self) -> InboxQuery:
        problems = []
        if self.status not in STATUS_FILTERS:
            problems.append(("status", f"unknown status filter {self.status!r}"))
        if self.category is not None and self.category not in CATEGORIES:
            problems.append(("category", f"unknown category {self.category!r}"))
        if self.sort not in SORTS:
            problems.append(("sort", f"unknown sort {self.sort!r}"))
        if self.view not in VIEWS:
            problems.append(("view", f"unknown view {self.view!r}"))
        if problems:
            raise ValidationError(problems)
        return self

    @property
    def searching(self) -> bool:
        return bool(query_syntax.parse(self.text, "").words)


def filters(query: InboxQuery, actor: str, now: str, *, merged: bool = False) -> tuple[list[str], list[Any]]:
    """The view's own filters (status, category, assignee, a drill-down's ids) as WHERE terms on ``t``
    and their parameters: one place, so a page, a count and the due check-ins filter alike."""
    where: list[str] = []
    params: list[Any] = []
    if query.ids is None and not merged:
        where.append("t.merged_into IS NULL")  # a merged ticket lives on in its target
    if query.status == "active":
        where.append("t.status <> 'resolved'")  # matches the partial indexes
        where.append("(t.snoozed_until IS NULL OR t.snoozed_until <= ?)")  # snoozed: back when due
        params.append(now)
    elif query.status != "all":
        where.append("t.status = ?")
        params.append(query.status)
    if query.category:
        where.append("t.category = ?")
        params.append(query.category)
    if query.assignee == UNASSIGNED:
        where.append("t.assignee IS NULL")
    elif query.assignee:
        where.append("t.assignee = ?")
        params.append(actor if query.assignee == "me" else query.assignee)
    if query.ids is not None:
        where.append("t.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(query.ids)))
    return where, params
