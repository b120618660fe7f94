"""One inbox row as the table paints it, made once per row.

A table asks its model seven roles of every painted cell (font, alignment,
colours, check state, icon, text, background: 2,184 calls into Python for
a 1280 × 800 page) and nothing of it changes until the row does. So each
row's texts, bold cells and tag colour are made once, the first time the
row is painted, into a :class:`Line` kept with its block; every later
answer is a tuple lookup (issue 16: request to painted ≤ 16 ms). Tooltips
are made on demand: one hovered cell at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor, QFont

from amends.core import clock, safe_html, tags, targets, tickets
from amends.core.store import Database
from amends.core.vocabulary import STATUSES, category_name, priority_name
from amends.ui.common import local_time
from amends.ui.common import qt_values as qv

COLUMNS = ("id", "subject", "now", "customer", "category", "status", "priority", "assignee", "billing_cycle",
           "tags", "updated_at", "waiting")
HEADERS = {"id": "#", "subject": "Subject", "now": "Now", "customer": "Customer", "category": "Category", "status": "Status",
           "priority": "Priority", "assignee": "Assignee", "billing_cycle": "Cycle", "tags": "Tags", "updated_at": "Updated",
           "due_at": "Due", "waiting": "Waiting"}
#: The columns of the Due follow-ups view: the due time where the others show the wait.
DUE_COLUMNS = (*COLUMNS[:-1], "due_at")
TAGS_COLUMN = COLUMNS.index("tags")
_RIGHT = qv.ALIGN_RIGHT | qv.ALIGN_V_CENTER  # (ints: the Qt namespace is not made before the first paint)
#: The text alignment of each column (None: the style's, left): the same for every row.
ALIGNMENTS: tuple[int | None, ...] = tuple(_RIGHT if c in ("id", "billing_cycle") else None for c in COLUMNS)
#: Words, not an emoji, for a reply not mailed yet (core/mail/delivery.py).
_MARKS = {"failed": "reply failed", "not_sent": "reply not sent", "queued": "reply queued", "draft": "reply draft"}


#: What QStyledItemDelegate.initStyleOption asks of each painted cell in one multiData call (Qt 6), in order:
#: font, alignment, foreground, check state, decoration, display, background.
DELEGATE_ROLES = (qv.FONT_ROLE, qv.TEXT_ALIGNMENT_ROLE, qv.FOREGROUND_ROLE, qv.CHECK_STATE_ROLE, qv.DECORATION_ROLE,
                  qv.DISPLAY_ROLE, qv.BACKGROUND_ROLE)
#: The roles of the slots multiData sets: DELEGATE_ROLES[0], [1], [5] and [4].
PAINTED = (qv.FONT_ROLE, qv.TEXT_ALIGNMENT_ROLE, qv.DISPLAY_ROLE, qv.DECORATION_ROLE)



def _tr(text: str) -> str:
    return QCoreApplication.translate("InboxModel", text)


class Line:
    """What the table paints of one row: a text per column, the bold font
    per column (None: no bold cell in the row) and the first tag's colour."""

    __slots__ = ("colour", "fonts", "texts")

    def __init__(self, texts: tuple[str, ...], fonts: tuple[QFont | None, ...] | None, colour: QColor | None) -> None:
        self.texts = texts
        self.fonts = fonts
        self.colour = colour


class Block:
    """The lines of ``page_size`` consecutive rows, with their tags and their
    replies' delivery marks (read with the rows: a paint reads no SQL), and
    what the table paints of each row (None until it is first painted)."""

    __slots__ = ("lines", "marks", "rows", "tags")

    def __init__(self, rows: list[tickets.TicketRow | None], found: dict[int, list[tags.Tag]],
                 marks: dict[int, str]) -> None:
        self.rows = rows
        self.lines: list[Line | None] = [None] * len(rows)
        self.tags = found
        self.marks = marks


class Look:
    """What every showing of a model shares: the bold font and which cells
    use it, and the translated words of the lines. Made once per model (the
    language is set before any window opens): translating them again on each
    filter change was a tenth of set_query's own time."""

    def __init__(self) -> None:
        self.bold = QFont()
        self.bold.setBold(True)
        self.bold_subject = tuple(self.bold if c == 1 else None for c in range(len(COLUMNS)))
        self.bold_now = tuple(self.bold if c == 2 else None for c in range(len(COLUMNS)))
        self.bold_both = tuple(self.bold if c in (1, 2) else None for c in range(len(COLUMNS)))
        self.overdue = _tr("{0}, overdue")


#: A target's latest late start not worked out yet (None: the target never falls due).
_UNKNOWN = object()


class Lines:
    """Makes the :class:`Line` of rows for one showing of a query: what every
    row shares (the time, the reply targets, the translated words) is
    settled once here, not once per cell."""

    def __init__(self, now: str, reply: targets.ReplyClock | None, presence: dict[int, str], *, due_view: bool,
                 look: Look | None = None) -> None:
        self.now = now
        self.reply = reply
        self.presence = presence  # shared with the model: set_presence replaces it and drops the lines
        self.columns = DUE_COLUMNS if due_view else COLUMNS
        self._due_view = due_view
        look = look or Look()
        self.bold = look.bold
        self._bold_subject, self._bold_now, self._bold_both = look.bold_subject, look.bold_now, look.bold_both
        self._overdue = look.overdue
        #: (category, priority, first reply?) -> the latest wait start already late now (ISO), or None.
        self._late_from: dict[tuple[str, int, bool], Any] = {}
        self._by_bound = reply is not None and reply.hours.disjoint

    def line(self, item: tickets.TicketRow, found: list[tags.Tag] | None, mark: str) -> Line:
        """The row of ``item`` with its tags and its replies' delivery mark."""
        here, present = self.presence.get(item.id, ""), item.id in self.presence
        last = local_time.short(item.due_at) if self._due_view else self._waiting(item)
        texts = (str(item.id), item.subject, f"{here} · {mark}" if here and mark else here or mark,
                 safe_html.display_name(item.customer or ""), category_name(item.category), self._status(item),
                 priority_name(item.priority), item.assignee or "—",
                 "" if item.billing_cycle is None else str(item.billing_cycle),
                 ", ".join(t.name for t in found) if found else "", local_time.short(item.updated_at), last)
        # Bold = a customer message I have not read (per person, schema 4), and who else is here.
        fonts = (self._bold_both if present else self._bold_subject) if item.unread else \
            (self._bold_now if present else None)
        return Line(texts, fonts, QColor(found[0].colour) if found else None)

    def _status(self, item: tickets.TicketRow) -> str:
        text = STATUSES.get(item.status, item.status)
        if item.snoozed_until and item.snoozed_until > self.now:
            text += ", snoozed"  # words, not an emoji: not every system has a font for one
        if item.checkin_due:
            text += ", check-in due"
        return text

    def _waiting(self, item: tickets.TicketRow) -> str:
        seconds = None if item.status == "resolved" else tickets.waited(item, self.now)
        if seconds is None:  # a resolved ticket waits for nobody (its last word may be the customer's)
            return ""
        text = local_time.duration(seconds)
        return self._overdue.format(text) if self._late(item) else text

    def _late(self, item: tickets.TicketRow) -> bool:
        """Whether the reply target of a waiting ticket has passed: its wait
        started no later than the latest start already late for its target,
        worked out once per showing and target (BusinessHours.subtract, as
        the Overdue view's SQL does). Walking the hours to each row's due
        time was most of making a line of a waiting ticket. (Hours whose
        spans overlap count the overlap twice: there, each row is walked.)"""
        since, reply = item.waiting_since, self.reply
        if since is None or reply is None:
            return False
        if not self._by_bound:  # spans that overlap count twice: only the walk says (as the Review does)
            due = reply.due_at(item.category, item.priority, since, item.replied_at)
            return due is not None and due <= self.now
        key = (item.category, item.priority, item.replied_at is None)
        bound = self._late_from.get(key, _UNKNOWN)
        if bound is _UNKNOWN:
            minutes = reply.minutes(*key)
            bound = None if minutes is None or reply.hours.never_open else \
                clock.to_iso(reply.hours.subtract(clock.parse_iso(self.now), timedelta(minutes=minutes)))
            self._late_from[key] = bound
        if bound is None:
            return False
        if len(since) != len(bound) or since[-1] != "Z":  # not the stored UTC form: compared as a time
            since = clock.to_iso(clock.parse_iso(since))
        return since <= bound

    def tooltip(self, item: tickets.TicketRow, column: int, line: Line) -> str | None:
        """The whole of a cell, with the zone of a time and why a wait is late."""
        if not 0 <= column < len(self.columns):
            return None
        name = self.columns[column]
        if name == "status":
            text = STATUSES.get(item.status, item.status)
            if item.snoozed_until and item.snoozed_until > self.now:
                text += f" (snoozed until {local_time.with_zone(item.snoozed_until)})"
            if item.checkin_due:
                text += " — a check-in is due (Due follow-ups lists them all)"
            return text
        if name == "waiting":
            return self._waiting_tooltip(item)
        if name == "assignee":
            return item.assignee or "Unassigned"
        if name in ("updated_at", "due_at"):
            return local_time.with_zone(getattr(item, name) or "")
        return line.texts[column]

    def _waiting_tooltip(self, item: tickets.TicketRow) -> str:
        """How long the customer has waited, and whether the reply target is missed."""
        seconds = None if item.status == "resolved" else tickets.waited(item, self.now)
        if seconds is None:
            return _tr("Nobody is waiting (we replied last).")
        due = self.reply.due_at(item.category, item.priority, item.waiting_since, item.replied_at) \
            if self.reply else None
        kind = _tr("first reply") if item.replied_at is None else _tr("next reply")
        said = _tr("Waiting since {0}.").format(local_time.with_zone(item.waiting_since or ""))
        if due is None:
            return said + " " + _tr("No {0} target for this kind of ticket.").format(kind)
        late = due <= self.now
        return said + " " + (_tr("The {0} target passed at {1}.") if late else
                             _tr("The {0} is due by {1}.")).format(kind, local_time.with_zone(due))


class RowsView:
    """Read-only ``model._rows[r]`` of an InboxModel, for tests written before its LRU."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def __len__(self) -> int:
        return self._model.rowCount()

    def __getitem__(self, row: int) -> tickets.TicketRow:
        item = self._model.item(row)
        if item is None:
            raise IndexError(row)
        return item

    def __iter__(self) -> Iterator[tickets.TicketRow]:
        return (self[r] for r in range(len(self)))


def delivery_marks(db: Database, ticket_ids: list[int]) -> dict[int, str]:
    """The marks of the tickets that have one, read with the rows they are
    for (a query per row painted was a third of a page's paint; read at the
    paint, it made the paint wait for the database)."""
    from amends.core.mail import delivery

    if not ticket_ids:
        return {}
    return {ticket_id: _MARKS[state] for ticket_id, state in delivery.for_tickets(db, ticket_ids, db.actor).items()
            if state in _MARKS}
