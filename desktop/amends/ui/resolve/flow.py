"""Resolving, one flow for every entry point: E on the current ticket or a
selection, and the Resolve button of the ticket view. Tickets are grouped by
the policy version that applies; each group gets one checklist, recorded for
every ticket against the version it had when the checklist was shown.

Given the database, the inbox, the bus and a parent for the dialogs; it
reports through the bus and emits :attr:`ResolveFlow.finished` when a
checklist closes (the shell gives the keys back to the ticket list)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from amends.core import resolution, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common.databus import Changed, DataBus
from amends.ui.common.messages import show_error
from amends.ui.inbox import selection
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
        self.draft_box: QMessageBox | None = None

    def targets(self) -> list[int]:
        """The selected tickets, or the current one (ui/inbox/selection.py)."""
        return selection.targets(self.inbox, self.bus)

    def resolve_selection(self) -> list[ChecklistDialog]:
        """E on the current ticket or a selection."""
        ids = self.targets()
        return self.resolve(ids) if ids else []

    def resolve_ticket(self, ticket_id: int) -> ChecklistDialog | None:
        """The Resolve button of the ticket view (and E on one ticket)."""
        shown = self.resolve([ticket_id])
        return shown[0] if shown else None

    def ask_about_draft(self, ids: list[int], then) -> bool:
        """An unsent reply in the composer of one of these tickets: Send it,
        keep it as a draft, or discard it, before going on (a save offer put
        there by the checklist was easy to lose: resolving moved on). Returns
        True when it asked (``then`` runs after the answer)."""
        view = self.inbox.ticket_view
        shown = view.ticket.id if view.ticket is not None else None
        if shown not in ids or not view.has_unsent_draft():
            return False
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Unsent reply"),
                          self.tr("Ticket #{0} has a reply you have not sent.").format(shown),
                          QMessageBox.StandardButton.NoButton, self.parent_widget)
        box.setObjectName("unsentDraftBox")
        box.setInformativeText(self.tr("Send it now, keep it as a draft on the ticket, or discard it?"))
        send = box.addButton(self.tr("&Send reply"), QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton(self.tr("&Keep as draft"), QMessageBox.ButtonRole.RejectRole)
        discard = box.addButton(self.tr("&Discard"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(send)
        box.setEscapeButton(keep)

        def answered(button) -> None:
            if button is send:
                if not view.send_unsent():
                    return  # refused (a placeholder, a conflict): the text stays, nothing goes on
            elif button is discard:
                view.discard_unsent()
            else:
                view.save_draft()
            then()

        box.buttonClicked.connect(answered)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.draft_box = box
        box.open()
        for button, name in ((send, "sendDraft"), (keep, "keepDraft"), (discard, "discardDraft")):
            button.setObjectName(name)
        return True

    def resolve(self, ids: list[int]) -> list[ChecklistDialog]:
        """Resolve ``ids``; an unsent reply on the ticket shown is asked about first."""
        if self.ask_about_draft(ids, lambda: self._resolve_now(ids)):
            return []
        return self._resolve_now(ids)

    def _resolve_now(self, ids: list[int]) -> list[ChecklistDialog]:
        """The one flow: the tickets grouped by the policy version that
        applies, the checklist shown once per group and recorded for each
        ticket against the version it had when its checklist was shown. On
        Resolve the core writes each ticket in one transaction; on Cancel
        nothing changes. Returns the dialog shown (the next group's follows
        when this one is resolved)."""
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
            self.bus.say(self.tr("Ticket #{0} is already resolved.").format(ids[0]) if len(ids) == 1
                         else self.tr("The selected tickets are already resolved."), 5000)
            return []
        return self._next_group(list(groups.values()), [])

    def _next_group(self, remaining: list[list[int]], shown: list[ChecklistDialog]) -> list[ChecklistDialog]:
        if not remaining:
            return shown
        group, rest = remaining[0], remaining[1:]
        try:  # read now: this is the version the person is shown
            checklists = [resolution.checklist_for(self.db, ticket_id) for ticket_id in group]
            subject = tickets.get(self.db, group[0], with_messages=False).subject if len(group) == 1 else \
                self.tr("{0} tickets: {1}").format(len(group), checklists[0].reason)
        except AmendsError as error:
            show_error(self.parent_widget, error)
            return shown
        first = checklists[0]
        dialog = ChecklistDialog(self.db, first, self.parent_widget, subject=subject,
                                 also=[c.ticket_id for c in checklists[1:]],
                                 versions={c.ticket_id: c.ticket_version for c in checklists})
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if len(group) == 1:  # a saved reply belongs to one conversation
            dialog.reply_chosen.connect(lambda reply, offer: self._reply_from_checklist(first.ticket_id, reply, offer))
        self.checklist_dialog = dialog

        def resolved() -> None:
            if len(dialog.ticket_ids) == 1:
                text = self.tr("Ticket #{0} resolved.").format(first.ticket_id)
            else:
                text = self.tr("Resolved {0} ticket(s).").format(len(dialog.resolved))
            if dialog.failures:
                text += " " + self.tr("Not resolved: {0}").format(
                    "; ".join(f"#{t}: {reason}" for t, reason in dialog.failures))
            self.bus.say(text, 10_000)

            def go_on() -> None:
                self.bus.announce(Changed.TICKETS)  # they leave the active views: the next tickets take their place
                self._next_group(rest, shown)

            if not self.ask_about_draft(list(dialog.resolved) or dialog.ticket_ids, go_on):
                go_on()

        dialog.accepted.connect(resolved)
        dialog.finished.connect(lambda _result: self.finished.emit())
        shown.append(dialog)
        dialog.open()
        return shown

    def save_pending_draft(self) -> None:
        """The window closes: an unfinished checklist typed a moment ago is kept."""
        dialog = self.checklist_dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.draft_timer.isActive():
            dialog._save_draft()

    def _reply_from_checklist(self, ticket_id: int, reply, offer) -> None:
        """A checklist step's saved reply goes into that ticket's composer."""
        if self.inbox.current_ticket_id() != ticket_id:
            self.inbox.select_ticket(ticket_id)
        if self.inbox.ticket_view.ticket is not None and self.inbox.ticket_view.ticket.id == ticket_id:
            self.inbox.ticket_view.insert_reply(reply, offer)
            self.bus.say(self.tr("“{0}” is in the composer; send it when the checklist is done.")
                         .format(reply.name), 6000)
