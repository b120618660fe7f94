"""The ticket view beside the inbox list: built on first use, held back
at start-up until the first paint, and the read mark of the ticket opened.

A mixin of :class:`~amends.ui.inbox.inbox_pane.InboxPane` (split from it by
feature): the ticket view's modules and widgets were a fifth of every start,
so the pane keeps a placeholder in its splitter until the view is asked for
(issue 16)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QKeySequence, QShortcut

from amends.core import tickets
from amends.core.errors import AmendsError

if TYPE_CHECKING:  # built after the first paint: see ticket_view
    from amends.ui.ticket.ticket_view import TicketView

log = logging.getLogger("amends.ui.inbox")

TICKET_STRETCH = 4  # the ticket view's share of a wider window (the list's is 3)


class TicketSide:
    """The ticket view of the inbox pane (see the module's docstring)."""

    # -- the ticket view, built on first use ------------------------------------
    @property
    def ticket_view(self) -> TicketView:
        """The ticket beside the list, built the first time it is needed."""
        return self._ticket_view if self._ticket_view is not None else self._build_ticket_view()

    @property
    def built_ticket_view(self) -> TicketView | None:
        """The ticket view if it exists yet (None before it is first needed):
        for what has nothing to do on a view that was never shown."""
        return self._ticket_view

    def when_ticket_view(self, callback: Callable[[TicketView], None]) -> None:
        """Call ``callback(view)`` once the ticket view exists (now if it does):
        the window and its controllers connect to it without building it."""
        if self._ticket_view is not None:
            callback(self._ticket_view)
        else:
            self._ticket_view_ready.append(callback)

    def _build_ticket_view(self) -> TicketView:
        from PySide6.QtCore import Qt

        from amends.ui.ticket.ticket_view import TicketView

        view = TicketView(self._db)
        view.setObjectName("ticketView")
        view.setMinimumWidth(380)
        self._ticket_view = view
        # Esc anywhere in the ticket: back to the list, for the next key.
        # (setContext: PySide ignores the context= given with a callable; a window shortcut took Esc from the
        # search box and every field of the window)
        self.back_to_list = QShortcut(QKeySequence(Qt.Key.Key_Escape), view, self.table.setFocus)
        self.back_to_list.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        view.changed.connect(self._ticket_changed)
        view.resolve_requested.connect(self.resolve_requested)
        sizes, index = self.splitter.sizes(), self.splitter.indexOf(self._ticket_slot)
        slot = self.splitter.replaceWidget(index, view)
        if slot is not None:
            slot.deleteLater()
        self.splitter.setStretchFactor(index, TICKET_STRETCH)  # the factor is the widget's: set again
        self.splitter.setSizes(sizes)  # where the slot was (a restored splitter state included)
        ready, self._ticket_view_ready = self._ticket_view_ready, []
        for callback in ready:
            callback(view)
        return view

    def _open(self, ticket_id: int | None) -> None:
        if ticket_id is None or self.ticket_view.ticket is None or self.ticket_view.ticket.id != ticket_id:
            self.open_ticket.opening(ticket_id)  # what it looked like when opened (inbox/open_ticket.py)
            self.ticket_view.show_ticket(ticket_id)
            if ticket_id is not None:
                self._mark_read(ticket_id)

    # -- start-up: the first paint first, then the ticket (issue 16) ----------
    def hold_ticket(self) -> None:
        """Until :meth:`release_ticket`, the row Qt makes current by itself
        as the table first takes the focus is not opened yet. At start-up
        that happens before the first paint, and opening the ticket
        (conversation, sidebar, policy, reply states: tens of ms) then made
        the person wait for the inbox. The window releases it right after
        its first paint. Every other selection (a click, select_ticket, a
        drill-down) opens at once, as before."""
        self._holding = True
        self.table.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        """The table taking the focus before the first paint: the row Qt then
        makes current (its first) is held by :meth:`hold_ticket`."""
        if watched is self.table and self._holding and event.type() == QEvent.Type.FocusIn:
            self._focusing = True  # until Qt picked its row, or this focus-in is over
            QTimer.singleShot(0, self._focus_taken)
        return super().eventFilter(watched, event)

    def _focus_taken(self) -> None:
        self._focusing = False

    def release_ticket(self) -> None:
        """Open the ticket :meth:`hold_ticket` held back, if one was."""
        held, self._holding, self._held = self._held, False, False
        self.table.removeEventFilter(self)
        if held:
            self._open(self.current_ticket_id())

    @property
    def ticket_held(self) -> bool:
        """Still waiting for the first paint (tests wait for it like a person)."""
        return self._holding

    def _mark_read(self, ticket_id: int) -> None:
        """Opening a ticket reads it: no longer bold for me. Written by a
        worker: J must never wait for another person's write lock."""
        from amends.ui.common import ops

        if not self.model.is_unread(ticket_id) or self._db.readonly:
            return

        def failed(error: BaseException) -> None:  # busy or read-only: it stays bold, nothing else is affected
            log.info("read mark for ticket %d not stored: %s", ticket_id, error)

        def marked(_none: object) -> None:  # the file may have been closed or replaced (a restore) meanwhile
            try:
                self.model.refresh_ticket(ticket_id)
            except AmendsError as error:
                log.info("read mark for ticket %d stored, its row not re-read: %s", ticket_id, error)

        ops.run(self._db, lambda job: tickets.mark_read(job.db, ticket_id), success=marked, failure=failed,
                parent=self)

    def _ticket_changed(self, ticket_id: int) -> None:
        self.model.refresh_ticket(ticket_id)
        self.update_counts()
