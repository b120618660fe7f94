"""Undo and redo for ticket edits (Ctrl+Z / Ctrl+Shift+Z).

The core does the work: every edit it makes (desktop/amends/core/edits.py,
tags.py, merges.py) returns a record whose ``undo(db)`` writes the reverse
and returns the record of *that*. A command here only keeps the latest
record and swaps it on each undo/redo, so undoing a bulk edit of 1,000
tickets is one transaction, the same as making it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtGui import QUndoCommand

from amends.core.errors import AmendsError
from amends.core.store import Database


class Undoable(Protocol):
    label: str
    skipped: tuple

    def undo(self, db: Database) -> Undoable: ...


class EditCommand(QUndoCommand):
    """An edit that was already made; the stack's first ``redo`` (on push)
    does nothing, later ones redo it."""

    def __init__(self, db: Database, edit: Undoable, after: Callable[[Undoable, str], None],
                 failed: Callable[[AmendsError], None]) -> None:
        super().__init__(edit.label)
        self._db = db
        self._edit = edit
        self._after = after
        self._failed = failed
        self._pushed = False

    def _swap(self, kind: str) -> None:
        try:
            self._edit = self._edit.undo(self._db)
        except AmendsError as error:
            self.setObsolete(True)  # cannot be taken back (deleted, already undone elsewhere)
            self._failed(error)
            return
        self._after(self._edit, kind)

    def undo(self) -> None:
        self._swap("undo")

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self._swap("redo")
