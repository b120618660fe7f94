"""Resolving: E on the current ticket or a selection, the Resolve button of
the ticket view, the checklist for each group of tickets.

Given the database, the inbox, the bus and a parent for the dialogs; it
reports through the bus and emits :attr:`ResolveFlow.finished` when a
checklist closes (the shell gives the keys back to the ticket list)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QWidget

from amends.core import resolution, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common.databus import Changed, DataBus
from amends.ui.common.messages import show_error
from amends.ui.inbox.inbox_pane import InboxPane
from amends.ui.resolve.checklist_dialog import ChecklistDialog


class ResolveFlow(QObject):
    #: A checklist closed (resolved or cancelled).
    finished = Signal()

    def __init__(self, db: Database, inbox: InboxPane, bus: DataBus, parent: QWidget) -> None:
        super().__init__(parent)
        self.db = db
        self.inbox = inbox
        self.bus = bus
        self.parent_widget = parent
        self.checklist_dialog: ChecklistDialog | None = None

    def targets(self) -> list[int]:
        ids = self.inbox.selected_ticket_ids()
        if not ids and self.inbox.current_ticket_id() is not None:
            ids = [self.inbox.current_ticket_id()]
        if not ids:
            self.bus.say(self.tr("Select one or more tickets first."), 4000)
        return ids

    def resolve_selection(self) -> list[QDialog]:
        """E on a selection: the tickets grouped by the policy version that
        applies, the checklist shown once per group and recorded for each."""
        ids = self.targets()
        if len(ids) <= 1:
            if ids:
                self.resolve_ticket(ids[0])
            return []
        groups: dict[int | None, list[int]] = {}
        try:
            for ticket_id in ids:
                checklist = resolution.checklist_for(self.db, ticket_id)
                if checklist.ticket_status != "resolved":
                    groups.setdefault(checklist.policy.id if checklist.policy else None, []).append(ticket_id)
        except AmendsError as error:
            show_error(self.parent_widget, error)
            return []
        if not groups:
            self.bus.say(self.tr("The selected tickets are already resolved."), 5000)
            return []
        return self._next_group(list(groups.values()), [])

    def _next_group(self, remaining: list[list[int]], shown: list[QDialog]) -> list[QDialog]:
        if not remaining:
            return shown
        group, rest = remaining[0], remaining[1:]
        try:
            checklist = resolution.checklist_for(self.db, group[0])
        except AmendsError as error:
            show_error(self.parent_widget, error)
            return shown
        dialog = ChecklistDialog(self.db, checklist, self.parent_widget, subject=self.tr("{0} tickets: {1}").format(
            len(group), checklist.reason), also=group[1:])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.checklist_dialog = dialog

        def resolved() -> None:
            text = self.tr("Resolved {0} ticket(s).").format(len(dialog.resolved))
            if dialog.failures:
                text += " " + self.tr("Not resolved: {0}").format(
                    "; ".join(f"#{t}: {reason}" for t, reason in dialog.failures))
            self.bus.say(text, 10_000)
            self.bus.announce(Changed.TICKETS)
            self._next_group(rest, shown)

        dialog.accepted.connect(resolved)
        dialog.finished.connect(lambda _result: self.finished.emit())
        shown.append(dialog)
        dialog.open()
        return shown

    def resolve_ticket(self, ticket_id: int) -> ChecklistDialog | None:
        """Open the recovery checklist; on Resolve the core writes everything
        in one transaction, on Cancel nothing changes."""
        try:
            checklist = resolution.checklist_for(self.db, ticket_id)
            ticket = tickets.get(self.db, ticket_id, with_messages=False)
        except AmendsError as error:
            show_error(self.parent_widget, error)
            return None
        if checklist.ticket_status == "resolved":
            self.bus.say(self.tr("Ticket #{0} is already resolved.").format(ticket_id), 4000)
            return None
        dialog = ChecklistDialog(self.db, checklist, self.parent_widget, subject=ticket.subject)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reply_chosen.connect(lambda reply, offer: self._reply_from_checklist(ticket_id, reply, offer))
        self.checklist_dialog = dialog
        dialog.accepted.connect(lambda: self._resolved(ticket_id))
        dialog.finished.connect(lambda _result: self.finished.emit())
        dialog.open()
        return dialog

    def _reply_from_checklist(self, ticket_id: int, reply, offer) -> None:
        """A checklist step's saved reply goes into that ticket's composer."""
        if self.inbox.current_ticket_id() != ticket_id:
            self.inbox.select_ticket(ticket_id)
        if self.inbox.ticket_view.ticket is not None and self.inbox.ticket_view.ticket.id == ticket_id:
            self.inbox.ticket_view.insert_reply(reply, offer)
            self.bus.say(self.tr("“{0}” is in the composer; send it when the checklist is done.")
                         .format(reply.name), 6000)

    def _resolved(self, ticket_id: int) -> None:
        self.bus.say(self.tr("Ticket #{0} resolved.").format(ticket_id), 5000)
        self.bus.announce(Changed.TICKETS)  # it leaves the active views: the next ticket takes its place
