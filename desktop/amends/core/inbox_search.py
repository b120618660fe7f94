"""The inbox's search: a query's view filters and what is typed in the
search box (the search language of :mod:`amends.core.query_syntax`) as
WHERE terms on ``t``, and the full-text expression of its words.

Shared by the pages, counts and re-checks of :mod:`amends.core.inbox_pages`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from amends.core import query_syntax, targets
from amends.core.errors import ValidationError
from amends.core.inbox_query import InboxQuery, filters
from amends.core.store import Database


def terms(db: Database, query: InboxQuery, now: str) -> tuple[list[str], list[Any], str | None, set[str]]:
    """The WHERE terms of a query (view filters + the search language) and
    the FTS expression of its words, shared by :func:`~amends.core.inbox_pages.page` and
    :func:`~amends.core.inbox_pages.count`."""
    text = query.full_text
    syntax = query_syntax.parse(text, db.actor, tags=tag_usage(db) if "tag:" in text.lower() else None, now=now,
                                customers=lambda phrase: _customers_matching(db, phrase),
                                mailboxes=_mailbox_names(db) if "mailbox:" in text.lower() else None,
                                reply_due=lambda value: targets.load(db).condition(value, now))
    if syntax.problems:
        raise ValidationError([(p.token, p.reason) for p in syntax.problems])
    # A field typed in the search box replaces the view's filter on it.
    where, params = filters(replace(query, status="all" if "status" in syntax.fields else query.status,
                                    category=None if "category" in syntax.fields else query.category,
                                    assignee=None if "assignee" in syntax.fields else query.assignee), db.actor, now,
                            merged="is:merged" in syntax.fields)
    for sql, values in syntax.conditions:
        where.append(sql)
        params.extend(values)
    if syntax.excluded:
        where.append("t.id NOT IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?)")
        excluded = [query_syntax.fts_expression([term], prefix_last=False) for term in syntax.excluded]
        params.append(" OR ".join(e for e in excluded if e is not None))  # one term each: never None
    return where, params, query_syntax.fts_expression(syntax.words, prefix_last=True), syntax.fields


def _customers_matching(db: Database, phrase: str) -> int:
    found: int = db.scalar("SELECT count(*) FROM customer_search WHERE customer_search MATCH ?", (phrase,))
    return found


def _mailbox_names(db: Database) -> list[str]:
    return [r[0] for r in db.query("SELECT label FROM mail_accounts WHERE removed_at IS NULL ORDER BY id")]


def tag_usage(db: Database) -> dict[str, int]:
    """Every tag's name and how many tickets carry it, counted from the tag index up to one past
    ``query_syntax.MANY_TAGGED``: the search only asks whether a tag is above that (a tag on 100,000 of a
    million tickets cost 7 ms of CPU of each search counted whole; issue 16)."""
    return dict(db.tuples("SELECT g.name, (SELECT count(*) FROM (SELECT 1 FROM ticket_tags tt WHERE tt.tag_id = g.id "
                          "LIMIT ?)) FROM tags g", (query_syntax.MANY_TAGGED + 1,)))
