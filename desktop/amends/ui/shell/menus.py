"""The window's actions, menus and toolbar, with standard shortcuts.

A mixin of :class:`~amends.ui.shell.main_window.MainWindow` (kept apart so
the window file stays about assembling the features): the slots it connects
are the window's own methods and the feature controllers it built first."""

from __future__ import annotations

import sys

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QToolBar

from amends.ui.common import qt_values as qv


class WindowActions:
    """Builds ``act_*`` attributes on the window, then the menus from them."""

    def _action(self, text: str, slot, shortcut=None, name: str = "") -> QAction:
        """A window action; ``shortcut`` is a key, a standard key, or a list of keys (all of them work)."""
        action = QAction(self.tr(text), self)
        if shortcut is not None:
            qv.set_keys(action, shortcut)
        action.triggered.connect(slot)
        action.setObjectName(name or text)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        # The controllers are reached through the window's properties when an action is used: they
        # are built on first use (or right after the first paint), the shortcuts work at once.
        inbox = self.inbox
        self.act_open = self._action("&Open database…", self.choose_database, QKeySequence.StandardKey.Open, "open")
        self.act_connect = self._action("&Connect to server…", self.connect_to_server, None, "connectServer")
        self.act_new = self._action("&New ticket…", self.new_ticket, QKeySequence.StandardKey.New, "newTicket")
        self.act_demo = self._action("Load &demo data…", lambda: self.files.offer_demo(), None, "loadDemo")
        self.act_import = self._action("&Import…", lambda: self.files.ask_import(), "Ctrl+I", "import")
        self.act_import.setStatusTip(self.tr("Import Zendesk, Help Scout, Freshdesk or Gorgias exports; customers from "
                                             "Stripe, Recharge, Skio, Cratejoy or Shopify; spreadsheets; mail"))
        self.act_import.setToolTip(self.act_import.statusTip())
        self.act_export = self._action("&Export…", lambda: self.files.ask_export(), "Ctrl+Shift+E", "export")
        self.act_report = self._action("Quarterly relations &report…", lambda: self.files.ask_report(), None, "report")
        self.act_restore = self._action("&Backups and restore…", lambda: self.files.open_restore(), None, "restore")
        self.act_check = self._action("&Check database…", lambda: self.files.open_check(), None, "checkDatabase")
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, "quit")
        self.act_find = self._action("&Find tickets", self.show_search,
                                     [*QKeySequence.keyBindings(QKeySequence.StandardKey.Find), "/"], "find")
        self.act_name = self._action("Your display &name…", self.choose_display_name, None, "displayName")
        self.act_preferences = self._action(
            "&Preferences…", self.open_preferences,
            QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) or ["Ctrl+,"], "preferences")
        self.act_preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.act_saved_replies = self._action("Saved &replies…", self.open_saved_replies, None, "savedReplies")
        self.act_tags = self._action("&Tags…", self.open_tags, None, "tags")
        self.act_insert_reply = self._action("&Insert saved reply…", self.insert_saved_reply, "Ctrl+Shift+I",
                                             "insertReply")
        self.act_save_view = self._action("&Save search as view…", lambda: self.views.ask_save_view(),
                                          QKeySequence.StandardKey.SaveAs, "saveView")
        self.act_update_view = self._action("Save search into this &view", lambda: self.views.update_view(), None, "updateView")
        self.act_rename_view = self._action("Re&name view…", lambda: self.views.ask_rename_view(), "F2", "renameView")
        self.act_delete_view = self._action("&Delete view", lambda: self.views.ask_delete_view(), None, "deleteView")
        self.act_view_up = self._action("Move view &up", lambda: inbox.move_view(-1), "Alt+Up", "viewUp")
        self.act_view_down = self._action("Move view do&wn", lambda: inbox.move_view(1), "Alt+Down", "viewDown")
        self.act_refresh = self._action("&Refresh", self.refresh, QKeySequence.StandardKey.Refresh, "refresh")
        self.act_inbox = self._action("&Inbox", lambda: self.show_pane(0), "Ctrl+1", "showInbox")
        self.act_policies = self._action("&Policies", lambda: self.show_pane(1), "Ctrl+2", "showPolicies")
        self.act_review = self._action("Re&view", lambda: self.show_pane(2), "Ctrl+3", "showReview")
        self.act_audit = self._action("&Audit", lambda: self.show_pane(3), "Ctrl+4", "showAudit")
        self.act_resolve = self._action("&Resolve…", self.resolve_selection, ["Ctrl+E", "E"], "resolve")
        self.act_reply = self._action("Re&ply", self.focus_composer, ["Ctrl+R", "R"], "reply")
        self.act_take = self._action("&Take (assign to me)", lambda: inbox.ticket_view.take(), "Ctrl+Shift+T",
                                     "take")
        self.act_propose = self._action("Propose &policy change…", self.propose_change, "Ctrl+Shift+P", "propose")
        self.act_about = self._action("&About Amends", self.about, None, "about")
        self.act_account = self._action("&Mailboxes…", lambda: self.mail.open_mailboxes(), None, "mailAccount")
        self.act_outbox = self._action("&Outbox…", lambda: self.mail.open_outbox(), None, "outbox")
        self.act_fetch = self._action("Fetch &mail", lambda: self.mail.fetch_mail(), "F9", "fetchMail")
        # Keyboard-first triage: single keys while the ticket list has focus
        # (text fields keep their letters: Qt gives typed text priority).
        self.act_next = self._action("&Next ticket", lambda: inbox.move(1), "J", "nextTicket")
        self.act_previous = self._action("&Previous ticket", lambda: inbox.move(-1), "K", "previousTicket")
        self.act_note = self._action("Internal &note", self.compose_note, "N", "note")
        self.act_keys = self._action("&Keyboard shortcuts", self.show_keys, "?", "keys")
        self.act_palette = self._action("&Command palette…", self.open_palette,
                                        "Meta+K" if sys.platform == "darwin" else "Ctrl+K", "palette")
        group = QActionGroup(self)
        for action in (self.act_inbox, self.act_policies, self.act_review, self.act_audit):
            action.setCheckable(True)
            group.addAction(action)
        self.act_inbox.setChecked(True)
        self._build_menus()

    def _build_menus(self) -> None:
        menus, triage = self.menuBar(), self.triage
        file_menu = menus.addMenu(self.tr("&File"))
        file_menu.addActions([self.act_new, self.act_open, self.act_connect])
        self.recent_menu = file_menu.addMenu(self.tr("Open &Recent"))
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.fill_recent_menu()
        file_menu.addAction(self.act_demo)
        file_menu.addSeparator()
        file_menu.addActions([self.act_import, self.act_export])
        file_menu.addSeparator()
        file_menu.addActions([self.act_report, self.act_restore])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = menus.addMenu(self.tr("&Edit"))
        edit_menu.addActions([triage.undo_action, triage.redo_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.act_find)
        edit_menu.addSeparator()
        edit_menu.addActions([self.act_saved_replies, self.act_tags, self.act_name, self.act_account,
                              self.act_preferences])
        view_menu = menus.addMenu(self.tr("&View"))
        view_menu.addActions([self.act_inbox, self.act_policies, self.act_review, self.act_audit])
        view_menu.addSeparator()
        view_menu.addActions([self.act_save_view, self.act_update_view, self.act_rename_view, self.act_delete_view,
                              self.act_view_up, self.act_view_down])
        view_menu.addSeparator()
        view_menu.addActions([self.act_fetch, self.act_outbox, self.act_refresh])
        ticket_menu = menus.addMenu(self.tr("&Ticket"))
        ticket_menu.addActions([self.act_new, triage.act_open, self.act_next, self.act_previous, self.act_reply,
                                self.act_note, self.act_insert_reply, self.act_take, self.act_resolve])
        ticket_menu.addSeparator()
        ticket_menu.addActions(triage.menu_actions)
        ticket_menu.addSeparator()
        ticket_menu.addAction(self.act_propose)
        help_menu = menus.addMenu(self.tr("&Help"))
        help_menu.addActions([self.act_palette, self.act_keys, self.act_check, self.act_about])

        toolbar = QToolBar(self.tr("Panes"))
        toolbar.setObjectName("panesToolbar")
        toolbar.setMovable(False)
        toolbar.addActions([self.act_inbox, self.act_policies, self.act_review, self.act_audit])
        toolbar.addSeparator()
        toolbar.addActions([self.act_new, self.act_resolve, triage.act_snooze, triage.act_tag, triage.act_merge])
        # (an int: the Qt namespace is not made before the first paint, qt_values.py)
        qv.set_property(toolbar, "toolButtonStyle", qv.TOOL_BUTTON_TEXT_BESIDE_ICON)
        self.addToolBar(toolbar)

