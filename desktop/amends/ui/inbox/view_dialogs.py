"""View menu: save the search as a view, save it into the chosen view,
rename and delete — the small dialogs around the inbox's saved views."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from amends.ui.common.databus import DataBus
from amends.ui.inbox.inbox_pane import InboxPane


class ViewDialogs(QObject):
    def __init__(self, inbox: InboxPane, bus: DataBus, parent: QWidget) -> None:
        super().__init__(parent)
        self.inbox = inbox
        self.bus = bus
        self.parent_widget = parent
        self.view_dialog: QWidget | None = None

    def _open(self, dialog: QWidget) -> QWidget:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self.parent_widget.activateWindow())
        self.view_dialog = dialog
        dialog.open()
        return dialog

    def _name_dialog(self, name: str, title: str, label: str, text: str) -> QInputDialog:
        dialog = QInputDialog(self.parent_widget)
        dialog.setObjectName(name)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        return dialog

    def ask_save_view(self) -> QInputDialog:
        dialog = self._name_dialog("saveViewDialog", self.tr("Save view"), self.tr(
            "Name of the view (it keeps the search, filters and sort shown now):"),
            self.inbox.search.text().strip()[:60])
        dialog.textValueSelected.connect(self.inbox.save_current_view)
        return self._open(dialog)

    def update_view(self) -> bool:
        """The saved view chosen now keeps the search as it reads now."""
        view = self.inbox.current_saved_view()
        if view is None:
            self.bus.say(self.tr("Choose one of your saved views first."), 5000)
            return False
        return self.inbox.update_view(view)

    def ask_rename_view(self) -> QInputDialog | None:
        view = self.inbox.current_saved_view()
        if view is None:
            self.bus.say(self.tr("Only your saved views can be renamed; choose one first."), 5000)
            return None
        dialog = self._name_dialog("renameViewDialog", self.tr("Rename view"), self.tr("New name:"), view.name)
        dialog.textValueSelected.connect(lambda name: self.inbox.rename_view(view.id, name))
        return self._open(dialog)

    def ask_delete_view(self) -> QMessageBox | None:
        view = self.inbox.current_saved_view()
        if view is None:
            self.bus.say(self.tr("Only your saved views can be deleted; choose one first."), 5000)
            return None
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete view"),
                          self.tr("Delete the view “{0}”? Its tickets are not touched.").format(view.name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.parent_widget)
        box.setObjectName("deleteViewBox")
        box.accepted.connect(lambda: self.inbox.delete_view(view.id))
        return self._open(box)
