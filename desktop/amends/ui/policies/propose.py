"""From any ticket or a selection, "Propose policy change" files a note for
the Relations side, linked to those tickets: service feeds relations."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QWidget

from amends.core import proposals
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common.databus import Changed, DataBus
from amends.ui.common.messages import show_error
from amends.ui.common.note_dialog import NoteDialog


class ProposeFlow(QObject):
    def __init__(self, db: Database, bus: DataBus, parent: QWidget) -> None:
        super().__init__(parent)
        self.db = db
        self.bus = bus
        self.parent_widget = parent
        self.propose_dialog: NoteDialog | None = None

    def ask(self, ids: list[int]) -> NoteDialog | None:
        if not ids:
            self.bus.say(self.tr("Select the tickets that show why the policy should change."), 5000)
            return None
        dialog = NoteDialog(self.tr("Propose a policy change"),
                            self.tr("What should change in the policy, and why? The {0} selected ticket(s) are "
                                    "linked to the proposal.").format(len(ids)),
                            self.tr("File proposal"), self.parent_widget, "proposeDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.file(dialog.note.toPlainText(), ids))
        self.propose_dialog = dialog
        dialog.open()
        return dialog

    def file(self, text: str, ids: list[int]) -> int | None:
        try:
            proposal_id = proposals.file(self.db, text, ids)
        except AmendsError as error:
            show_error(self.parent_widget, error)
            return None
        self.bus.say(self.tr("Proposal #{0} filed for the Policies pane.").format(proposal_id), 6000)
        self.bus.announce(Changed.PROPOSALS)
        return proposal_id
