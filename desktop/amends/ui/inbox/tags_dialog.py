"""Edit → Tags: every tag with its colour and how many tickets carry it;
change a colour (the chip and the list follow). Tags are created where they
are used: T on a ticket, typing a new name."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from amends.core import tags
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common.messages import show_error
from amends.ui.inbox.choice_dialog import colour_icon


class TagsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tagsDialog")
        self.setWindowTitle(self.tr("Tags"))
        self.resize(420, 380)
        self._db = db
        intro = QLabel(self.tr("New tags are made where they are used: press T on a ticket and type a new name."))
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("tagList")
        self.list.setAccessibleName(self.tr("Tags and how many tickets carry each"))
        self.colour_button = QPushButton(self.tr("Change &colour…"))
        self.colour_button.setObjectName("tagColour")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.colour_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.colour_button.clicked.connect(self.ask_colour)
        self.list.itemActivated.connect(lambda _item: self.ask_colour())
        self.reload()

    def reload(self, select: int | None = None) -> None:
        try:
            found, counts = tags.all_tags(self._db), tags.usage(self._db)
        except AmendsError as error:
            show_error(self, error)
            return
        self.list.clear()
        for tag in found:
            count = counts.get(tag.id, 0)
            label = self.tr("{0}  (1 ticket)").format(tag.name) if count == 1 else \
                self.tr("{0}  ({1:,} tickets)").format(tag.name, count)
            item = QListWidgetItem(colour_icon(tag.colour), label, self.list)
            item.setData(Qt.ItemDataRole.UserRole, tag)
            if tag.id == select:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self.colour_button.setEnabled(self.list.count() > 0)

    def current_tag(self) -> tags.Tag | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def ask_colour(self) -> QColorDialog | None:
        tag = self.current_tag()
        if tag is None:
            return None
        dialog = QColorDialog(QColor(tag.colour), self)
        dialog.setObjectName("tagColourDialog")
        dialog.setWindowTitle(self.tr("Colour of “{0}”").format(tag.name))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.colorSelected.connect(lambda colour: self.set_colour(tag, colour.name()))
        self.colour_dialog = dialog
        dialog.open()
        return dialog

    def set_colour(self, tag: tags.Tag, colour: str) -> bool:
        try:
            tags.set_colour(self._db, tag.id, colour)
        except AmendsError as error:
            show_error(self, error)
            return False
        self.reload(select=tag.id)
        return True
