"""A category suggested for a ticket still in "other" (where no rule sorted
it), from the model learnt on this database's own categorised tickets;
never applied by itself.

A controller: it makes the label and "Use it" (the view lays them out),
learns the model off the UI thread when it is stale, and answers through
``accepted(Suggestion)``; the view saves the category like any edit and
then calls ``record_if_taken``."""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from amends.core import suggestions, tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.core.vocabulary import category_name
from amends.ui.common import ops
from amends.ui.common.messages import show_error

log = logging.getLogger("amends.ui.ticket")


class CategorySuggestion(QObject):
    """The suggestion line for the ticket shown."""

    #: "Use it" for this suggestion (of the ticket shown).
    accepted = Signal(object)

    def __init__(self, db: Database, host: QWidget) -> None:
        super().__init__(host)
        self._db = db
        self._host = host  # ops workers and error messages belong to it
        self.ticket: tickets.Ticket | None = None
        self.suggestion = QLabel()
        self.suggestion.setObjectName("categorySuggestion")
        self.suggestion.setWordWrap(True)
        self.suggestion_button = QPushButton(self.tr("Use it"))
        self.suggestion_button.setObjectName("acceptSuggestion")
        self.suggestion_button.setAccessibleName(self.tr("Use the suggested category"))
        self.suggestion_button.clicked.connect(self._accept)
        self.suggested: suggestions.Suggestion | None = None
        self._learning: ops.Operation | None = None
        self.suggestion.hide()
        self.suggestion_button.hide()

    def show_for(self, ticket: tickets.Ticket | None) -> None:
        """A category for a ticket still in "other", from the cached model; the
        model is (re)built off the UI thread and the suggestion shown then."""
        self.ticket, self.suggested = ticket, None
        found = None
        if ticket is not None and ticket.category == "other":
            try:
                model, stale = suggestions.cached(self._db)
                if stale and self._learning is None:
                    self._learning = ops.run(self._db, lambda job: suggestions.model_for(job.db, fresh=True),
                                             success=self._model_ready, failure=self._model_failed,
                                             parent=self._host)
                found = suggestions.suggest(self._db, ticket.id, model) if model is not None else None
            except AmendsError as error:
                log.warning("No category suggestion for ticket %s: %s", ticket.id, error)
        self.suggested = found
        if found is not None:
            because = ", ".join(found.because)
            self.suggestion.setText(self.tr("Suggested category: <b>{0}</b> ({1:.0%}; words like {2})").format(
                html.escape(category_name(found.category)), found.confidence, html.escape(because)))
        self.suggestion.setVisible(found is not None)
        self.suggestion_button.setVisible(found is not None)

    def _model_ready(self, _model) -> None:
        self._learning = None
        self.show_for(self.ticket)

    def _model_failed(self, error: BaseException) -> None:
        self._learning = None
        log.warning("Category suggestions could not be learnt: %s", error)  # no suggestion; nothing else changes

    def _accept(self) -> None:
        found = self.suggested
        if found is None or self.ticket is None or self.ticket.id != found.ticket_id:
            return
        self.accepted.emit(found)

    def record_if_taken(self, found: suggestions.Suggestion) -> None:
        """Count the suggestion as accepted if the ticket now has its category
        (a conflict or a refusal leaves it unsaved: then it is not counted)."""
        try:
            if tickets.get(self._db, found.ticket_id, with_messages=False).category == found.category:
                suggestions.record_accepted(self._db, found)
        except AmendsError as error:
            show_error(self._host, error)
