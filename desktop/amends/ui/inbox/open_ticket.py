"""After a change, re-read the open ticket only if it may have changed
(issue 19: another window shows a change within 100 ms).

The inbox re-reads its page after every change, by anyone; re-reading the
open ticket as well (conversation, customer, policy, files) was most of that
time, and most changes are to other tickets. :mod:`amends.core.ticket_marks`
says whether what the view shows may have moved; this keeps the mark of the
ticket shown and asks it after each change.
"""

from __future__ import annotations

import logging
from typing import Protocol

from amends.core import ticket_marks
from amends.core.errors import AmendsError
from amends.core.store import Database

log = logging.getLogger(__name__)


class _View(Protocol):
    @property
    def ticket(self) -> object | None: ...

    def reload(self) -> None: ...


class OpenTicketReload:
    """Asked by the inbox after each change; :attr:`reloads` counts the re-reads (for the bench)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._mark: ticket_marks.TicketMark | None = None
        self.reloads = 0

    def opening(self, ticket_id: int | None) -> None:
        """The view is about to read ``ticket_id``: its mark, taken first."""
        try:
            self._mark = None if ticket_id is None else ticket_marks.mark(self._db, ticket_id)
        except AmendsError as error:  # the next change re-reads it, as before marks
            log.warning("the open ticket's mark was not read: %s", error)
            self._mark = None

    def after_change(self, view: _View) -> bool:
        """Re-read ``view``'s ticket if it may have changed (always when it was
        not opened through :meth:`opening`); whether it was."""
        ticket_id = getattr(view.ticket, "id", None)
        if ticket_id is None:
            self._mark = None
            return False
        try:
            if self._mark is not None and self._mark.ticket_id == ticket_id:
                moved, self._mark = ticket_marks.changed(self._db, self._mark)
            else:
                moved, self._mark = True, ticket_marks.mark(self._db, ticket_id)
        except AmendsError as error:  # not read: re-read the ticket, as before marks
            log.warning("whether the open ticket changed was not read (re-reading it): %s", error)
            moved, self._mark = True, None
        if moved:
            self.reloads += 1
            view.reload()
        return moved
