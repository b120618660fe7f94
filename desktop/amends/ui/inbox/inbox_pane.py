"""The Inbox pane (service side): saved views, filters, the paged ticket
table and the ticket view.

The views list, the search box with its completion, the filters and the
paged table share one selection and one query, so they stay one widget;
its features live in mixins beside it: views_sidebar.py (the views and
their counts) and ticket_side.py (the ticket view, built on first use)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QObject, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from amends.core import query_syntax, saved_views, tags, tickets
from amends.core.errors import AmendsError, ValidationError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES
from amends.ui.common import qt_values as qv
from amends.ui.common.databus import Changed
from amends.ui.common.messages import show_error
from amends.ui.common.viewport import own_viewport
from amends.ui.inbox.column_fit import SubjectFit
from amends.ui.inbox.inbox_model import InboxModel
from amends.ui.inbox.open_ticket import OpenTicketReload
from amends.ui.inbox.ticket_side import TICKET_STRETCH, TicketSide
from amends.ui.inbox.views_sidebar import ViewsSidebar
from amends.ui.shell.first_paint import after_first_paint

if TYPE_CHECKING:  # built after the first paint: see ticket_view
    from amends.ui.ticket.ticket_view import TicketView

log = logging.getLogger("amends.ui.inbox")

SEARCH_DELAY_MS = 60
STATUS_CHOICES = (("active", "Open + pending"), ("open", "Open"), ("pending", "Pending"),
                  ("resolved", "Resolved"), ("all", "Any status"))
SORT_CHOICES = (("updated", "Recently updated"), ("created", "Newest"), ("priority", "Priority"),
                ("waiting", "Oldest waiting first"))


class InboxPane(TicketSide, ViewsSidebar, QWidget):
    resolve_requested = Signal(int)
    counts_shown = Signal()
    #: The person's saved views changed (saved, renamed, moved, deleted).
    views_changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._applying = False
        self.open_ticket = OpenTicketReload(db)  # after a change: the open ticket re-read only if it moved
        # hold_ticket(): the first paint first, then the ticket; _focusing: the table is taking the focus
        self._holding = self._held = self._focusing = False

        self.views = QListWidget()
        self.views.setObjectName("views")
        self.views.setAccessibleName(self.tr("Views"))
        self.views.setAccessibleDescription(self.tr(
            "Built-in and saved views with how many tickets each holds. Your saved views can be dragged, "
            "moved with Alt+Up and Alt+Down, renamed with F2 and deleted from the View menu."))
        self.views.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.views.setMaximumWidth(260)
        self.views.setMinimumWidth(150)  # "First-cycle customers  1,234" stays readable (wraps below that)
        self._views: dict[str, saved_views.View] = {}
        self._base_text = ""
        self._counts: dict[str, tuple[int, bool]] = {}
        self.views.model().rowsMoved.connect(lambda *_args: QTimer.singleShot(0, self._views_dragged))
        self._views_flagged = False  # the views' flags: set right after the first paint (fill_views)
        self.fill_views()

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setAccessibleName(self.tr("Search tickets"))
        self.search.setPlaceholderText(self.tr('Search: words, "a phrase", status:open category:billing '
                                               'assignee:me from: cycle:1 policy:none before: after:, -to exclude'))
        self.search.setClearButtonEnabled(True)
        self.status = self._combo("statusFilter", "Status filter", STATUS_CHOICES)
        self.category = self._combo("categoryFilter", "Category filter",
                                    (("", "Any category"), *CATEGORIES.items()))
        self.assignee = self._combo("assigneeFilter", "Assignee filter",
                                    (("", "Anyone"), ("me", "Me"), (tickets.UNASSIGNED, "Unassigned")))
        self.sort = self._combo("sortOrder", "Sort order", SORT_CHOICES)
        filters = QHBoxLayout()
        for combo in (self.status, self.category, self.assignee, self.sort):
            filters.addWidget(combo, 1)
        self.hint = QLabel()
        self.hint.setObjectName("secondary")
        self.hint.setWordWrap(True)
        self.selection_bar = QLabel()
        self.selection_bar.setObjectName("selectionBar")
        self.selection_bar.setWordWrap(True)
        self.selection_bar.hide()
        self.search_problem = QLabel()
        self.search_problem.setObjectName("searchProblem")
        self.search_problem.setWordWrap(True)
        self.search_problem.hide()
        # Field names now; tag and people values are read on the first keystroke (refresh_suggestions).
        self.completer = QCompleter(query_syntax.suggestions(), self)
        # (Qt's enums as ints here and below: the Qt namespace is not made before the first paint, qt_values.py)
        qv.set_property(self.completer, "caseSensitivity", qv.CASE_INSENSITIVE)
        self.completer.setWidget(self.search)
        self.completer.activated.connect(self._complete_token)
        self.search.textEdited.connect(self._offer_completion)
        # The popup closes on Esc (QCompleter), when the box loses focus, and when a filter is used.
        self._closer = _CompletionCloser(self.completer)
        self.search.installEventFilter(self._closer)
        self.drill_label = QLabel()
        self.drill_label.setObjectName("drillLabel")
        self.drill_clear = QPushButton(self.tr("Show all again"))
        self.drill_clear.setObjectName("clearDrill")
        self.drill_bar = QWidget()
        drill_layout = QHBoxLayout(self.drill_bar)
        drill_layout.setContentsMargins(0, 0, 0, 0)
        drill_layout.addWidget(self.drill_label, 1)
        drill_layout.addWidget(self.drill_clear)
        self.drill_bar.hide()

        self.model = InboxModel(db, self)
        self.table = QTableView()
        own_viewport(self.table)  # before anything asks for it: Qt's own would make every widget type (13 ms)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.table.setObjectName("inboxTable")
        self.table.setAccessibleName(self.tr("Tickets"))
        # Both headers hidden while the list takes its model: a shown header asks the model's headerData at
        # once (the Qt namespace, ~13 ms); the list's header then reads header_labels, a C++ model.
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().hide()
        self.table.setModel(self.model)
        self.model.header_labels.show_on(self.table)
        self.table.horizontalHeader().show()  # titles from C++: no Qt namespace before the paint
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        # (#, Now and Waiting narrower than they were: on a laptop the customer fits beside them)
        for column, width in enumerate((52, 250, 96, 130, 140, 78, 64, 110, 46, 110, 118, 104)):
            self.table.setColumnWidth(column, width)
        # Waiting is shown right after the subject (added last to the model, so saved column layouts keep theirs).
        header.moveSection(header.visualIndex(self.model.column_of("waiting")), 2)
        self.subject_fit = SubjectFit(self.table, self.model.column_of("subject"), self.model.column_of("customer"))
        self._first_paint = after_first_paint(self.table.viewport(), self._after_first_paint)

        # The ticket view is built when first asked for (the window asks right
        # after its first paint): its modules and widgets were a fifth of every
        # start, and the ticket opens after the paint anyway (issue 16).
        self._ticket_view: TicketView | None = None
        self._ticket_view_ready: list[Callable[[TicketView], None]] = []
        self._ticket_slot = QWidget()  # its place in the splitter until then
        self._ticket_slot.setObjectName("ticketViewSlot")
        # F6 / Shift+F6: views → list → conversation → composer, round (no six Shift+Tabs to the views).
        # (window shortcuts, as they always were: PySide ignored the context= given with a callable)
        self.next_area = QShortcut(QKeySequence("F6"), self, lambda: self.cycle_focus(1))
        self.previous_area = QShortcut(QKeySequence("Shift+F6"), self, lambda: self.cycle_focus(-1))

        table_side = QWidget()
        table_layout = QVBoxLayout(table_side)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.search)
        table_layout.addWidget(self.search_problem)
        table_layout.addLayout(filters)
        table_layout.addWidget(self.drill_bar)
        table_layout.addWidget(self.hint)
        table_layout.addWidget(self.selection_bar)
        table_layout.addWidget(self.table, 1)

        self.splitter = QSplitter()  # (horizontal)
        self.splitter.setObjectName("inboxSplitter")
        self.splitter.addWidget(self.views)
        self.splitter.addWidget(table_side)
        self.splitter.addWidget(self._ticket_slot)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, TICKET_STRETCH)
        self.splitter.setSizes([200, 680, 620])
        # No pane is ever dragged to nothing (issue 17): each keeps a usable minimum.
        self.splitter.setChildrenCollapsible(False)
        table_side.setMinimumWidth(300)
        self._ticket_slot.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        # Short enough that results follow the keystroke (target ≤ 100 ms,
        # benchmarks/bench_triage.py), long enough to skip mid-word queries of fast typists.
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_filters)
        for combo in (self.status, self.category, self.assignee, self.sort):
            combo.activated.connect(lambda _i: self.apply_filters())
            combo.installEventFilter(self._closer)  # pressed (mouse or key): the completion closes first
        self.views.currentItemChanged.connect(self._view_chosen)
        self.drill_clear.clicked.connect(lambda: self._view_chosen(self.views.item(0)) or self.views.setCurrentRow(0))
        self.search.textEdited.connect(lambda _t: self.refresh_suggestions() if not self._suggested else None)
        self._suggested = False
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._show_selection())
        self.table.doubleClicked.connect(lambda index: self.ticket_view.composer.setFocus())
        self._counting = None
        self._counts_stale = False
        self.views.setCurrentRow(0)
        QTimer.singleShot(0, self.update_counts)  # after the first paint

    def _after_first_paint(self) -> None:
        """What needs Qt's enums (their namespace is not made before the
        first paint, qt_values.py): the views' flags."""
        if not self._views_flagged:
            self._flag_views()

    def _combo(self, name: str, accessible: str, choices) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setAccessibleName(self.tr(accessible))
        for key, label in choices:
            combo.addItem(self.tr(label), key)
        return combo

    # -- queries -------------------------------------------------------------
    def current_query(self) -> tickets.InboxQuery:
        base = self.model.query
        return tickets.InboxQuery(
            status=self.status.currentData(), category=self.category.currentData() or None,
            assignee=self.assignee.currentData() or None, text=self.search.text(),
            sort=self.sort.currentData(), view=base.view, ids=base.ids, base_text=self._base_text)

    def _suggestions(self) -> list[str]:
        from amends.core.mail import mailboxes  # the mail modules are not needed before the first paint

        try:
            return query_syntax.suggestions(tags.names(self._db), tickets.assignees(self._db),
                                            mailboxes.labels(self._db))
        except AmendsError as error:
            log.info("search completion without tags and names (not read): %s", error)
            return query_syntax.suggestions()

    def refresh_suggestions(self) -> None:
        """Field values change (new tags, new people): re-read them the first
        time the person types after a change."""
        self._suggested = True
        self.completer.model().setStringList(self._suggestions())

    def apply_filters(self) -> None:
        if not self._applying:
            self.show_query(self.current_query())

    def show_query(self, query: tickets.InboxQuery) -> None:
        selected = self.current_ticket_id()
        try:
            self.model.set_query(query)
        except ValidationError as error:  # a mistake in the search: say which token and why
            self.search_problem.setText("⚠ " + "; ".join(f"“{token}”: {reason}" if token else reason
                                                          for token, reason in error.problems))
            self.search_problem.show()
            return
        except AmendsError as error:
            show_error(self, error)
            return
        self.search_problem.hide()
        self.drill_bar.setVisible(query.ids is not None)
        self._show_hint(query)
        self._select(selected)

    def show_ids(self, label: str, ids: list[int]) -> None:
        """A drill-down: exactly these tickets, whatever their status."""
        self.views.blockSignals(True)
        self.views.clearSelection()
        self.views.setCurrentRow(-1)
        self.views.blockSignals(False)
        # A drill-down shows exactly its tickets: an old search or filter would hide some of them
        # ("129 tickets behind" over an empty list). Cleared, and the bar says so.
        self._applying = True
        self.search.clear()
        self.status.setCurrentIndex(self.status.findData("all"))
        self.category.setCurrentIndex(0)
        self.assignee.setCurrentIndex(0)
        self._applying = False
        self._search_timer.stop()
        self._base_text = ""
        text = self.tr("<b>1 ticket</b> behind: {1}") if len(ids) == 1 else self.tr("<b>{0:,} tickets</b> behind: {1}")
        self.drill_label.setText(text.format(len(ids), label) + " " + self.tr("(any status; search and filters "
                                                                             "cleared)"))
        self.show_query(tickets.InboxQuery(status="all", sort=self.sort.currentData(), ids=tuple(ids)))
        if self.model.rowCount():
            self.table.selectRow(0)

    def on_data_changed(self, what: int) -> None:
        """Subscribed to the window's DataBus: tickets changed → re-read what
        is shown; proposals filed → the ticket lists them; the file replaced
        (a restore) → the views too, and a ticket that is gone is closed."""
        if what & Changed.REPLACED:
            self.fill_views()
            shown = self.ticket_view.ticket if self._ticket_view is not None else None
            try:
                gone = shown is not None and tickets.row(self._db, shown.id) is None
            except AmendsError as error:
                log.warning("after the restore, the open ticket was not checked: %s", error)
                gone = False
            if gone:
                self.ticket_view.show_ticket(None)
        if what & Changed.TICKETS:
            self.refresh()
        elif what & Changed.PROPOSALS and self._ticket_view is not None:
            self._ticket_view.reload()

    def refresh(self) -> None:
        """Re-read what is shown (after a change here or by someone else),
        keeping the selection."""
        selected = self.current_ticket_id()
        row = self.table.currentIndex().row()
        chosen = set(self.selected_ticket_ids())
        scroll = self.table.verticalScrollBar().value()
        self._suggested = False  # new tags or people: offered on the next keystroke
        try:
            self.model.reload()
        except AmendsError as error:
            show_error(self, error)
            return
        if selected is not None and self.model.row_of(selected) is None and self.model.rowCount() and row >= 0:
            # The ticket left the view (snoozed, resolved, merged): the next one takes its place.
            self._select(self.model.ticket_id(min(row, self.model.rowCount() - 1)))
        else:
            self._select(selected, focus_view=False)
            if len(chosen) > 1:  # a bulk edit keeps its selection, for the next one
                self._reselect(chosen)
        self.table.verticalScrollBar().setValue(scroll)
        self._show_hint(self.model.query)
        if self._ticket_view is not None:  # not built yet: nothing shown to re-read
            self.open_ticket.after_change(self._ticket_view)  # only if it may have changed (open_ticket.py)
        self.update_counts()

    def _reselect(self, ids: set[int]) -> None:
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for number in range(self.model.rowCount()):
            if self.model.ticket_id(number) in ids:
                selection.select(self.model.index(number, 0), self.model.index(number, last))
        self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)

    # -- selection -------------------------------------------------------------
    def current_ticket_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.ticket_id(index.row()) if index.isValid() else None

    def selected_ticket_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [tid for tid in (self.model.ticket_id(r) for r in rows) if tid is not None]

    def _select(self, ticket_id: int | None, focus_view: bool = True) -> None:
        row = self.model.row_of(ticket_id) if ticket_id is not None else None
        if row is None:
            if ticket_id is not None and focus_view and self._ticket_view is not None:
                self._ticket_view.show_ticket(None)
            return
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def select_ticket(self, ticket_id: int) -> bool:
        row = self.model.row_of(ticket_id)
        if row is None:
            return False
        self.release_ticket()  # asked for by name: shown now, painted or not
        self._select(ticket_id)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _show_selection(self) -> None:
        """Several tickets selected: say how many and what the keys do to them."""
        count = len(self.table.selectionModel().selectedRows())
        self.selection_bar.setText(self.tr(
            "<b>{0} tickets selected</b> — A assign · T tag · S snooze · C category · P priority · U status · "
            "M merge · E resolve · Ctrl+Z undoes").format(count))
        self.selection_bar.setVisible(count > 1)

    def _current_changed(self, current, _previous) -> None:
        ticket_id = self.model.ticket_id(current.row()) if current.isValid() else None
        if self.model.pin(ticket_id):  # the ticket left behind moves to where the sort puts it now
            QTimer.singleShot(0, self.refresh)
        if self._holding and self._focusing and not _previous.isValid():
            self._focusing, self._held = False, True  # the row Qt picks as the list takes the focus: opened
            return                                     # after the first paint
        self._held = False
        self._open(ticket_id)

    def cycle_focus(self, step: int) -> None:
        """F6 (1) / Shift+F6 (-1): the next area of the inbox, round."""
        areas = [self.views, self.table]
        if self._ticket_view is not None and self._ticket_view.ticket is not None:
            areas += [self._ticket_view.conversation, self._ticket_view.composer]
        focused = self.focusWidget()
        at = next((n for n, w in enumerate(areas) if focused is w or (focused and w.isAncestorOf(focused))), -1)
        target = areas[(at + step) % len(areas)] if at >= 0 else areas[0 if step > 0 else -1]
        from PySide6.QtCore import Qt

        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _offer_completion(self, text: str) -> None:
        token = text.split(" ")[-1]
        if len(token) < 2 or token.startswith('"'):
            self.completer.popup().hide()
            return
        self.completer.setCompletionPrefix(token.lstrip("-"))
        if self.completer.completionCount():
            self.completer.complete()

    def _complete_token(self, completion: str) -> None:
        words = self.search.text().split(" ")
        negated = words[-1].startswith("-")
        words[-1] = ("-" if negated else "") + completion
        self.search.setText(" ".join(words) + ("" if completion.endswith(":") else " "))
        self.apply_filters()

    def move(self, step: int) -> None:
        """Next (1) or previous (-1) ticket; fetches the next page at the end."""
        row = self.table.currentIndex().row() if self.table.currentIndex().isValid() else -1
        target = row + step
        if target >= self.model.rowCount() and self.model.canFetchMore():
            self.model.fetchMore()
        if 0 <= target < self.model.rowCount():
            self.table.selectRow(target)
            self.table.scrollTo(self.model.index(target, 0))

    def place_new_columns(self) -> None:
        """A column layout saved before the Waiting column existed puts it
        last (off the right edge on a laptop): show it after the subject."""
        header = self.table.horizontalHeader()
        column = self.model.column_of("waiting")
        if header.visualIndex(column) == header.count() - 1 and not header.isSectionHidden(column):
            header.moveSection(header.visualIndex(column), 2)
        self.subject_fit.fit()  # a restored layout: the subject fitted to this list's width

    def stop_timers(self) -> None:
        """The window is closing: nothing may query the database after this."""
        self._search_timer.stop()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()


class _CompletionCloser(QObject):
    """Hides the search completion when the box loses focus or a filter is
    pressed: the popup stayed open over the filters (issue 17)."""

    def __init__(self, completer: QCompleter) -> None:
        super().__init__(completer)
        self._completer = completer

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if not self._completer.popup().isVisible():
            return False
        from PySide6.QtCore import Qt  # (a popup is open: long after the first paint)

        if kind == QEvent.Type.FocusOut and isinstance(event, QFocusEvent) \
                and event.reason() == Qt.FocusReason.PopupFocusReason:
            return False  # the completion's own popup opening
        if kind == QEvent.Type.FocusOut or (kind in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress)
                                             and watched is not self._completer.widget()):
            self._completer.popup().hide()
        return False
