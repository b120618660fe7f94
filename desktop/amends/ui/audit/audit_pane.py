"""The Audit pane: every change, who, when, what (before → after), paged
from the append-only audit log and filterable by person, kind, record and
date. Double-clicking a ticket's entry opens the ticket."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from amends.core import audit
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common.databus import Changed
from amends.ui.common.rows_model import ListModel

log = logging.getLogger("amends.ui.audit")

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("When", "Who", "What", "Record", "Change")
ENTITIES = (("", "Everything"), ("ticket", "Tickets"), ("policy", "Policies"), ("proposal", "Proposals"),
            ("customer", "Customers"), ("database", "Database"))


class AuditModel(ListModel):
    headers = COLUMNS

    def __init__(self, db: Database, parent=None, page_size: int = 200) -> None:
        super().__init__(parent)
        self._db = db
        self._page_size = page_size
        self.query = audit.AuditQuery()
        self._at_end = True

    @property
    def entries(self) -> list[audit.AuditEntry]:
        return self.items

    @entries.setter
    def entries(self, value: list[audit.AuditEntry]) -> None:
        self.items = value

    def set_query(self, query: audit.AuditQuery) -> None:
        self.beginResetModel()
        self.query = query
        self.entries = audit.page(self._db, query, None, self._page_size)
        self._at_end = len(self.entries) < self._page_size
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._at_end

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or self._at_end or not self.entries:
            return
        more = audit.page(self._db, self.query, self.entries[-1].id, self._page_size)
        if more:
            self.beginInsertRows(QModelIndex(), len(self.entries), len(self.entries) + len(more) - 1)
            self.entries.extend(more)
            self.endInsertRows()
        self._at_end = len(more) < self._page_size

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        entry = self.entries[index.row()]
        record = f"{entry.entity} #{entry.entity_id}" if entry.entity_id is not None else entry.entity
        return (entry.at[:19].replace("T", " "), entry.actor, entry.action.replace("_", " "), record,
                audit.describe(entry))[index.column()]


class AuditPane(QWidget):
    open_ticket = Signal(int)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.person = QComboBox()
        self.person.setObjectName("auditPerson")
        self.entity = QComboBox()
        self.entity.setObjectName("auditEntity")
        for key, label in ENTITIES:
            self.entity.addItem(self.tr(label), key)
        self.record = QLineEdit()
        self.record.setObjectName("auditRecord")
        self.record.setPlaceholderText(self.tr("record # (ticket or policy id)"))
        self.since = QLineEdit()
        self.since.setObjectName("auditSince")
        self.since.setPlaceholderText(self.tr("from YYYY-MM-DD"))
        self.until = QLineEdit()
        self.until.setObjectName("auditUntil")
        self.until.setPlaceholderText(self.tr("to YYYY-MM-DD"))
        self.apply_button = QPushButton(self.tr("Filter"))
        self.apply_button.setObjectName("auditFilter")
        for widget, name in ((self.person, "Person"), (self.entity, "Kind of record"), (self.record, "Record number"),
                             (self.since, "From date"), (self.until, "To date")):
            widget.setAccessibleName(self.tr(name))
        self.problem = QLabel()
        self.problem.setObjectName("problems")
        bar = QHBoxLayout()
        for widget in (self.person, self.entity, self.record, self.since, self.until, self.apply_button):
            bar.addWidget(widget)
        self.model = AuditModel(db, self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName(self.tr("Audit log"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((150, 150, 110, 110)):
            self.table.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel(self.tr("<h3>Audit</h3>Every change to this file: who, when, what. The log only "
                                        "grows; nothing in it can be edited.")))
        layout.addLayout(bar)
        layout.addWidget(self.problem)
        layout.addWidget(self.table, 1)
        self.apply_button.clicked.connect(self.apply)
        for edit in (self.record, self.since, self.until):
            edit.returnPressed.connect(self.apply)
        self.person.activated.connect(lambda _i: self.apply())
        self.entity.activated.connect(lambda _i: self.apply())
        self.table.doubleClicked.connect(self._open)
        self.refresh()

    def on_data_changed(self, what: int) -> None:
        """Subscribed to the window's DataBus: every change is audited; re-read while on screen."""
        if what & Changed.AUDIT and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        current = self.person.currentData()
        try:
            people = audit.actors(self._db)
        except AmendsError as error:
            log.warning("the audit log: %s", error)
            self.problem.setText(f"⚠ {error}")
            return
        self.person.clear()
        self.person.addItem(self.tr("Anyone"), None)
        for name in people:
            self.person.addItem(name, name)
        self.person.setCurrentIndex(max(0, self.person.findData(current)))
        self.apply()

    def current_query(self) -> audit.AuditQuery:
        record = self.record.text().strip().lstrip("#")
        if record and not record.isdigit():
            raise AmendsError(self.tr("The record number must be a number, like 42."))
        return audit.AuditQuery(actor=self.person.currentData(), entity=self.entity.currentData() or None,
                                entity_id=int(record) if record else None,
                                since=self.since.text().strip() or None, until=self.until.text().strip() or None)

    def apply(self) -> None:
        try:
            self.model.set_query(self.current_query())
        except AmendsError as error:
            log.warning("the audit log: %s", error)
            self.problem.setText(f"⚠ {error}")
            return
        self.problem.setText("")

    def _open(self, index) -> None:
        entry = self.model.entries[index.row()]
        if entry.entity == "ticket" and entry.entity_id is not None:
            self.open_ticket.emit(entry.entity_id)
