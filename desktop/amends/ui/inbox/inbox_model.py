"""The inbox table model: pages through SQL, never holds every ticket.

Like Anki's browser table, it fetches pages as the view scrolls (Qt asks
through ``canFetchMore``/``fetchMore``; each page is one keyset query, a
constant cost on any page). Of the rows scrolled past it keeps only the
ticket ids (8 bytes a row in an ``array``): the lines themselves, their tags
and display strings live in a bounded LRU of blocks, and a block scrolled
back to is read again by id in one query. A full line per row grew the
resident memory by 68.6 MB over 90,274 rows (issue 16: at most 50 MB for a
million tickets).
"""

from __future__ import annotations

import logging
from array import array
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
)

from amends.core import clock, tags, targets, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import qt_values as qv
from amends.ui.inbox.header_labels import HeaderLabels
from amends.ui.inbox.inbox_lines import (
    ALIGNMENTS,
    COLUMNS,
    DELEGATE_ROLES,
    DUE_COLUMNS,
    HEADERS,
    PAINTED,
    TAGS_COLUMN,
    Block,
    Line,
    Lines,
    Look,
    RowsView,
    delivery_marks,
)
from amends.ui.inbox.inbox_merge import not_listed, place_checkins

# (ints, not Qt's enums: the Qt namespace is not made before the first paint, see qt_values)
TICKET_ID_ROLE = qv.USER_ROLE + 1
_DISPLAY = qv.DISPLAY_ROLE
_TOOLTIP = qv.TOOLTIP_ROLE
_FONT = qv.FONT_ROLE
_ALIGN = qv.TEXT_ALIGNMENT_ROLE
_DECORATION = qv.DECORATION_ROLE


def _horizontal() -> object:
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal
#: The roles answered; the rest (colours, check state, size hints …: three of the seven a painted cell is asked)
#: are None at once.
_ANSWERED = frozenset((_DISPLAY, _FONT, _DECORATION, _ALIGN, _TOOLTIP, TICKET_ID_ROLE))
Index = QModelIndex | QPersistentModelIndex
log = logging.getLogger("amends.ui.inbox")
#: Blocks (of ``page_size`` rows) of full lines kept at once: a few screens.
MAX_BLOCKS = 24


class InboxModel(QAbstractTableModel):
    def __init__(self, db: Database, parent=None, *, page_size: int = tickets.PAGE_SIZE,
                 max_blocks: int = MAX_BLOCKS) -> None:
        super().__init__(parent)
        self._db = db
        self._page_size = page_size
        self._max_blocks = max(2, max_blocks)
        self._query = tickets.InboxQuery()
        self._ids = array("q")  # the ticket of each row, in order: all the model keeps per row
        self._due: dict[int, str] = {}  # the follow-up due time per ticket (only the follow-ups view has one)
        self._blocks: OrderedDict[int, Block] = OrderedDict()  # block number -> lines, least recent first
        #: The row painted last and its line: Qt asks seven roles of each of its cells in turn.
        self._hot_row, self._hot_line = -1, None  # type: tuple[int, Line | None]
        self._cursor: tuple | None = None
        self._at_end = True
        self._presence: dict[int, str] = {}
        #: The bold font and the words, and both sets of headers: translated once, not on each filter change.
        self._look = Look()
        self._all_headers = {columns: tuple(QCoreApplication.translate("InboxModel", HEADERS[c]) for c in columns)
                             for columns in (COLUMNS, DUE_COLUMNS)}
        self._lines = Lines(clock.now_iso(), None, self._presence, due_view=False, look=self._look)
        self._headers = self._all_headers[COLUMNS]
        #: The same titles for the inbox list's header, from C++ (header_labels.py: no Qt namespace at start).
        self.header_labels = HeaderLabels(self._headers, self)
        #: The ticket being worked on keeps its row through reloads (see :meth:`pin`).
        self._pinned: int | None = None
        self.resort_pending = False
        self._checkins: list[tickets.TicketRow] = []  # due check-ins of resolved tickets not yet placed
        #: After a bounded reload (rows far down kept by id), paging on skips tickets already listed: a
        #: bitmap by ticket id (1 bit each: 125 KB for a million), made on the first fetch that needs it.
        self._kept_far = False
        self._listed: bytearray | None = None

    # -- loading -----------------------------------------------------------
    @property
    def query(self) -> tickets.InboxQuery:
        return self._query

    def set_query(self, query: tickets.InboxQuery) -> None:
        """Show another filter: forget loaded rows, load the first page."""
        query = query.validated()
        rows, cursor = tickets.page(self._db, query, None, self._page_size)  # may refuse: before the reset
        rows = self._with_checkins(query, rows, cursor is None)
        ids = [r.id for r in rows]
        found, marks = tags.for_tickets(self._db, ids), delivery_marks(self._db, ids)
        reply = self._read_targets()
        self.beginResetModel()
        self._showing(query, reply)
        self.resort_pending = False
        self._kept_far, self._listed = False, None
        self._ids = array("q", ids)
        self._due = {r.id: r.due_at for r in rows if r.due_at is not None}
        self._blocks.clear()
        self._seed(0, rows, found, marks)
        self._cursor = cursor
        self._at_end = cursor is None
        self.endResetModel()

    def _showing(self, query: tickets.InboxQuery, reply: targets.ReplyClock | None) -> None:
        """What every row of this showing shares (inside a reset): the time,
        the reply targets, the columns and their headers, translated once."""
        self._query = query
        due_view = query.view == "due_followups"
        self._lines = Lines(clock.now_iso(), reply, self._presence, due_view=due_view, look=self._look)
        self._headers = self._all_headers[DUE_COLUMNS if due_view else COLUMNS]
        self.header_labels.set_labels(self._headers)
        self._hot_row, self._hot_line = -1, None

    def _seed(self, start: int, rows: list[tickets.TicketRow], found: dict[int, list[tags.Tag]],
              marks: dict[int, str]) -> None:
        """Cache the blocks ``rows`` (rows ``start``… just read) fill whole, so
        a page just fetched is painted without reading it again."""
        size, count, end = self._page_size, len(self._ids), start + len(rows)
        first = -(-start // size)
        for number in range(first, first + self._max_blocks):
            low, high = number * size, min((number + 1) * size, count)
            if low >= high or high > end:
                break
            part = rows[low - start:high - start]
            self._put(number, Block(list(part), {r.id: found[r.id] for r in part if r.id in found},
                                     {r.id: marks[r.id] for r in part if r.id in marks}))

    def _put(self, number: int, block: Block) -> None:
        self._hot_row, self._hot_line = -1, None
        self._blocks[number] = block
        self._blocks.move_to_end(number)
        while len(self._blocks) > self._max_blocks:
            self._blocks.popitem(last=False)

    def _block(self, number: int) -> Block:
        """The lines of block ``number``, read again by id when not cached
        (or cached before rows were appended to it)."""
        size = self._page_size
        block = self._blocks.get(number)
        if block is not None and len(block.rows) == min(size, len(self._ids) - number * size):
            self._blocks.move_to_end(number)
            return block
        wanted = list(self._ids[number * size:(number + 1) * size])
        fresh = tickets.rows(self._db, wanted)
        lines: list[tickets.TicketRow | None] = []
        for ticket_id in wanted:
            line = fresh.get(ticket_id)  # None: gone since the last reload (which follows)
            if line is not None and ticket_id in self._due:
                line = line._replace(due_at=self._due[ticket_id])
            lines.append(line)
        block = Block(lines, tags.for_tickets(self._db, wanted), delivery_marks(self._db, wanted))
        self._put(number, block)
        return block

    def _line(self, row: int) -> Line | None:
        """What the table paints of ``row``, made the first time it is asked
        for (None: outside the rows, or deleted since the last reload)."""
        if not 0 <= row < len(self._ids):
            return None
        block = self._block(row // self._page_size)
        at = row % self._page_size
        line = block.lines[at]
        if line is None:
            item = block.rows[at]
            if item is None:  # deleted since the last reload
                return None
            line = block.lines[at] = self._lines.line(item, block.tags.get(item.id), block.marks.get(item.id, ""))
        self._hot_row, self._hot_line = row, line
        return line

    def item(self, row: int) -> tickets.TicketRow | None:
        """The inbox line shown in ``row`` (None outside the rows)."""
        if not 0 <= row < len(self._ids):
            return None
        return self._block(row // self._page_size).rows[row % self._page_size]

    @property
    def _rows(self) -> RowsView:
        """Read-only ``model._rows[r]`` for tests written before the LRU."""
        return RowsView(self)

    def _with_checkins(self, query: tickets.InboxQuery, rows: list[tickets.TicketRow],
                       at_end: bool, *, first: bool = True) -> list[tickets.TicketRow]:
        """Active (no search): resolved tickets with a check-in due are listed
        too, with their badge, each where the sort puts it: merged into the
        pages as they load (the keyset query itself stays on its index)."""
        if first:
            self._checkins = []
            if query.status == "active" and query.view == "all" and query.ids is None and not query.full_text:
                self._checkins = tickets.due_checkins(self._db, query)
        if not self._checkins:
            return rows
        merged, self._checkins = place_checkins(query, rows, self._checkins, at_end)
        return merged

    def _read_targets(self) -> targets.ReplyClock | None:
        try:
            return targets.load(self._db)
        except AmendsError as error:  # unreadable hours: the column shows the wait without a due time
            log.warning("reply targets not read: %s", error)
            return None

    def pin(self, ticket_id: int | None) -> bool:
        """Keep ``ticket_id`` where it is through reloads while it is worked on
        (an edit does not move it under the cursor). Returns True when leaving
        the previous one needs the list re-sorted (the caller reloads)."""
        if ticket_id == self._pinned:
            return False
        self._pinned = ticket_id
        pending, self.resort_pending = self.resort_pending, False
        return pending

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._at_end

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or self._at_end:
            return
        rows, cursor = tickets.page(self._db, self._query, self._cursor, self._page_size)
        rows = self._with_checkins(self._query, rows, cursor is None, first=False)
        if self._kept_far:
            rows, self._listed = not_listed(rows, self._ids, self._listed)
        ids = [r.id for r in rows]
        found, marks = tags.for_tickets(self._db, ids), delivery_marks(self._db, ids)
        if rows:
            start = len(self._ids)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._hot_row, self._hot_line = -1, None  # the last block grows
            self._ids.extend(ids)
            self._due.update((r.id, r.due_at) for r in rows if r.due_at is not None)
            self._seed(start, rows, found, marks)
            self.endInsertRows()
        self._cursor = cursor
        self._at_end = cursor is None

    def reload(self) -> None:
        """Re-read what is shown (someone changed the data), in a bounded
        number of queries however far the person has scrolled (issue 16: it
        read every loaded page again, a million rows at the inbox's end).
        The view keeps its selection through the ticket id.

        The first ``max_blocks`` blocks are read again from the top: new
        tickets, and those a change moved up, come in there. Further down,
        the rows keep their ids; the blocks cached there (what is on screen)
        are checked again by id, so a ticket that left the view goes, and
        every block is read again by id when it is next painted. Paging on
        goes on from where the loaded rows end. (A ticket a change moved from
        the first blocks to further down shows again when the view is next
        read from the top.)"""
        keep = self._max_blocks * self._page_size
        far = len(self._ids) > keep
        wanted = min(max(len(self._ids), self._page_size), keep)
        seam = set(self._ids[:keep]) if far else set()
        ids, due, lines = array("q"), {}, {}
        cursor, waiting = None, self._checkins
        try:  # read everything first: a refusal leaves the model as it was
            for _ in range(wanted // self._page_size + 1 + (self._max_blocks if far else 0)):
                page, cursor = tickets.page(self._db, self._query, cursor, self._page_size)
                page = self._with_checkins(self._query, page, cursor is None, first=not ids)
                for line in page:
                    lines[line.id] = line
                    if line.due_at is not None:
                        due[line.id] = line.due_at
                    ids.append(line.id)
                # Far down, read on past the first blocks while rows that were in them still come
                # (new tickets pushed them on): the rest's ids follow from where they stop.
                if cursor is None or (len(ids) >= wanted and not (far and seam.intersection(r.id for r in page))):
                    break
            at_end = cursor is None
            if not at_end and far:  # scrolled past the first blocks: keep the rest's ids
                ids.extend(self._rest(keep, set(ids)))
                due = {**{k: v for k, v in self._due.items() if k not in lines}, **due}
                cursor, at_end = self._cursor, self._at_end
        except AmendsError:
            self._checkins = waiting
            raise
        self._keep_pinned(ids)
        head: list[tickets.TicketRow] = []
        for ticket_id in ids[:keep]:  # the pinned one may have moved in or out of them
            if ticket_id not in lines:
                break
            head.append(lines[ticket_id])
        shown = [r.id for r in head]
        found, marks = tags.for_tickets(self._db, shown), delivery_marks(self._db, shown)
        reply = self._read_targets()
        self.beginResetModel()
        self._showing(self._query, reply)
        self._blocks.clear()
        self._ids, self._due = ids, due
        self._kept_far, self._listed = far and not at_end, None
        self._seed(0, head, found, marks)
        self._cursor, self._at_end = cursor, at_end
        self.endResetModel()

    def _rest(self, keep: int, head: set[int]) -> array:
        """The ids after the first ``keep`` rows, as they were, less those now
        in the head and those of the cached blocks (and the pinned one) that
        the view no longer shows: one query for those few, none for the rest."""
        size = self._page_size
        checked = [t for n in self._blocks if n * size >= keep for t in self._ids[n * size:(n + 1) * size]]
        if self._pinned is not None and self._pinned not in head:
            checked.append(self._pinned)
        gone = set(checked) - tickets.listed(self._db, self._query, checked) if checked else set()
        if self._checkins:  # due check-ins placed further down before: not placed twice
            placed = set(self._ids[keep:])
            self._checkins = [c for c in self._checkins if c.id not in placed]
        skip = head | gone
        rest = array("q", (t for t in self._ids[keep:] if t not in skip))
        pinned = self._pinned
        if pinned is not None and pinned not in head and pinned not in gone and pinned not in rest \
                and pinned in self._ids:
            rest.append(pinned)  # moved down out of the head while worked on: _keep_pinned puts it back
        return rest

    def _keep_pinned(self, ids: array) -> None:
        """Move the pinned ticket in ``ids`` back to the row it had."""
        old = self.row_of(self._pinned) if self._pinned is not None else None
        if old is None or self._pinned is None:
            return
        try:
            natural = ids.index(self._pinned)
        except ValueError:  # it left the view (snoozed, resolved, merged): the next one takes its place
            return
        ids.pop(natural)
        at = min(old, len(ids))
        if natural != at:
            self.resort_pending = True  # it moves once the person moves on
        ids.insert(at, self._pinned)

    def refresh_ticket(self, ticket_id: int) -> None:
        """Update one row in place after an edit, without reloading pages."""
        row = self.row_of(ticket_id)
        if row is None:
            return
        fresh = tickets.row(self._db, ticket_id)
        if fresh is None:
            return
        block = self._blocks.get(row // self._page_size)
        if block is not None:  # not cached: read fresh when next painted
            at = row % self._page_size
            block.rows[at] = fresh._replace(due_at=self._due.get(ticket_id))
            block.tags.pop(ticket_id, None)
            block.tags.update(tags.for_tickets(self._db, [ticket_id]))
            block.marks.pop(ticket_id, None)  # its replies' state may have changed too
            block.marks.update(delivery_marks(self._db, [ticket_id]))
            block.lines[at] = None
            self._hot_row, self._hot_line = -1, None
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def set_presence(self, people: dict[int, list]) -> None:
        """Who else has which ticket open (from :mod:`amends.core.presence`)."""
        text = {ticket: ", ".join(f"{p.actor} ({p.activity})" for p in group) for ticket, group in people.items()}
        if text == self._presence:
            return
        changed = set(text) ^ set(self._presence) | {t for t in text if text[t] != self._presence.get(t)}
        self._presence = self._lines.presence = text
        self._hot_row, self._hot_line = -1, None
        column = COLUMNS.index("now")
        for ticket_id in changed:
            row = self.row_of(ticket_id)
            if row is None:
                continue
            block = self._blocks.get(row // self._page_size)
            if block is not None:
                block.lines[row % self._page_size] = None
            self.dataChanged.emit(self.index(row, column), self.index(row, column))

    # -- lookups -------------------------------------------------------------
    @staticmethod
    def column_of(name: str) -> int:
        return COLUMNS.index(name)

    def ticket_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, ticket_id: int) -> int | None:
        try:
            return self._ids.index(ticket_id)  # a C scan of the ids: no line is read
        except ValueError:  # not among the loaded rows
            return None

    def is_unread(self, ticket_id: int) -> bool:
        row = self.row_of(ticket_id)
        item = None if row is None else self.item(row)
        return item is not None and item.unread

    @property
    def exhausted(self) -> bool:
        return self._at_end

    # -- Qt model API --------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: object, role: int = _DISPLAY):
        """The titles, for what reads them from the list's own model (screen readers: Qt's accessible header
        cells ask the view's model). Never asked before the first paint: the list's header reads
        ``header_labels`` (a C++ model), and a Python headerData is handed a Qt.Orientation, which makes the
        whole Qt namespace (~13 ms of every start)."""
        if role == _DISPLAY and orientation == _horizontal() and 0 <= section < len(self._headers):
            return self._headers[section]
        return None

    @property
    def headers(self) -> tuple[str, ...]:
        """The column titles of this showing (the Due view's last is Due)."""
        return self._headers

    def data(self, index: Index, role: int = _DISPLAY):
        # Called for every painted cell and each of seven roles (issue 16): the
        # roles not answered end at once, the rest are lookups in the row's Line.
        if role not in _ANSWERED:
            return None
        row = index.row()
        if role == _ALIGN:
            return ALIGNMENTS[index.column()] if 0 <= row < len(self._ids) else None
        if role == TICKET_ID_ROLE:
            return self._ids[row] if 0 <= row < len(self._ids) else None
        line = self._hot_line if row == self._hot_row else self._line(row)
        if line is None:
            return None
        if role == _DISPLAY:
            return line.texts[index.column()]
        if role == _FONT:
            fonts = line.fonts
            return None if fonts is None else fonts[index.column()]
        if role == _DECORATION:
            return line.colour if index.column() == TAGS_COLUMN else None
        item = self.item(row)  # a tooltip: one hovered cell
        return None if item is None else self._lines.tooltip(item, index.column(), line)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """A painted cell's roles in one call: QStyledItemDelegate asks seven,
        in the order of ``DELEGATE_ROLES``, into slots it keeps from cell to
        cell. Answered from the row's Line (one call into Python per cell, not
        seven), each slot of a role the model answers set or cleared (the other
        three, colours and check state, are None for every cell here). Any other
        set of roles is answered role by role through :meth:`data`.

        No wrapper of a slot outlives the call: a kept one (to skip checking
        the slots' roles on the next cell) stays registered in the bindings
        for its address, and an object Qt later puts there came back to Python
        as that QModelRoleData (an AttributeError on a signal's ``connect``,
        then crashes: a review of issue 16's PAINT2)."""
        span: Any = roleDataSpan  # (PySide's stubs lack the span's len, indexing and iteration)
        if len(span) == len(DELEGATE_ROLES):
            row = index.row()
            line = self._hot_line if row == self._hot_row else self._line(row)
            if line is not None:
                font, aligned, text, icon = span[0], span[1], span[5], span[4]
                if (font.role(), aligned.role(), text.role(), icon.role()) == PAINTED:
                    column = index.column()
                    text.setData(line.texts[column])
                    fonts, alignment = line.fonts, ALIGNMENTS[column]
                    if fonts is None or fonts[column] is None:
                        font.clearData()
                    else:
                        font.setData(fonts[column])
                    if alignment is None:
                        aligned.clearData()
                    else:
                        aligned.setData(alignment)
                    if column == TAGS_COLUMN and line.colour is not None:
                        icon.setData(line.colour)
                    else:
                        icon.clearData()
                    return
        for asked in span:
            asked.setData(self.data(index, asked.role()))
