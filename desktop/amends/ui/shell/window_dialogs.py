"""The window's dialogs: display name, command palette and shortcuts,
new ticket, saved replies, tags, preferences, opening a file or a server
(with Open Recent), About. Each is imported when first opened: none of them
is needed before the first paint.

:class:`WindowDialogs` is a mixin of
:class:`~amends.ui.shell.main_window.MainWindow` (split from it by feature)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from amends import __version__
from amends.core import identity
from amends.core.store import Database
from amends.core.store.location import is_server_url
from amends.ui.shell import recent

if TYPE_CHECKING:  # the dialogs' types are made when one is shown (issue 16)
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger("amends.ui.window")


def db_url(db: Database) -> str:
    """The server address (no password) of a PostgreSQL database, "" for a file."""
    return str(getattr(db, "url", "") or "")


class WindowDialogs:
    """The dialogs the window opens (see the module's docstring)."""

    def choose_display_name(self) -> None:
        """The name recorded on every change you make (not a login)."""
        from PySide6.QtWidgets import QInputDialog  # (its type and enums: made when asked, not at every start)

        name, ok = QInputDialog.getText(self, self.tr("Your display name"),
                                        self.tr("Shown to others and recorded on every change you make:"),
                                        text=self.db.actor)
        if ok:
            self.set_display_name(name)

    def set_display_name(self, name: str) -> bool:
        name = " ".join(name.split())
        if not name:
            self.statusBar().showMessage(self.tr("A display name cannot be empty; it was not changed."), 5000)
            return False
        current = identity.load()
        current.display_name = name
        try:
            identity.save(current)
        except OSError as error:
            log.warning("display name not saved: %s", error)
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self, self.tr("Display name"),
                                self.tr("Could not save your display name: {0}").format(error.strerror))
            return False
        self.db.actor = name
        self._show_status()
        return True

    def _open(self, dialog, name: str):
        """Open a window-modal dialog that deletes itself when closed; keep a
        reference under ``name`` (tests and the next call find it there)."""
        from PySide6.QtCore import Qt
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        setattr(self, name, dialog)
        dialog.open()
        return dialog


    def open_palette(self):
        from PySide6.QtCore import Qt

        from amends.ui.shell.command_palette import CommandPalette

        palette = CommandPalette([a for a in self.actions() if a is not self.act_palette], self)
        palette.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.command_palette = palette
        palette.open()
        palette.query.setFocus()
        return palette

    def show_keys(self) -> QMessageBox:
        """The cheat sheet: every action with its shortcut."""
        from amends.ui.shell.command_palette import keys_box

        return self._open(keys_box(self.actions(), self), "keys_box")

    def new_ticket(self):
        from PySide6.QtCore import Qt

        from amends.ui.inbox.new_ticket_dialog import NewTicketDialog

        dialog = NewTicketDialog(self.db, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.new_ticket_dialog = dialog

        def created() -> None:
            self.show_pane(0)
            self.inbox.show_query(self.inbox.current_query())
            if not self.inbox.select_ticket(dialog.ticket_id):
                self.statusBar().showMessage(
                    self.tr("Ticket #{0} created; it is not in the current view.").format(dialog.ticket_id), 6000)

        dialog.accepted.connect(created)
        dialog.open()
        return dialog

    def propose_change(self):
        return self.proposer.ask(self.inbox.selected_ticket_ids())

    def open_saved_replies(self):
        from amends.ui.ticket.saved_replies_dialog import SavedRepliesDialog

        return self._open(SavedRepliesDialog(self.db, self), "replies_dialog")

    def open_tags(self):
        from amends.ui.inbox.tags_dialog import TagsDialog

        return self._open(TagsDialog(self.db, self), "tags_dialog")

    def insert_saved_reply(self):
        self.show_pane(0)
        return self.inbox.ticket_view.choose_saved_reply()

    def open_preferences(self):
        from amends.ui.shell.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self.db, self.tray.available, self)
        dialog.name_changed.connect(lambda _name: self._show_status())
        dialog.tray_chosen.connect(self.tray.set_visible)
        dialog.appearance_changed.connect(self.apply_appearance)
        return self._open(dialog, "preferences_dialog")

    def choose_database(self) -> None:
        from amends.ui.common import file_dialogs  # (not imported at every start)

        path, _ = file_dialogs.get_open_file_name(self, self.tr("Open an Amends database"), str(self.db.path.parent),
                                              self.tr("Amends databases (*.db *.sqlite *.amends);;All files (*)"))
        if path:
            self.open_requested.emit(Path(path))

    def connect_to_server(self, url: str = ""):
        """File → Connect to server…: the dialog, filled from ``url`` or the server in use."""
        from amends.ui.shell.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self, url or db_url(self.db))
        dialog.connect_to.connect(self.connect_requested.emit)
        return self._open(dialog, "connect_dialog")

    def fill_recent_menu(self) -> None:
        """File → Open Recent, read again each time it opens (another window may have added one)."""
        self.recent_menu.clear()
        current = db_url(self.db) or str(self.db.path)
        for entry in recent.entries():
            if entry == current:
                continue
            action = self.recent_menu.addAction(recent.label(entry))
            action.setData(entry)
            action.triggered.connect(lambda _checked=False, target=entry: self.open_recent(target))
        self.recent_menu.setEnabled(not self.recent_menu.isEmpty())

    def open_recent(self, entry: str) -> None:
        """A file opens; a server connects, or, when no password is kept for it
        (it was for that session only), the Connect dialog asks, filled in."""
        if is_server_url(entry):
            from amends.core.store import pg_access

            if pg_access.password_for(entry) is None:
                self.connect_to_server(entry)
                return
            self.connect_requested.emit(entry)
        else:
            self.open_requested.emit(Path(entry))

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(self, self.tr("About Amends"), self.tr(
            "<h3>Amends {0}</h3><p>Support console for subscription businesses: the Inbox for what we do for "
            "this customer now, Policies for what we do for the next thousand.</p><p>Database: {1}</p>").format(
            __version__, self.db.location))
