"""A page of the inbox is painted from what its first query read (issue 16:
request to painted ≤ 16 ms). Counted, not timed: the statements the model
runs while a real table paints it, on a real database file (sqlite3's trace
callback); benchmarks/run.py times it."""

from __future__ import annotations

from amends.core import drafts, tickets
from amends.ui.inbox.inbox_model import InboxModel
from PySide6.QtWidgets import QApplication, QTableView

from tests.helpers import statements


def _statements(db, fn) -> list[str]:
    return statements(db, fn)


def test_painting_a_page_reads_the_delivery_marks_once_not_per_row(qtbot, demo_db):
    model = InboxModel(demo_db)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    model.set_query(tickets.InboxQuery(status="all"))
    painted = _statements(demo_db, lambda: (QApplication.processEvents(), view.viewport().repaint()))
    assert model.rowCount() >= 25
    marks = [s for s in painted if "FROM outbox" in s]
    assert len(marks) == 1, f"{len(marks)} delivery queries for one painted page (one per row)"
    assert len(painted) <= 2, painted

    # A draft saved on a shown ticket: its row says so once it is refreshed, the others are not read again.
    shown = model.ticket_id(3)
    drafts.save(demo_db, shown, "reply", "Sorry about the box")
    model.refresh_ticket(shown)
    column = model.column_of("now")
    again = _statements(demo_db, lambda: [model.data(model.index(r, column)) for r in range(25)])
    assert model.data(model.index(3, column)) == "reply draft"
    assert all(model.data(model.index(r, column)) == "" for r in range(25) if r != 3)
    assert not [s for s in again if "FROM outbox" in s], "the block's marks were read again"
