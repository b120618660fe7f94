"""Tags with colours: a set per ticket, shared by everyone on the file.

Adding or removing a tag is a set operation, so two people tagging at once
cannot lose each other's work: tags do not bump the ticket's version. Each
change returns a :class:`TagEdit` whose ``undo`` takes exactly that change
back (only the tickets that really gained or lost the tag).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from amends.core import audit, clock
from amends.core.errors import NotFound, ValidationError
from amends.core.store import Database
from amends.core.store.rowids import inserted_id

#: Colours offered for new tags (readable on light and dark backgrounds).
PALETTE = ("#d64545", "#e0892b", "#c9a227", "#3f9c4a", "#2b8bb5", "#5b5fc7", "#a64ca6", "#6c757d")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Tag:
    id: int
    name: str
    colour: str


@dataclass(frozen=True)
class TagEdit:
    """``tag`` was added to (``added=True``) or removed from ``ticket_ids``."""

    tag: Tag
    added: bool
    ticket_ids: tuple[int, ...]
    skipped: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        n = len(self.ticket_ids)
        return f"{'tag' if self.added else 'untag'} “{self.tag.name}” on {n} ticket{'s' if n != 1 else ''}"

    def undo(self, db: Database) -> TagEdit:
        return _change(db, self.tag, self.ticket_ids, add=not self.added, action="undo")


def check_name(name: str) -> str:
    clean = " ".join(str(name or "").split())
    if not clean:
        raise ValidationError([("name", "a tag needs a name")])
    if len(clean) > 40:
        raise ValidationError([("name", "at most 40 characters")])
    if any(ch in clean for ch in ':"'):
        raise ValidationError([("name", "no colons or quotes (the search box uses them: tag:name)")])
    return clean


def all_tags(db: Database) -> list[Tag]:
    return [Tag(*r) for r in db.tuples("SELECT id, name, colour FROM tags ORDER BY name COLLATE NOCASE")]


def names(db: Database) -> list[str]:
    return [t.name for t in all_tags(db)]


def get_or_create(db: Database, name: str, colour: str | None = None) -> Tag:
    """The tag called ``name`` (any case), created with the next palette
    colour when new."""
    clean = check_name(name)
    if colour is not None and not COLOUR.fullmatch(colour):
        raise ValidationError([("colour", "a colour is #rrggbb")])
    with db.transaction() as conn:
        row = conn.execute("SELECT id, name, colour FROM tags WHERE name = ?", (clean,)).fetchone()
        if row is not None:
            return Tag(*row)
        count = conn.execute("SELECT count(*) FROM tags").fetchone()[0]
        colour = colour or PALETTE[count % len(PALETTE)]
        tag_id = inserted_id(conn.execute("INSERT INTO tags (name, colour) VALUES (?, ?)", (clean, colour)))
        audit.record(conn, db.actor, "tag", tag_id, "create", {"name": clean, "colour": colour})
    return Tag(tag_id, clean, colour)


def set_colour(db: Database, tag_id: int, colour: str) -> None:
    if not COLOUR.fullmatch(colour or ""):
        raise ValidationError([("colour", "a colour is #rrggbb")])
    with db.transaction() as conn:
        before = conn.execute("SELECT colour FROM tags WHERE id = ?", (tag_id,)).fetchone()
        if before is None:
            raise NotFound(f"Tag {tag_id} does not exist.")
        conn.execute("UPDATE tags SET colour = ? WHERE id = ?", (colour, tag_id))
        audit.record(conn, db.actor, "tag", tag_id, "update",
                     {"before": {"colour": before[0]}, "after": {"colour": colour}})


def for_tickets(db: Database, ticket_ids: Iterable[int]) -> dict[int, list[Tag]]:
    """The tags of each ticket (one query for a page of the inbox)."""
    result: dict[int, list[Tag]] = {}
    for ticket_id, tag_id, name, colour in db.tuples(
            "SELECT tt.ticket_id, g.id, g.name, g.colour FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id "
            "WHERE tt.ticket_id IN (SELECT value FROM json_each(?)) ORDER BY g.name COLLATE NOCASE",
            (json.dumps(list(ticket_ids)),)):
        result.setdefault(ticket_id, []).append(Tag(tag_id, name, colour))
    return result


def add(db: Database, ticket_ids: Iterable[int], name: str) -> TagEdit:
    return _change(db, get_or_create(db, name), tuple(ticket_ids), add=True, action="tag")


def remove(db: Database, ticket_ids: Iterable[int], name: str) -> TagEdit:
    clean = check_name(name)
    row = db.one("SELECT id, name, colour FROM tags WHERE name = ?", (clean,))
    if row is None:
        raise NotFound(f"There is no tag called “{clean}”.")
    return _change(db, Tag(*row), tuple(ticket_ids), add=False, action="untag")


def _change(db: Database, tag: Tag, ticket_ids: tuple[int, ...], *, add: bool, action: str) -> TagEdit:
    now = clock.now_iso()
    with db.transaction() as conn:
        if conn.execute("SELECT 1 FROM tags WHERE id = ?", (tag.id,)).fetchone() is None:
            raise NotFound(f"The tag “{tag.name}” was deleted.")
        ids = json.dumps(list(ticket_ids))
        existing = {r[0] for r in conn.execute("SELECT id FROM tickets WHERE id IN (SELECT value FROM json_each(?))",
                                               (ids,))}
        having = {r[0] for r in conn.execute(
            "SELECT ticket_id FROM ticket_tags WHERE tag_id = ? AND ticket_id IN (SELECT value FROM json_each(?))",
            (tag.id, ids))}
        if add:
            changed = [tid for tid in ticket_ids if tid in existing and tid not in having]
            conn.executemany("INSERT INTO ticket_tags (ticket_id, tag_id) VALUES (?, ?)",
                             [(tid, tag.id) for tid in changed])
        else:
            changed = [tid for tid in ticket_ids if tid in having]
            conn.executemany("DELETE FROM ticket_tags WHERE ticket_id = ? AND tag_id = ?",
                             [(tid, tag.id) for tid in changed])
        conn.executemany(
            "INSERT INTO audit_log (at, actor, entity, entity_id, action, change) VALUES (?, ?, 'ticket', ?, ?, ?)",
            [(now, db.actor, tid, action, json.dumps({"tag": tag.name, "added": add}, ensure_ascii=False))
             for tid in changed])
    return TagEdit(tag, add, tuple(changed), tuple(t for t in ticket_ids if t not in existing))


def usage(db: Database) -> dict[int, int]:
    """How many tickets carry each tag (read from the tag index)."""
    return dict(db.tuples("SELECT tag_id, count(*) FROM ticket_tags GROUP BY tag_id"))
