"""A ticket's fields (category, priority, status, assignee), Take and
Resolve…: each change is one undoable edit at the version shown; someone
else's change first means the conflict box (reload / keep mine).

A controller: it makes the field widgets (the view lays them out), is told
the ticket shown (``ticket``, ``shown``), and answers through signals:
``changed`` (an edit was saved), ``edit_made`` (for the undo stack),
``resolve_requested``, ``reload_requested`` and ``show_requested``."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QMessageBox, QPushButton, QWidget

from amends.core import edits, tickets
from amends.core.errors import AmendsError, ConflictError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, PRIORITIES, STATUSES
from amends.ui.common.messages import conflict_box, describe, show_error


class TicketFields(QObject):
    """The editable fields of the ticket shown."""

    #: An edit was saved to this ticket.
    changed = Signal(int)
    #: An undoable edit was made here (the window's undo stack takes it).
    edit_made = Signal(object)
    #: Resolve… (or the status "resolved" chosen): resolving goes through the checklist.
    resolve_requested = Signal(int)
    #: The ticket shown should be read again.
    reload_requested = Signal()
    #: Show this ticket (again) after a conflict was settled.
    show_requested = Signal(int)

    def __init__(self, db: Database, host: QWidget) -> None:
        super().__init__(host)
        self._db = db
        self._host = host  # the conflict box and error messages open over it
        self.ticket: tickets.Ticket | None = None
        self.loading = False  # the view is filling the fields in: nothing is saved for that
        self.category = QComboBox()
        for key, name in CATEGORIES.items():
            self.category.addItem(name, key)
        self.priority = QComboBox()
        for key, name in PRIORITIES.items():
            self.priority.addItem(name, key)
        self.status = QComboBox()
        for key, name in STATUSES.items():
            self.status.addItem(name, key)
        self.assignee = QComboBox()
        self.assignee.setEditable(True)
        self.assignee.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.take_button = QPushButton(self.tr("Take"))
        self.take_button.setObjectName("takeTicket")
        self.take_button.setToolTip(self.tr("Assign this ticket to me (Ctrl+Shift+T)"))
        self.take_button.setAccessibleName(self.tr("Take ticket"))
        self.resolve_button = QPushButton(self.tr("Resolve…"))
        self.resolve_button.setObjectName("resolveTicket")
        self.resolve_button.setToolTip(self.tr("Resolve through the recovery checklist (Ctrl+E)"))
        for widget, name in ((self.category, "Category"), (self.priority, "Priority"), (self.status, "Status"),
                             (self.assignee, "Assignee"), (self.resolve_button, "Resolve ticket")):
            widget.setAccessibleName(self.tr(name))
        self.category.activated.connect(lambda _i: self.save_field("category", self.category.currentData()))
        self.priority.activated.connect(lambda _i: self.save_field("priority", self.priority.currentData()))
        self.status.activated.connect(lambda _i: self._status_chosen())
        self.assignee.lineEdit().editingFinished.connect(self._assignee_chosen)
        self.assignee.activated.connect(lambda _i: self._assignee_chosen())
        self.resolve_button.clicked.connect(lambda: self.ticket and self.resolve_requested.emit(self.ticket.id))
        self.take_button.clicked.connect(self.take)

    def show_values(self, ticket: tickets.Ticket) -> None:
        """Category, priority and status as ``ticket`` has them."""
        self.category.setCurrentIndex(self.category.findData(ticket.category))
        self.priority.setCurrentIndex(self.priority.findData(ticket.priority))
        self.status.setCurrentIndex(self.status.findData(ticket.status))

    def show_people(self, ticket: tickets.Ticket, people: list[str]) -> None:
        """The assignee box: everyone who has tickets and me, with the
        ticket's assignee chosen (added if nobody else has tickets)."""
        self.assignee.clear()
        self.assignee.addItem(self.tr("Unassigned"), None)
        for name in sorted(set(people) | {self._db.actor}):
            self.assignee.addItem(name, name)
        found = self.assignee.findData(ticket.assignee) if ticket.assignee else 0
        if found < 0:
            self.assignee.addItem(ticket.assignee, ticket.assignee)
            found = self.assignee.count() - 1
        self.assignee.setCurrentIndex(found)
        self.resolve_button.setEnabled(ticket.status != "resolved")

    def _assignee_chosen(self) -> None:
        text = self.assignee.currentText().strip()
        value = None if not text or text == self.tr("Unassigned") else text
        if self.ticket is not None and value != self.ticket.assignee:
            self.save_field("assignee", value)

    def _status_chosen(self) -> None:
        if self.ticket is None:
            return
        if self.status.currentData() == "resolved":
            # Resolving always goes through the checklist.
            self.status.setCurrentIndex(self.status.findData(self.ticket.status))
            self.resolve_requested.emit(self.ticket.id)
            return
        self.save_field("status", self.status.currentData())

    def save_field(self, name: str, value) -> None:
        if self.loading or self.ticket is None or getattr(self.ticket, name) == value:
            return
        ticket_id = self.ticket.id
        edit = None
        try:
            if name == "status" and self.ticket.status == "resolved":
                # Reopening: a deliberate single edit (its resolution stays on record), not on the undo stack.
                tickets.update(self._db, ticket_id, self.ticket.version, status=value)
            else:
                edit = edits.set_values(self._db, name, {ticket_id: value},
                                        expected_versions={ticket_id: self.ticket.version})
        except ConflictError as error:
            self._resolve_conflict(error, name, value)
            return
        except AmendsError as error:
            show_error(self._host, error, self.tr("Your change of {0} was not saved").format(name))
            self.reload_requested.emit()
            return
        self.reload_requested.emit()
        self.changed.emit(ticket_id)
        if edit is not None:
            self.edit_made.emit(edit)

    def _resolve_conflict(self, error: ConflictError, name: str, value) -> QMessageBox:
        """Someone else saved first: show what they changed, offer reload or
        keep mine (an explicit, audited overwrite of this one field)."""
        ticket_id = self.ticket.id

        def keep_mine() -> None:
            self.edit_made.emit(edits.set_values(self._db, name, {ticket_id: value}))

        def after() -> None:
            self.show_requested.emit(ticket_id)
            self.changed.emit(ticket_id)

        self.conflict_box = conflict_box(self._host, self.tr("Changed by someone else"), describe(error), keep_mine, after)
        self.conflict_box.setObjectName("conflictBox")
        return self.conflict_box

    def take(self) -> None:
        """Assign to me; if someone took it a moment earlier, say who."""
        if self.ticket is None:
            return
        ticket_id = self.ticket.id
        try:
            edit = edits.take(self._db, ticket_id)
        except AmendsError as error:
            show_error(self._host, error)
            edit = None
        self.reload_requested.emit()
        self.changed.emit(ticket_id)
        if edit is not None and edit.rows:
            self.edit_made.emit(edit)
