"""The Inbox pane (service side): saved views, filters, the paged ticket
table and the ticket view."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.core import query_syntax, tickets
from desktop.core.errors import AmendsError, ValidationError
from desktop.core.store import Database
from desktop.core.vocabulary import CATEGORIES
from desktop.ui.inbox_model import InboxModel
from desktop.ui.messages import show_error
from desktop.ui.ticket_view import TicketView

#: Built-in views: name -> the query they start from.
VIEWS: dict[str, tickets.InboxQuery] = {
    "Active": tickets.InboxQuery(status="active"),
    "Mine": tickets.InboxQuery(status="active", assignee="me"),
    "Unassigned": tickets.InboxQuery(status="active", assignee=tickets.UNASSIGNED),
    "Due follow-ups": tickets.InboxQuery(status="all", view="due_followups"),
    "Resolved": tickets.InboxQuery(status="resolved"),
    "All tickets": tickets.InboxQuery(status="all"),
}
STATUS_CHOICES = (("active", "Open + pending"), ("open", "Open"), ("pending", "Pending"),
                  ("resolved", "Resolved"), ("all", "Any status"))
SORT_CHOICES = (("updated", "Recently updated"), ("created", "Newest"), ("priority", "Priority"))


class InboxPane(QWidget):
    resolve_requested = Signal(int)
    counts_shown = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._applying = False

        self.views = QListWidget()
        self.views.setObjectName("views")
        self.views.setAccessibleName(self.tr("Views"))
        for name in VIEWS:
            QListWidgetItem(self.tr(name), self.views).setData(Qt.ItemDataRole.UserRole, name)
        self.views.setMaximumWidth(210)

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
        self.search_problem = QLabel()
        self.search_problem.setObjectName("searchProblem")
        self.search_problem.setWordWrap(True)
        self.search_problem.setStyleSheet("QLabel#searchProblem { color: #a01818; }")
        self.search_problem.hide()
        self.completer = QCompleter(query_syntax.suggestions(), self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setWidget(self.search)
        self.completer.activated.connect(self._complete_token)
        self.search.textEdited.connect(self._offer_completion)
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
        self.table.setObjectName("inboxTable")
        self.table.setAccessibleName(self.tr("Tickets"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for column, width in enumerate((56, 250, 110, 130, 140, 72, 64, 110, 46, 118)):
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

        self.ticket_view = TicketView(db)
        self.ticket_view.setObjectName("ticketView")

        table_side = QWidget()
        table_layout = QVBoxLayout(table_side)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.search)
        table_layout.addWidget(self.search_problem)
        table_layout.addLayout(filters)
        table_layout.addWidget(self.drill_bar)
        table_layout.addWidget(self.hint)
        table_layout.addWidget(self.table, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("inboxSplitter")
        self.splitter.addWidget(self.views)
        self.splitter.addWidget(table_side)
        self.splitter.addWidget(self.ticket_view)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 4)
        self.splitter.setSizes([150, 700, 650])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(180)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_filters)
        for combo in (self.status, self.category, self.assignee, self.sort):
            combo.activated.connect(lambda _i: self.apply_filters())
        self.views.currentItemChanged.connect(self._view_chosen)
        self.drill_clear.clicked.connect(lambda: self._view_chosen(self.views.item(0)) or self.views.setCurrentRow(0))
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(lambda index: self.ticket_view.composer.setFocus())
        self.ticket_view.changed.connect(self._ticket_changed)
        self.ticket_view.resolve_requested.connect(self.resolve_requested)
        self._counting = None
        self._counts_stale = False
        self.views.setCurrentRow(0)
        QTimer.singleShot(0, self.update_counts)  # after the first paint

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
            sort=self.sort.currentData(), view=base.view, ids=base.ids)

    def _view_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None:
            return
        query = VIEWS[item.data(Qt.ItemDataRole.UserRole)]
        self._applying = True
        for combo, value in ((self.status, query.status), (self.category, query.category or ""),
                             (self.assignee, query.assignee or ""), (self.sort, query.sort)):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self._applying = False
        self.show_query(replace(query, text=self.search.text(), sort=self.sort.currentData()))

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
        hints = []
        if query.searching:
            hints.append(self.tr("Search results, newest first."))
        if query.view == "due_followups":
            hints.append(self.tr("Tickets with a check-in that is due, oldest due first."))
        if self.model.rowCount() == 0:
            hints.append(self.tr("No tickets match."))
        self.hint.setText(" ".join(hints))
        self.hint.setVisible(bool(hints))
        self._select(selected)

    def show_ids(self, label: str, ids: list[int]) -> None:
        """A drill-down: exactly these tickets, whatever their status."""
        self.views.blockSignals(True)
        self.views.clearSelection()
        self.views.setCurrentRow(-1)
        self.views.blockSignals(False)
        self.status.setCurrentIndex(self.status.findData("all"))
        self.drill_label.setText(self.tr("<b>{0:,} tickets</b> behind: {1}").format(len(ids), label))
        self.show_query(tickets.InboxQuery(status="all", sort=self.sort.currentData(), ids=tuple(ids),
                                           text=self.search.text()))
        if self.model.rowCount():
            self.table.selectRow(0)

    def update_counts(self) -> None:
        """Live counts beside the views, counted in a worker (capped, and off
        the UI thread: on a million tickets they take a few hundred ms)."""
        from desktop.ui import ops

        if self._counting is not None and not self._counting.done:
            self._counts_stale = True
            return
        self._counts_stale = False
        views = dict(VIEWS)

        def work(job: ops.Job) -> dict:
            return {name: tickets.count(job.db, query) for name, query in views.items()}

        def show(counts: dict) -> None:
            for row in range(self.views.count()):
                item = self.views.item(row)
                name = item.data(Qt.ItemDataRole.UserRole)
                number, capped = counts[name]
                item.setText(f"{self.tr(name)}  {number:,}{'+' if capped else ''}")
                item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{self.tr(name)}, {number} tickets")
            self.counts_shown.emit()
            if self._counts_stale:
                self.update_counts()

        self._counting = ops.run(self._db, work, success=show, failure=lambda error: None, parent=self)

    def refresh(self) -> None:
        """Re-read what is shown (after a change here or by someone else),
        keeping the selection."""
        selected = self.current_ticket_id()
        scroll = self.table.verticalScrollBar().value()
        try:
            self.model.reload()
        except AmendsError as error:
            show_error(self, error)
            return
        self._select(selected, focus_view=False)
        self.table.verticalScrollBar().setValue(scroll)
        self.ticket_view.reload()
        self.update_counts()

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
            if ticket_id is not None and focus_view:
                self.ticket_view.show_ticket(None)
            return
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def select_ticket(self, ticket_id: int) -> bool:
        row = self.model.row_of(ticket_id)
        if row is None:
            return False
        self._select(ticket_id)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def _current_changed(self, current, _previous) -> None:
        ticket_id = self.model.ticket_id(current.row()) if current.isValid() else None
        if ticket_id is None or self.ticket_view.ticket is None or self.ticket_view.ticket.id != ticket_id:
            self.ticket_view.show_ticket(ticket_id)

    def _ticket_changed(self, ticket_id: int) -> None:
        self.model.refresh_ticket(ticket_id)
        self.update_counts()

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

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
