"""Logging a ticket by hand (a phone call, a chat, a note from a colleague)."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from amends.core import customers, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, DEFAULT_PRIORITY, PRIORITIES

log = logging.getLogger("amends.ui.new_ticket")


class NewTicketDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newTicketDialog")
        self.setWindowTitle(self.tr("New ticket"))
        self.setMinimumWidth(520)
        self._db = db
        self.ticket_id: int | None = None
        self.email = QLineEdit()
        self.email.setObjectName("customerEmail")
        self.email.setPlaceholderText(self.tr("customer@example.com (optional)"))
        self.name = QLineEdit()
        self.name.setObjectName("customerName")
        self.name.setPlaceholderText(self.tr("for a new customer"))
        self.known = QLabel()
        self.known.setObjectName("secondary")
        self.subject = QLineEdit()
        self.subject.setObjectName("ticketSubjectInput")
        self.category = QComboBox()
        self.category.setObjectName("ticketCategoryInput")
        for key, label in CATEGORIES.items():
            self.category.addItem(label, key)
        self.priority = QComboBox()
        self.priority.setObjectName("ticketPriorityInput")
        for key, label in PRIORITIES.items():
            self.priority.addItem(label, key)
        self.priority.setCurrentIndex(self.priority.findData(DEFAULT_PRIORITY))
        self.body = QPlainTextEdit()
        self.body.setObjectName("ticketBodyInput")
        self.body.setPlaceholderText(self.tr("What the customer said"))
        for widget, name in ((self.email, "Customer email"), (self.name, "Customer name"),
                             (self.subject, "Subject"), (self.category, "Category"),
                             (self.priority, "Priority"), (self.body, "First message")):
            widget.setAccessibleName(self.tr(name))
        form = QFormLayout()
        form.addRow(self.tr("Customer email"), self.email)
        form.addRow("", self.known)
        form.addRow(self.tr("Customer name"), self.name)
        form.addRow(self.tr("Subject"), self.subject)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Priority"), self.priority)
        form.addRow(self.tr("Message"), self.body)
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = buttons.addButton(self.tr("Create ticket"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button.setObjectName("createTicket")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.email.editingFinished.connect(self._look_up)
        self.subject.textChanged.connect(self._update)
        self._update()

    def _look_up(self) -> None:
        email = self.email.text().strip()
        found = customers.find_by_email(self._db, email) if email else None
        self.known.setText(self.tr("Existing customer #{0}").format(found) if found else
                           (self.tr("A new customer will be created") if email else ""))
        self.name.setEnabled(found is None)

    def _update(self) -> None:
        ok = bool(self.subject.text().strip())
        self.create_button.setEnabled(ok)
        self.problems.setText("" if ok else self.tr("⚠ A ticket needs a subject."))

    def accept(self) -> None:
        email = self.email.text().strip()
        try:
            customer_id = None
            if email:
                if "@" not in email:
                    raise AmendsError(self.tr("“{0}” does not look like an email address.").format(email))
                customer_id = customers.find_by_email(self._db, email) or customers.create(
                    self._db, email, self.name.text().strip())
            self.ticket_id = tickets.create(
                self._db, self.subject.text(), self.body.toPlainText(), customer_id=customer_id,
                category=self.category.currentData(), priority=self.priority.currentData(),
                author=self.name.text().strip() or email or None)
        except AmendsError as error:
            log.warning("new ticket refused: %s", error)
            self.problems.setText(f"⚠ {error}")
            return
        super().accept()
