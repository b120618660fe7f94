"""Triage actions on the selected tickets (one or a thousand): assign (A),
tag (T), snooze (S), category (C), priority (P), status and merge (M)
— every edit on the undo stack (Ctrl+Z / Ctrl+Shift+Z). Resolving is
desktop/amends/ui/resolve/flow.py.

The main window owns one :class:`Triage`; it holds the actions, the choosers
and the ``QUndoStack``. The core does the writing (desktop/amends/core/edits.py,
tags.py, snooze.py, merges.py); this module only asks and reports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMenu, QWidget

from amends.core import edits, snooze, tags, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, PRIORITIES
from amends.ui.common import local_time
from amends.ui.common import qt_values as qv
from amends.ui.common.databus import Changed, DataBus
from amends.ui.common.messages import show_error
from amends.ui.common.undo import EditCommand, Undoable
from amends.ui.common.widget_keys import on_keys
from amends.ui.inbox import selection
from amends.ui.inbox.inbox_pane import InboxPane

if TYPE_CHECKING:  # merging and splitting are imported when first used: not before the first paint
    from PySide6.QtWidgets import QDialog  # (the dialogs' types: made when one is shown)

    from amends.core import split
    from amends.ui.inbox.choice_dialog import ChoiceDialog

log = logging.getLogger("amends.ui.triage")


class Triage(QObject):
    """Given the database, the inbox, the bus and the widget that holds the
    shortcuts (and parents the choosers); it announces its edits on the bus."""

    def __init__(self, db: Database, inbox: InboxPane, bus: DataBus, host: QWidget) -> None:
        super().__init__(host)
        self.host = host
        self.db = db
        self.inbox = inbox
        self.bus = bus
        self.context_actions: tuple[list[QAction], list[QAction]] = ([], [])
        self.stack = QUndoStack(self)
        self.stack.setUndoLimit(200)
        self.undo_action = self.stack.createUndoAction(self, self.tr("&Undo"))
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.undo_action.setObjectName("undo")
        self.redo_action = self.stack.createRedoAction(self, self.tr("&Redo"))
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)
        self.redo_action.setObjectName("redo")
        for action in (self.undo_action, self.redo_action):
            host.addAction(action)
        self.act_assign = self._action("&Assign…", self.choose_assignee, "A", "assign")
        self.act_tag = self._action("&Tag…", self.choose_tag, "T", "tag")
        self.act_untag = self._action("Remove ta&g…", self.choose_untag, "Shift+T", "untag")
        self.act_snooze = self._action("&Snooze…", self.choose_snooze, "S", "snooze")
        self.act_unsnooze = self._action("&Wake (end snooze)", self.unsnooze, "Shift+S", "unsnooze")
        self.act_category = self._action("Set &category…", self.choose_category, "C", "setCategory")
        self.act_priority = self._action("Set &priority…", self.choose_priority, "P", "setPriority")
        self.act_status = self._action("Set stat&us…", self.choose_status, "U", "setStatus")
        self.act_merge = self._action("&Merge tickets…", self.merge, "M", "merge")
        self.act_split = self._action("Sp&lit ticket…", self.choose_split, "Shift+M", "split")
        # Enter opens a ticket only in the ticket list: an action with that
        # shortcut in a menu would take Enter from every dialog too.
        self.act_open = self._action("&Open ticket (Enter)", self.open_current, "", "openTicket")
        # A key of the list's own, not a QShortcut: PySide ignores the context= given with a callable, and the
        # window shortcut took Return from the search box and every field (ui/common/widget_keys.py).
        self.enter = on_keys(self.inbox.table, {"Return": self.open_current})
        self.inbox.when_ticket_view(lambda view: view.edit_made.connect(self.push))
        bus.changed.connect(self._on_changed)
        qv.set_property(self.inbox.table, "contextMenuPolicy", qv.CUSTOM_CONTEXT_MENU)
        self.inbox.table.customContextMenuRequested.connect(self.context_menu)
        self.dialog: QDialog | None = None

    def _action(self, text: str, slot: Callable, shortcut: str, name: str) -> QAction:
        action = QAction(self.tr(text), self)
        action.setObjectName(name)
        qv.set_keys(action, shortcut)
        action.triggered.connect(slot)
        self.host.addAction(action)
        return action

    @property
    def menu_actions(self) -> list[QAction]:
        return [self.act_assign, self.act_tag, self.act_untag, self.act_snooze, self.act_unsnooze,
                self.act_category, self.act_priority, self.act_status, self.act_merge, self.act_split]

    # -- what is selected ---------------------------------------------------------
    def targets(self) -> list[int]:
        """The selected tickets, or the current one (ui/inbox/selection.py)."""
        return selection.targets(self.inbox, self.bus)

    def _choose(self, title: str, prompt: str, choices: list, apply: Callable, name: str, **options) -> ChoiceDialog:
        from PySide6.QtCore import Qt

        from amends.ui.inbox.choice_dialog import ChoiceDialog  # (its types: made when a dialog is shown)

        dialog = ChoiceDialog(title, prompt, choices, self.host, name=name, **options)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(apply)
        dialog.finished.connect(lambda _result: self.back_to_list())
        self.dialog = dialog
        dialog.open()
        dialog.query.setFocus()
        return dialog

    def _prompt(self, ids: list[int], what: str) -> str:
        return self.tr("{0} for ticket #{1}").format(what, ids[0]) if len(ids) == 1 else \
            self.tr("{0} for {1} selected tickets").format(what, len(ids))

    # -- the edits ------------------------------------------------------------------
    def run(self, make: Callable[[], Undoable]) -> Undoable | None:
        """Make an edit through the core and put it on the undo stack."""
        try:
            edit = make()
        except AmendsError as error:
            show_error(self.host, error, self.tr("Nothing was changed"))
            return None
        self.push(edit)
        return edit

    def push(self, edit: Undoable) -> None:
        self.stack.push(EditCommand(self.db, edit, self._after, self._failed))
        self._after(edit, "do")

    def _on_changed(self, what: int) -> None:
        """A restore replaced the file: every undo record holds versions of
        the data before it, so undoing would write those back. Forget them."""
        if what & Changed.REPLACED:
            self.stack.clear()

    def _after(self, edit: Undoable, kind: str) -> None:
        done = {"do": "", "undo": self.tr("Undone: "), "redo": self.tr("Redone: ")}[kind]
        message = done + edit.label
        if edit.skipped:
            message += self.tr(" — {0} ticket(s) left as they are (changed by someone else since, gone, or "
                               "resolved: reopen those one at a time)").format(len(edit.skipped))
        self.bus.say(message, 8000)
        self.bus.announce(Changed.TICKETS)

    def _failed(self, error: AmendsError) -> None:
        show_error(self.host, error, self.tr("That could not be undone"))
        self.bus.announce(Changed.TICKETS)

    def set_field(self, field: str, value, ids: list[int] | None = None) -> Undoable | None:
        ids = ids if ids is not None else self.targets()
        if not ids:
            return None
        return self.run(lambda: edits.set_field(self.db, ids, field, value))

    # -- choosers ---------------------------------------------------------------------
    def choose_assignee(self) -> ChoiceDialog | None:
        ids = self.targets()
        if not ids:
            return None
        try:
            people = tickets.assignees(self.db)
        except AmendsError as error:
            show_error(self.host, error)
            return None
        choices = [(self.tr("Me ({0})").format(self.db.actor), self.db.actor), (self.tr("Nobody (unassign)"), None)]
        choices += [(name, name) for name in people if name != self.db.actor]
        return self._choose(self.tr("Assign"), self._prompt(ids, self.tr("Who takes care of it")), choices,
                            lambda value: self.set_field("assignee", value, ids), "assignDialog",
                            new_label=self.tr("Assign to “{0}”"))

    def choose_tag(self) -> ChoiceDialog | None:
        ids = self.targets()
        if not ids:
            return None
        known = self._tags()
        return self._choose(self.tr("Tag"), self._prompt(ids, self.tr("Add a tag")),
                            [(t.name, t.name) for t in known],
                            lambda name: self.run(lambda: tags.add(self.db, ids, name)), "tagDialog",
                            new_label=self.tr("New tag “{0}”"), colours={t.name: t.colour for t in known})

    def choose_untag(self) -> ChoiceDialog | None:
        ids = self.targets()
        if not ids:
            return None
        try:
            present = tags.for_tickets(self.db, ids)
        except AmendsError as error:
            show_error(self.host, error)
            return None
        found = {t.name: t for group in present.values() for t in group}
        return self._choose(self.tr("Remove tag"), self._prompt(ids, self.tr("Remove a tag")),
                            [(name, name) for name in sorted(found, key=str.lower)],
                            lambda name: self.run(lambda: tags.remove(self.db, ids, name)), "untagDialog",
                            colours={n: t.colour for n, t in found.items()})

    def _tags(self) -> list[tags.Tag]:
        try:
            return tags.all_tags(self.db)
        except AmendsError as error:
            log.warning("tags not read for the chooser (it offers only new ones): %s", error)
            return []

    def choose_snooze(self) -> ChoiceDialog | None:
        ids = self.targets()
        if not ids:
            return None
        now = datetime.now().astimezone()
        choices = [(self.tr(label) if key == "next_cycle"  # its time differs per customer
                    else f"{self.tr(label)} — {snooze.preset_time(key, now):%a %d %b %H:%M}", key)
                   for key, label in snooze.PRESETS.items()]
        choices.append((self.tr("Until a date…"), "custom"))
        return self._choose(self.tr("Snooze"), self._prompt(ids, self.tr(
            "Hide until (it comes back earlier if the customer writes)")), choices,
            lambda key: self.ask_snooze_date(ids) if key == "custom" else self.snooze(ids, key), "snoozeDialog")

    def snooze(self, ids: list[int], preset: str, custom: datetime | None = None) -> Undoable | None:
        return self.run(lambda: snooze.snooze(self.db, ids, preset, custom=custom))

    def ask_snooze_date(self, ids: list[int]) -> QDialog:
        from PySide6.QtCore import (
            QDateTime,  # (these types and their enums: made when the dialog is shown)
            Qt,
        )
        from PySide6.QtWidgets import QDateTimeEdit, QDialog, QDialogButtonBox, QLabel, QVBoxLayout

        dialog = QDialog(self.host)
        dialog.setObjectName("snoozeDateDialog")
        dialog.setWindowTitle(self.tr("Snooze until"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        edit = QDateTimeEdit(QDateTime.currentDateTime().addDays(14))
        edit.setObjectName("snoozeUntil")
        edit.setCalendarPopup(True)
        edit.setAccessibleName(self.tr("Snooze until"))
        edit.setMinimumDateTime(QDateTime.currentDateTime().addSecs(60))
        label = QLabel(self.tr("Bring the ticket(s) back on:"))
        label.setBuddy(edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(label)
        layout.addWidget(edit)
        layout.addWidget(buttons)
        dialog.accepted.connect(lambda: self.snooze(ids, "custom", edit.dateTime().toPython().astimezone()))
        self.dialog = dialog
        dialog.open()
        edit.setFocus()
        return dialog

    def unsnooze(self) -> Undoable | None:
        ids = self.targets()
        return self.run(lambda: snooze.unsnooze(self.db, ids)) if ids else None

    def choose_category(self) -> ChoiceDialog | None:
        ids = self.targets()
        if not ids:
            return None
        return self._choose(self.tr("Category"), self._prompt(ids, self.tr("Set the category")),
                            [(self.tr(name), key) for key, name in CATEGORIES.items()],
                            lambda key: self.set_field("category", key, ids), "categoryDialog")

    def choose_priority(self) -> ChoiceDialog | None:
        ids = self.targets()
        if not ids:
            return None
        return self._choose(self.tr("Priority"), self._prompt(ids, self.tr("Set the priority")),
                            [(self.tr(name), key) for key, name in sorted(PRIORITIES.items(), reverse=True)],
                            lambda key: self.set_field("priority", key, ids), "priorityDialog")

    def choose_status(self) -> ChoiceDialog | None:
        ids = self.targets()
        if not ids:
            return None
        return self._choose(self.tr("Status"), self._prompt(ids, self.tr(
            "Set the status (resolving goes through the checklist: E)")),
            [(self.tr("Open"), "open"), (self.tr("Pending (waiting for the customer)"), "pending")],
            lambda key: self.set_field("status", key, ids), "statusDialog")

    # -- merge ---------------------------------------------------------------------------
    def merge(self) -> ChoiceDialog | None:
        """Several selected: the newer ones join the oldest. One selected:
        choose which of the customer's tickets it joins."""
        ids = self.targets()
        if not ids:
            return None
        if len(ids) > 1:
            self.merge_into(sorted(ids)[1:], sorted(ids)[0])
            return None
        from amends.core import merges

        try:
            options = merges.candidates(self.db, ids[0])
        except AmendsError as error:
            show_error(self.host, error)
            return None
        if not options:
            self.bus.say(self.tr(
                "This customer has no other ticket to merge with; select the tickets to merge in the list."), 6000)
            return None
        return self._choose(self.tr("Merge"), self.tr("Merge ticket #{0} into…").format(ids[0]),
                            [(f"#{r.id} {r.subject} ({r.status}, {r.created_at[:10]})", r.id) for r in options],
                            lambda target: self.merge_into([ids[0]], target), "mergeDialog")

    # -- split ---------------------------------------------------------------------------
    def choose_split(self) -> ChoiceDialog | None:
        """Shift+M: a message and what follows it become a new ticket (a second problem in one thread)."""
        ticket_id = self.inbox.current_ticket_id()
        if ticket_id is None:
            return None
        try:
            shown = tickets.messages(self.db, ticket_id)
        except AmendsError as error:
            show_error(self.host, error)
            return None
        if len(shown) < 2:
            self.bus.say(self.tr("Ticket #{0} has one message: there is nothing to split off.").format(ticket_id), 6000)
            return None
        choices = [(f"{local_time.short(m.created_at)} · {m.author} · {' '.join(m.body.split())[:80]}", m.id)
                   for m in shown[1:]]
        return self._choose(self.tr("Split ticket #{0}").format(ticket_id),
                            self.tr("The message you choose and every message after it move to a new ticket, "
                                    "linked to this one:"), choices, self.split_at, "splitDialog")

    def split_at(self, message_id: int) -> split.SplitEdit | None:
        from amends.core import split

        edit = self.run(lambda: split.split(self.db, message_id))
        if isinstance(edit, split.SplitEdit):
            self.bus.say(self.tr("Split into #{0}; Ctrl+Z joins it back.").format(edit.new_id), 8000)
        return edit if isinstance(edit, split.SplitEdit) else None

    def merge_into(self, sources: list[int], target: int) -> None:
        """One undo step for the whole merge, however many tickets join."""
        from amends.core import merges

        self.stack.beginMacro(self.tr("merge {0} ticket(s) into #{1}").format(len(sources), target))
        try:
            for source in sources:
                try:
                    edit = merges.merge(self.db, source, target)
                except AmendsError as error:
                    show_error(self.host, error, self.tr("Ticket #{0} was not merged").format(source))
                    continue
                self.stack.push(EditCommand(self.db, edit, self._after, self._failed))
        finally:
            self.stack.endMacro()
        self.bus.say(self.tr("Merged into #{0}; Ctrl+Z takes it back.").format(target), 8000)
        self.bus.announce(Changed.TICKETS)
        self.inbox.select_ticket(target)

    def context_menu(self, position) -> QMenu:
        """Right-click in the list: the same actions, on the selection."""
        menu = QMenu(self.inbox.table)
        menu.setObjectName("ticketContextMenu")
        before, after = self.context_actions
        menu.addActions(before)
        menu.addSeparator()
        menu.addActions(self.menu_actions)
        menu.addSeparator()
        menu.addActions(after)
        self.menu = menu
        menu.popup(self.inbox.table.viewport().mapToGlobal(position))
        return menu

    def back_to_list(self) -> None:
        """A chooser or checklist closed: the keys go to the ticket list again."""
        self.host.activateWindow()
        if self.inbox.isVisible():
            self.inbox.table.setFocus()

    def open_current(self) -> None:
        """Enter in the list: read the conversation, ready to answer."""
        if self.inbox.current_ticket_id() is not None:
            self.inbox.ticket_view.conversation.setFocus()
