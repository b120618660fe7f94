"""What an action on "the selection" works on.

The triage actions and the resolve flow both act on the selected tickets,
else the current one; one function so they always agree (and say the same
thing when nothing is selected)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    from amends.ui.common.databus import DataBus
    from amends.ui.inbox.inbox_pane import InboxPane


def targets(inbox: InboxPane, bus: DataBus) -> list[int]:
    """The selected tickets, or the current one; none: the person is told."""
    ids = inbox.selected_ticket_ids()
    current = inbox.current_ticket_id()
    if not ids and current is not None:
        ids = [current]
    if not ids:
        bus.say(QCoreApplication.translate("Selection", "Select one or more tickets first."), 4000)
    return ids
