"""A day at the desk (issue 17 points 2, 8, 9): the edited ticket keeps its
place, bold = unread for me, completion closes, F6 cycles the areas, the
Waiting column and its sort, a drill-down clears the old search."""

from __future__ import annotations

from amends.core import tickets
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtTest import QTest

from tests.ui.inbox.test_triage import key


def _edit_priority(window, value: int) -> None:
    view = window.inbox.ticket_view
    index = view.priority.findData(value)
    view.priority.setCurrentIndex(index)
    view.priority.activated.emit(index)


def test_an_edited_ticket_keeps_its_place_until_you_leave_it(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(3)
    ticket_id = inbox.current_ticket_id()
    _edit_priority(window, 3 if tickets.get(window.db, ticket_id).priority != 3 else 0)
    window.check_for_changes()
    inbox.refresh()  # what any change does (this one, or another person's)
    assert inbox.model.row_of(ticket_id) == 3, "it did not jump to the top under the cursor"
    assert inbox.current_ticket_id() == ticket_id
    inbox.move(1)  # J: on to the next one, which was below it
    following = inbox.current_ticket_id()
    assert following != ticket_id
    qtbot.waitUntil(lambda: inbox.model.row_of(ticket_id) == 0)  # left behind: re-sorted (newest update first)
    assert inbox.current_ticket_id() == following


def test_bold_means_unread_for_me_not_open(qtbot, window):
    inbox, model = window.inbox, window.inbox.model
    subject = model.column_of("subject")
    row = next(r for r in range(1, model.rowCount()) if model.is_unread(model.ticket_id(r))
               and model._rows[r].status == "open")
    ticket_id = model.ticket_id(row)
    assert isinstance(model.data(model.index(row, subject), Qt.ItemDataRole.FontRole), QFont)
    inbox.table.selectRow(row)
    qtbot.waitUntil(lambda: not model.is_unread(ticket_id))  # marked by a worker
    assert model.data(model.index(model.row_of(ticket_id), subject), Qt.ItemDataRole.FontRole) is None
    assert tickets.get(window.db, ticket_id).status in ("open", "pending"), "an open ticket, not bold once read"
    other = window.db.reopen()
    try:
        assert tickets.row(other, ticket_id).unread is False, "the same person on another connection"
        other.actor = "colleague@host"
        assert tickets.row(other, ticket_id).unread, "still unread for a colleague"
    finally:
        other.close()


def test_completion_closes_on_esc_focus_loss_and_the_filters(qtbot, window):
    inbox = window.inbox
    popup = inbox.completer.popup()

    def offer() -> None:
        inbox.search.setFocus()
        inbox.search.clear()
        QTest.keyClicks(inbox.search, "is:")
        qtbot.waitUntil(popup.isVisible)

    offer()
    QTest.keyClick(popup, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    offer()
    QTest.mouseClick(inbox.status, Qt.MouseButton.LeftButton)
    assert not popup.isVisible(), "the filters are clicked: the completion closes"
    inbox.status.hidePopup()
    offer()
    inbox.table.setFocus()
    qtbot.waitUntil(lambda: not popup.isVisible())


def test_f6_cycles_views_list_conversation_composer(qtbot, window):
    inbox = window.inbox
    inbox.table.setFocus()
    inbox.table.selectRow(0)
    order = [inbox.ticket_view.conversation, inbox.ticket_view.composer, inbox.views, inbox.table]
    for expected in order:
        key(qtbot, window, "F6")
        assert expected.hasFocus(), expected.objectName()
    key(qtbot, window, "Shift+F6")
    assert inbox.views.hasFocus()


def test_waiting_column_and_oldest_waiting_first(qtbot, window):
    inbox, model = window.inbox, window.inbox.model
    index = inbox.sort.findData("waiting")
    assert inbox.sort.itemText(index) == "Oldest waiting first"
    inbox.sort.setCurrentIndex(index)
    inbox.sort.activated.emit(index)
    assert model.query.sort == "waiting"
    column = model.column_of("waiting")
    # (the title the list's header shows: its own C++ model, kept in step by the inbox model)
    assert inbox.table.horizontalHeader().model().headerData(column, Qt.Orientation.Horizontal) == "Waiting"
    first = model.data(model.index(0, column))
    assert first and (" d" in first or " h" in first or "min" in first)
    tip = model.data(model.index(0, column), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Waiting since") and "UTC" in tip, "the zone is said on hover"
    waits = [model._rows[r].waiting_since or "~" for r in range(model.rowCount())]
    assert waits == sorted(waits)


def test_overdue_view_brings_its_sort(qtbot, window):
    inbox = window.inbox
    inbox.views.setCurrentItem(inbox.views.findItems("Overdue", Qt.MatchFlag.MatchStartsWith)[0])
    assert inbox.model.query.base_text == "is:overdue" and inbox.model.query.sort == "waiting"
    assert inbox.model.rowCount() > 0, "the demo's old tickets are past the default 24 h target"
    assert "overdue" in inbox.model.data(inbox.model.index(0, inbox.model.column_of("waiting")))


def test_a_drill_down_clears_the_old_search_and_filters(qtbot, window):
    inbox = window.inbox
    inbox.search.setText("zzzznothing")
    inbox.category.setCurrentIndex(inbox.category.findData("billing"))
    inbox.apply_filters()
    assert inbox.model.rowCount() == 0
    ids = [tid for (tid,) in window.db.tuples("SELECT id FROM tickets WHERE category = 'product_quality' LIMIT 7")]
    inbox.show_ids("Product quality", ids)
    assert inbox.search.text() == "" and inbox.category.currentData() == ""
    assert inbox.model.rowCount() == len(ids)
    assert "7 tickets" in inbox.drill_label.text() and "cleared" in inbox.drill_label.text()


def test_a_column_layout_saved_before_waiting_existed_shows_it_after_the_subject(qtbot, demo_db):
    from amends import settings_schema as schema
    from amends.ui.common import settings
    from amends.ui.shell.main_window import MainWindow

    first = MainWindow(demo_db)
    qtbot.addWidget(first)
    header = first.inbox.table.horizontalHeader()
    waiting = first.inbox.model.column_of("waiting")
    assert header.visualIndex(waiting) == 2
    header.moveSection(header.visualIndex(waiting), header.count() - 1)  # where an old layout leaves it
    first.close()  # saves the layout
    assert settings.get(schema.INBOX_HEADER) is not None
    first.poll.stop()
    first.backup_timer.stop()
    second = MainWindow(demo_db)
    qtbot.addWidget(second)
    second.poll.stop()
    second.backup_timer.stop()
    try:
        assert second.inbox.table.horizontalHeader().visualIndex(waiting) == 2
    finally:
        second.close()


def test_a_resolved_ticket_in_active_waits_for_nobody(qtbot, window):
    model = window.inbox.model
    column = model.column_of("waiting")
    resolved = [r for r in range(model.rowCount()) if model._rows[r].status == "resolved"]
    assert resolved, "due check-ins of resolved tickets are listed in Active"
    assert all(model.data(model.index(r, column)) == "" for r in resolved)
