"""One signal for "the data changed", and what changed.

Writes used to be followed by hand-made refreshes of whichever panes the
writer knew about (and a forced re-read through a reset audit mark). Now a
writer announces *what* it changed on the window's :class:`DataBus`, and
each pane subscribes to the kinds it shows: a new pane cannot be forgotten by
a writer, and a writer does not need to know the panes. Changes made by other
app instances on the same file arrive the same way (the shell's poll of
``PRAGMA data_version`` announces :attr:`Changed.EVERYTHING`).
"""

from __future__ import annotations

from enum import IntFlag

from PySide6.QtCore import QObject, Signal


class Changed(IntFlag):
    """What a write touched (combine with ``|``)."""

    TICKETS = 1  # tickets, messages, tags, snoozes, merges, follow-ups, resolutions
    POLICIES = 2  # drafts, versions, reviews
    PROPOSALS = 4
    AUDIT = 8  # every change writes an audit entry; announced with the others
    VIEWS = 16  # saved views
    EVERYTHING = TICKETS | POLICIES | PROPOSALS | AUDIT | VIEWS


class DataBus(QObject):
    """Passed to the feature controllers; panes connect to :attr:`changed`.
    :attr:`status` carries the short messages for the status bar, so that a
    controller can report without holding the window."""

    changed = Signal(int)  # a Changed value
    status = Signal(str, int)  # text, milliseconds (0: until replaced)

    def announce(self, what: Changed) -> None:
        self.changed.emit(int(what | Changed.AUDIT))

    def say(self, text: str, ms: int = 5000) -> None:
        self.status.emit(text, ms)
