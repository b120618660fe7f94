"""Edit → Saved replies: the team's canned answers, with placeholders and
the checklist step each belongs to. A placeholder the app does not know is
refused when saving, with the list of the ones it does."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from amends.core import replies
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.core.vocabulary import STEP_TYPES
from amends.ui.common.messages import show_error

log = logging.getLogger("amends.ui.saved_replies")


class SavedRepliesDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("savedRepliesDialog")
        self.setWindowTitle(self.tr("Saved replies"))
        self.resize(820, 520)
        self._db = db
        self._current: replies.SavedReply | None = None
        self.list = QListWidget()
        self.list.setObjectName("replyList")
        self.list.setAccessibleName(self.tr("Saved replies"))
        self.name = QLineEdit()
        self.name.setObjectName("replyName")
        self.name.setAccessibleName(self.tr("Name of the saved reply"))
        self.step = QComboBox()
        self.step.setObjectName("replyStep")
        self.step.setAccessibleName(self.tr("Checklist step that offers this reply"))
        self.step.addItem(self.tr("No step (insert it from the composer)"), None)
        for key, label in STEP_TYPES.items():
            self.step.addItem(self.tr(label), key)
        self.body = QPlainTextEdit()
        self.body.setObjectName("replyBody")
        self.body.setAccessibleName(self.tr("Text of the saved reply"))
        self.help = QLabel(self.tr("Placeholders: ") + ", ".join(
            f"<code>{{{name}}}</code>" for name in replies.PLACEHOLDERS))
        self.help.setObjectName("secondary")
        self.help.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setObjectName("replyProblem")
        self.problem.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setObjectName("saveReply")
        self.new_button = QPushButton(self.tr("New"))
        self.new_button.setObjectName("newReply")
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.setObjectName("deleteReply")
        form = QFormLayout()
        form.addRow(self.tr("&Name"), self.name)
        form.addRow(self.tr("Offered at &step"), self.step)
        form.addRow(self.tr("&Text"), self.body)
        editor = QWidget()
        column = QVBoxLayout(editor)
        column.addLayout(form)
        column.addWidget(self.help)
        column.addWidget(self.problem)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        row.addWidget(self.save_button)
        column.addLayout(row)
        main = QHBoxLayout()
        main.addWidget(self.list, 1)
        main.addWidget(editor, 2)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(main, 1)
        layout.addWidget(close)
        self.list.currentItemChanged.connect(lambda item, _prev: self._show(item))
        self.save_button.clicked.connect(self.save)
        self.new_button.clicked.connect(self.new)
        self.delete_button.clicked.connect(self.delete)
        self.reload()

    def reload(self, select: int | None = None) -> None:
        try:
            found = replies.all_replies(self._db)
        except AmendsError as error:
            show_error(self, error)
            return
        self.list.clear()
        for reply in found:
            label = reply.name + (f"  ·  {STEP_TYPES[reply.step_type]}" if reply.step_type else "")
            item = QListWidgetItem(label, self.list)
            item.setData(Qt.ItemDataRole.UserRole, reply)
            if reply.id == select:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        elif not self.list.count():
            self.new()

    def _show(self, item: QListWidgetItem | None) -> None:
        reply = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self._current = reply
        self.name.setText(reply.name if reply else "")
        self.body.setPlainText(reply.body if reply else "")
        self.step.setCurrentIndex(max(0, self.step.findData(reply.step_type if reply else None)))
        self.delete_button.setEnabled(reply is not None)
        self.problem.clear()

    def new(self) -> None:
        self.list.setCurrentRow(-1)
        self._show(None)
        self.name.setFocus()

    def save(self) -> int | None:
        current = self._current
        try:
            reply_id = replies.save(self._db, self.name.text(), self.body.toPlainText(), self.step.currentData(),
                                    reply_id=current.id if current else None,
                                    expected_version=current.version if current else None)
        except AmendsError as error:
            log.warning("saved reply refused: %s", error)
            problems = getattr(error, "problems", None)
            self.problem.setText("⚠ " + ("; ".join(f"{f}: {r}" for f, r in problems) if problems else str(error)))
            return None
        self.reload(select=reply_id)
        self.problem.setText(self.tr("Saved."))
        return reply_id

    def delete(self) -> None:
        if self._current is None:
            return
        try:
            replies.delete(self._db, self._current.id)
        except AmendsError as error:
            show_error(self, error)
        self.reload()
