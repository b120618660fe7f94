"""Proposals filed from the inbox, decided in the Policies pane."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from amends.core import proposals
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.core.vocabulary import category_name
from amends.ui.common.messages import show_error
from amends.ui.common.note_dialog import NoteDialog


class ProposalsBox(QGroupBox):
    """Proposals filed from the inbox, waiting for a decision."""

    accepted = Signal(int)  # the policy whose draft to open

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.items: list[proposals.Proposal] = []
        self.list = QListWidget()
        self.list.setObjectName("proposalList")
        self.list.setAccessibleName(self.tr("Open proposals"))
        self.detail = QLabel()
        self.detail.setObjectName("proposalDetail")
        self.detail.setWordWrap(True)
        self.accept_button = QPushButton(self.tr("Accept: open the draft"))
        self.accept_button.setObjectName("acceptProposal")
        self.decline_button = QPushButton(self.tr("Decline…"))
        self.decline_button.setObjectName("declineProposal")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.decline_button)
        buttons.addWidget(self.accept_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self.list.currentRowChanged.connect(self._selected)
        self.accept_button.clicked.connect(self.accept_current)
        self.decline_button.clicked.connect(self.ask_decline)
        self.reload()

    def reload(self) -> None:
        self.items = proposals.list_proposals(self._db, "open")
        self.setTitle(self.tr("Proposals from the inbox ({0} open)").format(len(self.items)))
        self.list.clear()
        for item in self.items:
            QListWidgetItem(f"#{item.id} · {category_name(item.category) if item.category else '—'} · "
                            f"{item.created_by} · {len(item.ticket_ids)} ticket(s)\n{item.text}", self.list)
        if self.items:
            self.list.setCurrentRow(0)
        self._selected(self.list.currentRow())

    def _selected(self, row: int) -> None:
        valid = 0 <= row < len(self.items)
        self.accept_button.setEnabled(valid)
        self.decline_button.setEnabled(valid)
        if not valid:
            self.detail.setText(self.tr("<i>No open proposals.</i>") if not self.items else "")
            return
        item = self.items[row]
        tickets = ", ".join(f"#{t}" for t in item.ticket_ids[:20]) + (" …" if len(item.ticket_ids) > 20 else "")
        self.detail.setText(self.tr("<b>{0}</b><br>filed {1} by {2} · tickets {3}").format(
            html.escape(item.text), item.created_at[:10], html.escape(item.created_by), tickets))

    def current(self) -> proposals.Proposal | None:
        row = self.list.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def accept_current(self) -> None:
        item = self.current()
        if item is None:
            return
        try:
            policy_id = proposals.accept(self._db, item.id, item.version)
        except AmendsError as error:
            show_error(self, error)
            self.reload()
            return
        self.reload()
        if policy_id is not None:
            self.accepted.emit(policy_id)

    def ask_decline(self) -> None:
        item = self.current()
        if item is None:
            return
        dialog = NoteDialog(self.tr("Decline proposal #{0}").format(item.id),
                            self.tr("Why is this proposal declined? The person who filed it will see the reason."),
                            self.tr("Decline"), self, "declineDialog")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.decline(dialog.note.toPlainText())

    def decline(self, reason: str) -> None:
        item = self.current()
        try:
            proposals.decline(self._db, item.id, item.version, reason)
        except AmendsError as error:
            show_error(self, error)
        self.reload()
