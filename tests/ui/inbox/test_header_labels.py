"""The inbox list's header reads its titles from a C++ model (issue 16,
START3: a Python headerData made the whole Qt namespace at every start); it
must show what the inbox model's headers are and highlight as a header on
the list's own model would."""

from __future__ import annotations

from amends.core import saved_views, tickets
from PySide6.QtCore import QModelIndex, Qt


def _titles(window) -> list[str]:
    header = window.inbox.table.horizontalHeader()
    return [header.model().headerData(c, Qt.Orientation.Horizontal) for c in range(header.count())]


def test_the_header_shows_the_models_titles_and_follows_the_due_view(qtbot, window):
    model = window.inbox.model
    assert window.inbox.table.horizontalHeader().count() == model.columnCount()
    assert _titles(window) == list(model.headers) and model.headers[-1] == "Waiting"
    window.inbox.show_query(tickets.InboxQuery(view="due_followups", status="all"))
    assert _titles(window) == list(model.headers) and model.headers[-1] == "Due"
    window.inbox.show_query(tickets.InboxQuery())
    assert _titles(window)[-1] == "Waiting"


def test_the_header_highlights_as_the_lists_own_selection_says(qtbot, window):
    """QHeaderView highlights a section whose column the selection touches
    and bolds one whose column is whole selected: the header's own selection
    must answer both as the list's selection does."""
    table = window.inbox.table
    ours, theirs = table.horizontalHeader().selectionModel(), table.selectionModel()
    columns = range(window.inbox.model.columnCount())

    def same() -> None:
        for column in columns:
            assert ours.columnIntersectsSelection(column, QModelIndex()) == \
                theirs.columnIntersectsSelection(column, QModelIndex()), column
            assert ours.isColumnSelected(column, QModelIndex()) == theirs.isColumnSelected(column, QModelIndex())

    table.selectRow(1)
    assert theirs.hasSelection()
    same()
    table.selectAll()
    assert theirs.isColumnSelected(0, QModelIndex())
    same()
    table.clearSelection()
    same()
    table.selectRow(0)
    window.inbox.show_query(tickets.InboxQuery(status="all"))  # a reset: the selection goes or changes
    same()


def test_the_views_flags_are_set_right_after_the_first_paint(qtbot, demo_db):
    from amends.ui.inbox.inbox_pane import InboxPane

    pane = InboxPane(demo_db)
    qtbot.addWidget(pane)
    assert not pane._views_flagged  # no saved view: nothing to grey, set after the paint
    pane.show()
    qtbot.waitUntil(lambda: pane._views_flagged)
    first = pane.views.item(0)
    assert first.flags() == Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable  # a built-in view: not dragged
    saved_views.save(demo_db, "Crushed boxes", "damaged")
    pane.fill_views()
    rows = [pane.views.item(r) for r in range(pane.views.count())]
    header = next(item for item in rows if item.text() == "Saved views")
    assert header.flags() == Qt.ItemFlag.NoItemFlags
    mine = next(item for item in rows if item.text().startswith("Crushed boxes"))
    assert mine.flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_a_saved_views_header_is_greyed_before_the_first_paint(qtbot, demo_db):
    from amends.ui.inbox.inbox_pane import InboxPane

    saved_views.save(demo_db, "Crushed boxes", "damaged")
    pane = InboxPane(demo_db)
    qtbot.addWidget(pane)
    header = next(pane.views.item(r) for r in range(pane.views.count()) if pane.views.item(r).text() == "Saved views")
    assert header.flags() == Qt.ItemFlag.NoItemFlags  # seen in the first paint: set at once


def _spoken_column_titles(table) -> list[str]:
    """What a screen reader hears for each column header: Qt's accessible
    table asks the view's own model (not the header's) for the titles."""
    from PySide6.QtGui import QAccessible

    face = QAccessible.queryAccessibleInterface(table)
    spoken = [face.child(n).text(QAccessible.Text.Name) for n in range(face.childCount())
              if face.child(n).role() == QAccessible.Role.ColumnHeader]
    return spoken


def test_a_screen_reader_hears_the_columns_titles(qtbot, window):
    """START3 took the inbox model's headerData away (the header reads a C++
    model): screen readers then heard "1", "2", … "12" for the columns."""
    model = window.inbox.model
    assert _spoken_column_titles(window.inbox.table) == list(model.headers)
    window.inbox.show_query(tickets.InboxQuery(view="due_followups", status="all"))
    assert _spoken_column_titles(window.inbox.table) == list(model.headers) and model.headers[-1] == "Due"
