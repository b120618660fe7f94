"""Triage at speed, driven like a person at the keyboard: real widgets,
real database files, keys only where the issue says "keys only"."""

from __future__ import annotations

import pytest
from amends.core import followups, replies, saved_views, tags, tickets
from amends.core.workspace import open_database
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication

from tests.conftest import ACTOR


def focus(qtbot, target, limit: int = 60) -> None:
    """Tab (the keyboard way) until ``target`` has the focus."""
    for _ in range(limit):
        if target.hasFocus():
            return
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    raise AssertionError(f"{target.objectName() or target} cannot be reached with Tab")


def key(qtbot, window, sequence: str) -> None:
    """Press a key where the focus is (the window's shortcuts see it there)."""
    from PySide6.QtGui import QKeySequence
    from PySide6.QtTest import QTest

    widget = QApplication.focusWidget() or window
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(widget, combo.key(), combo.keyboardModifiers())
    qtbot.wait(5)


def current(window) -> int:
    return window.inbox.current_ticket_id()


def test_triage_20_demo_tickets_with_keys_only(qtbot, window):
    inbox, db = window.inbox, window.db
    inbox.table.setFocus()
    assert current(window) == inbox.model.ticket_id(0), "the inbox opens on its first ticket"
    seen, replied, snoozed, tagged, resolved = [], [], [], [], []
    for turn in range(20):
        while tickets.get(db, current(window)).status == "resolved":  # a due check-in listed in Active (issue 17)
            assert "check-in due" in inbox.model.data(inbox.model.index(
                inbox.model.row_of(current(window)), inbox.model.column_of("status")))
            key(qtbot, window, "J")
        ticket_id = current(window)
        seen.append(ticket_id)
        action = turn % 4
        if action == 0:  # open, read, reply
            key(qtbot, window, "Return")
            assert inbox.ticket_view.conversation.hasFocus() and inbox.ticket_view.ticket.id == ticket_id
            key(qtbot, window, "Esc")
            assert inbox.table.hasFocus()
            before = len(tickets.get(db, ticket_id).messages)
            key(qtbot, window, "R")
            assert inbox.ticket_view.composer.hasFocus()
            qtbot.keyClicks(inbox.ticket_view.composer, "Thanks, on it jk")
            key(qtbot, window, "Ctrl+Return")
            assert len(tickets.get(db, ticket_id).messages) == before + 1
            key(qtbot, window, "Esc")
            assert inbox.table.hasFocus()
            replied.append(ticket_id)
            key(qtbot, window, "J")
        elif action == 1:  # snooze until tomorrow: the first choice
            key(qtbot, window, "S")
            assert window.triage.dialog.objectName() == "snoozeDialog"
            key(qtbot, window, "Return")
            assert tickets.get(db, ticket_id).snoozed_until is not None
            snoozed.append(ticket_id)
            assert current(window) != ticket_id, "the next ticket takes its place"
        elif action == 2:  # tag
            key(qtbot, window, "T")
            qtbot.keyClicks(window.triage.dialog.query, "urgent-review")
            key(qtbot, window, "Return")
            assert [t.name for t in tags.for_tickets(db, [ticket_id])[ticket_id]] == ["urgent-review"]
            tagged.append(ticket_id)
            inbox.table.setFocus()
            key(qtbot, window, "J")
        else:  # resolve through the checklist, keys only
            key(qtbot, window, "E")
            dialog = window.checklist_dialog
            assert dialog.isVisible()
            for row in dialog.rows:
                focus(qtbot, row.done)
                qtbot.keyClick(row.done, Qt.Key.Key_Space)
            assert dialog.resolve_button.isEnabled(), dialog.problems.text()
            key(qtbot, window, "Return")
            assert tickets.get(db, ticket_id).status == "resolved"
            resolved.append(ticket_id)
            assert inbox.table.hasFocus() and current(window) != ticket_id, "on to the next ticket"
    assert len(set(seen)) == 20
    assert len(replied) == len(snoozed) == len(tagged) == len(resolved) == 5
    # undo the last edit (the last tag was after the last snooze): Ctrl+Z twice takes the tag and a snooze back
    key(qtbot, window, "Ctrl+Z")
    assert tags.for_tickets(db, [tagged[-1]]) == {}
    key(qtbot, window, "Ctrl+Z")
    assert tickets.get(db, snoozed[-1]).snoozed_until is None
    key(qtbot, window, "Ctrl+Shift+Z")
    assert tickets.get(db, snoozed[-1]).snoozed_until is not None
    assert db.scalar("SELECT count(*) FROM messages WHERE body = 'Thanks, on it jk'") == 5


@pytest.fixture
def big_window(qtbot, db_path):
    db = open_database(db_path, ACTOR)
    with db.transaction() as conn:
        conn.executemany("INSERT INTO tickets (subject, category, created_at, updated_at) VALUES (?, 'other', ?, ?)",
                         [(f"Ticket {i}", "2026-01-01T00:00:00Z", f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z")
                          for i in range(1200)])
        conn.execute("INSERT INTO ticket_search (rowid, subject, body) SELECT id, subject, '' FROM tickets")
    win = MainWindow(db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.poll.stop()
    win.backup_timer.stop()
    yield win
    win.close()
    db.close()


def test_bulk_edit_of_1000_tickets_and_undo_redo(qtbot, big_window):
    window, inbox, db = big_window, big_window.inbox, big_window.db
    while inbox.model.rowCount() < 1000:
        inbox.model.fetchMore()
    inbox.table.setFocus()
    inbox.table.selectRow(0)
    selection = inbox.table.selectionModel()
    selection.select(inbox.model.index(0, 0).parent(), QItemSelectionModel.SelectionFlag.NoUpdate)
    from PySide6.QtCore import QItemSelection

    block = QItemSelection(inbox.model.index(0, 0), inbox.model.index(999, inbox.model.columnCount() - 1))
    selection.select(block, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert len(inbox.selected_ticket_ids()) == 1000
    assert inbox.selection_bar.isVisible() and "1000 tickets selected" in inbox.selection_bar.text()
    key(qtbot, window, "P")
    qtbot.keyClicks(window.triage.dialog.query, "urg")
    key(qtbot, window, "Return")
    assert db.scalar("SELECT count(*) FROM tickets WHERE priority = 3") == 1000
    assert len(inbox.selected_ticket_ids()) == 1000, "the selection stays for the next bulk action"
    key(qtbot, window, "T")
    qtbot.keyClicks(window.triage.dialog.query, "batch")
    key(qtbot, window, "Return")
    assert db.scalar("SELECT count(*) FROM ticket_tags") == 1000
    key(qtbot, window, "Ctrl+Z")
    assert db.scalar("SELECT count(*) FROM ticket_tags") == 0
    key(qtbot, window, "Ctrl+Z")
    assert db.scalar("SELECT count(*) FROM tickets WHERE priority = 3") == 0
    key(qtbot, window, "Ctrl+Shift+Z")
    assert db.scalar("SELECT count(*) FROM tickets WHERE priority = 3") == 1000
    assert window.triage.stack.undoText().startswith("priority of 1000 tickets")


def test_single_field_edit_in_the_ticket_view_is_undoable(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    view = inbox.ticket_view
    ticket_id = view.ticket.id
    before = view.ticket.priority
    index = view.priority.findData(3 if before != 3 else 0)
    view.priority.setCurrentIndex(index)
    view.priority.activated.emit(index)
    assert tickets.get(window.db, ticket_id).priority == view.priority.itemData(index)
    window.triage.undo_action.trigger()
    assert tickets.get(window.db, ticket_id).priority == before
    assert view.priority.currentData() == before


def test_merge_with_keys_and_undo(qtbot, window):
    inbox, db = window.inbox, window.db
    inbox.table.setFocus()
    inbox.table.selectRow(0)
    first, second = inbox.model.ticket_id(0), inbox.model.ticket_id(1)
    key(qtbot, window, "Shift+Down")
    assert set(inbox.selected_ticket_ids()) == {first, second}
    before = len(tickets.get(db, first).messages) + len(tickets.get(db, second).messages)
    key(qtbot, window, "M")
    target, source = min(first, second), max(first, second)
    assert tickets.get(db, source).merged_into == target
    merged = tickets.get(db, target)
    assert len(merged.messages) == before
    assert [m.created_at for m in merged.messages] == sorted(m.created_at for m in merged.messages)
    assert inbox.model.row_of(source) is None and inbox.current_ticket_id() == target
    assert f"#{source}" in inbox.ticket_view.meta.text()
    key(qtbot, window, "Ctrl+Z")
    assert tickets.get(db, source).merged_into is None
    assert inbox.model.row_of(source) is not None


def test_merge_one_ticket_into_another_of_the_same_customer(qtbot, window):
    db = window.db
    owner, ticket_id = db.tuples("SELECT customer_id, max(id) FROM tickets GROUP BY customer_id "
                                 "HAVING count(*) > 1 LIMIT 1")[0]
    window.inbox.select_view("builtin:All tickets")
    assert window.inbox.select_ticket(ticket_id)
    dialog = window.triage.merge()
    assert dialog.list.count() >= 1
    target = dialog.list.item(0).data(Qt.ItemDataRole.UserRole)
    dialog.choose_current()
    assert tickets.get(db, ticket_id).merged_into == target
    assert db.scalar("SELECT customer_id FROM tickets WHERE id = ?", (target,)) == owner


def test_bulk_resolve_shows_the_checklist_once_per_policy(qtbot, window):
    inbox, db = window.inbox, window.db
    ids = [r[0] for r in db.tuples("SELECT id FROM tickets WHERE status <> 'resolved' AND category = 'late_delivery' "
                                   "ORDER BY id DESC LIMIT 3")]
    other = db.scalar("SELECT id FROM tickets WHERE status <> 'resolved' AND category = 'billing' "
                      "ORDER BY id DESC LIMIT 1")
    inbox.show_ids("test", [*ids, other])
    inbox.table.selectAll()
    dialogs = window.resolver.resolve_selection()
    assert len(dialogs) == 1 and dialogs[0].also, "the first policy's group"
    first = dialogs[0]
    assert "Resolve" in first.windowTitle() and first.findChild(type(first.problems), "bulkResolveNote")
    for row in first.rows:
        row.done.setChecked(True)
    first.accept()
    second = window.checklist_dialog
    assert second is not first and not second.also
    for row in second.rows:
        row.done.setChecked(True)
    second.accept()
    statuses = {tickets.get(db, t).status for t in [*ids, other]}
    assert statuses == {"resolved"}
    assert db.scalar("SELECT count(DISTINCT policy_version_id) FROM resolutions WHERE ticket_id IN (?, ?, ?, ?)",
                     (*ids, other)) == 2


def test_saved_views_save_rename_reorder_delete(qtbot, window):
    inbox = window.inbox
    inbox.search.setText("category:billing")
    inbox.apply_filters()
    dialog = window.views.ask_save_view()
    dialog.setTextValue("Billing")
    dialog.accept()
    inbox.search.setText("cycle:1")
    inbox.apply_filters()
    view_id = inbox.save_current_view("First cycle")
    names = [v.name for v in saved_views.saved(window.db)]
    assert names == ["Billing", "First cycle"]
    assert inbox.current_view_key() == f"saved:{view_id}" and inbox.search.text() == "cycle:1"
    row = inbox._row_of_view(f"saved:{view_id}")
    count = tickets.count(window.db, tickets.InboxQuery(text="cycle:1"))[0]
    qtbot.waitUntil(lambda: inbox.views.item(row).text() == f"First cycle  {count:,}", timeout=10_000)
    qtbot.waitUntil(window.isActiveWindow)  # the dialog gave the keys back to the window
    inbox.views.setFocus()
    key(qtbot, window, "Alt+Up")
    assert [v.name for v in saved_views.saved(window.db)] == ["First cycle", "Billing"]
    rename = window.views.ask_rename_view()
    rename.setTextValue("New customers")
    rename.accept()
    assert [v.name for v in saved_views.saved(window.db)] == ["New customers", "Billing"]
    box = window.views.ask_delete_view()
    box.accept()
    assert [v.name for v in saved_views.saved(window.db)] == ["Billing"]
    builtin = [inbox.views.item(r).data(Qt.ItemDataRole.UserRole) for r in range(inbox.views.count())]
    assert builtin[:11] == ["builtin:Active", "builtin:Mine", "builtin:Unassigned", "builtin:Due follow-ups",
                            "builtin:Overdue", "builtin:Due soon", "builtin:First-cycle customers",
                            "builtin:No policy", "builtin:Snoozed", "builtin:Resolved", "builtin:All tickets"]


def test_saved_reply_from_the_checklist_step_and_placeholders_never_sent(qtbot, window):
    inbox, db = window.inbox, window.db
    ticket_id = db.scalar("SELECT id FROM tickets WHERE status <> 'resolved' AND category = 'damaged_shipment' "
                          "ORDER BY id DESC LIMIT 1")
    inbox.select_view("builtin:All tickets")
    assert inbox.select_ticket(ticket_id)
    dialog = window.resolve_ticket(ticket_id)
    apology = next(r for r in dialog.rows if r.step.type == "apology")
    assert apology.reply_button is not None and "Apology" in apology.reply_button.text()
    apology.reply_button.click()
    text = inbox.ticket_view.composer.toPlainText()
    assert text.startswith("Hi ") and "{customer.first_name}" not in text
    dialog.reject()
    inbox.ticket_view.composer.setPlainText("Here is {offer} for you")
    assert inbox.ticket_view.placeholder_warning.isVisible()
    before = len(tickets.get(db, ticket_id).messages)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=2000)
    from PySide6.QtCore import QTimer

    QTimer.singleShot(50, lambda: QApplication.activeModalWidget() and QApplication.activeModalWidget().accept())
    inbox.ticket_view.reply_button.click()
    assert len(tickets.get(db, ticket_id).messages) == before, "a placeholder is never sent"
    assert inbox.ticket_view.composer.toPlainText() == "Here is {offer} for you"


def test_saved_replies_dialog_refuses_unknown_placeholders(qtbot, window):
    dialog = window.open_saved_replies()
    dialog.new()
    dialog.name.setText("Typo")
    dialog.body.setPlainText("Hi {customer.firstname}")
    assert dialog.save() is None
    assert "{customer.firstname}" in dialog.problem.text()
    dialog.body.setPlainText("Hi {customer.first_name}")
    reply_id = dialog.save()
    assert reply_id is not None and any(r.name == "Typo" for r in replies.all_replies(window.db))


def test_search_errors_and_tags_in_the_box(qtbot, window):
    inbox = window.inbox
    tags.add(window.db, [inbox.model.ticket_id(0)], "Escalated")
    inbox.search.setText("tag:escalatd")
    inbox.apply_filters()
    assert inbox.search_problem.isVisible() and "tag:escalatd" in inbox.search_problem.text() \
        and "Escalated" in inbox.search_problem.text()
    inbox.search.setText("tag:escalated")
    inbox.apply_filters()
    assert not inbox.search_problem.isVisible() and inbox.model.rowCount() == 1
    inbox.refresh_suggestions()
    inbox._offer_completion("tag:Esc")
    assert inbox.completer.completionCount() >= 1


def test_tray_counts_and_notifies_when_a_follow_up_falls_due(qtbot, window):
    from amends.ui.common import settings
    from amends.ui.shell import tray

    db = window.db
    ticket_id = window.inbox.model.ticket_id(0)
    with db.transaction() as conn:
        conn.execute("INSERT INTO followups (ticket_id, note, due_at, created_at) VALUES (?, 'check the box', "
                     "'2030-01-01T10:00:00Z', '2026-01-01T00:00:00Z')", (ticket_id,))
    window.tray.update(now="2030-01-01T09:59:00Z")
    assert window.tray.last_notice is None
    window.tray.update(now="2030-01-01T10:00:30Z")
    assert window.tray.last_notice[0] == "Follow-up due" and f"#{ticket_id}" in window.tray.last_notice[1]
    assert window.tray.due == followups.due_count(db, "2030-01-01T10:00:30Z")
    assert "follow-up(s) due" in window.tray.icon.toolTip()
    settings.put(tray.NOTIFY_SETTING, False)
    try:
        window.tray.last_notice = None
        with db.transaction() as conn:
            conn.execute("INSERT INTO followups (ticket_id, note, due_at, created_at) VALUES (?, 'again', "
                         "'2030-01-02T10:00:00Z', '2026-01-01T00:00:00Z')", (ticket_id,))
        window.tray.update(now="2030-01-02T10:00:30Z")
        assert window.tray.last_notice is None, "turned off in Preferences"
    finally:
        settings.put(tray.NOTIFY_SETTING, True)
    tickets.create(db, "Brand new")
    window.tray.update()
    assert window.tray.new == 1
    window.tray.seen()
    assert window.tray.new == 0


def test_preferences_and_about(qtbot, window):
    from amends import settings_schema as schema
    from amends.ui.common import appearance, settings

    dialog = window.open_preferences()
    dialog.scheme.setCurrentIndex(dialog.scheme.findData("dark"))
    dialog.notify.setChecked(False)
    dialog.name.setText("Ana Ruiz")
    dialog.accept()
    try:
        assert settings.get(appearance.SETTING) == "dark"
        assert window.db.actor == "Ana Ruiz"
        # (the offscreen platform ignores a requested scheme; a desktop applies it)
    finally:
        appearance.apply_scheme("system")
        settings.put(appearance.SETTING, "system")
        settings.put(schema.NOTIFY_FOLLOWUPS, True)
    empty = window.open_preferences()
    empty.name.setText("  ")
    empty.accept()
    assert empty.isVisible() and "cannot be empty" in empty.problem.text()
    empty.reject()


def test_snoozed_ticket_comes_back_when_the_customer_writes(qtbot, window):
    inbox, db = window.inbox, window.db
    inbox.table.selectRow(0)
    ticket_id = inbox.current_ticket_id()
    window.triage.snooze([ticket_id], "7d")
    assert inbox.model.row_of(ticket_id) is None
    customer = db.reopen()  # the mail fetch writes on its own connection
    tickets.add_message(customer, ticket_id, "in", "Any news?")
    customer.close()
    window.check_for_changes()
    assert inbox.model.row_of(ticket_id) is not None


def test_n_writes_an_internal_note_and_the_sheet_lists_every_key(qtbot, window):
    inbox, db = window.inbox, window.db
    inbox.table.setFocus()
    ticket_id = current(window)
    key(qtbot, window, "N")
    assert inbox.ticket_view.composer.hasFocus() and "internal note" in \
        inbox.ticket_view.composer.placeholderText().lower()
    qtbot.keyClicks(inbox.ticket_view.composer, "Carrier claim filed")
    key(qtbot, window, "Ctrl+Return")
    last = tickets.get(db, ticket_id).messages[-1]
    assert (last.direction, last.body) == ("note", "Carrier claim filed")
    assert inbox.ticket_view.mode == "out", "the next Ctrl+Enter is a reply again"
    box = window.show_keys()
    text = box.text()
    for shortcut in ("J", "K", "E", "R", "N", "A", "T", "S", "M", "/", "?", "Enter", "Ctrl+K"):
        assert f"<b>{shortcut}" in text or f", {shortcut}" in text, shortcut
    box.reject()
    palette = window.open_palette()
    names = [palette.list.item(i).text() for i in range(palette.list.count())]
    assert sum(n.startswith("Resolve") for n in names) == 1, "one action, both of its keys"
    assert any(n.startswith("Next ticket") for n in names)
    palette.reject()


def test_tags_dialog_changes_a_colour(qtbot, window):
    tag = tags.get_or_create(window.db, "Wholesale")
    tags.add(window.db, [window.inbox.model.ticket_id(0)], "Wholesale")
    dialog = window.open_tags()
    row = next(i for i in range(dialog.list.count())
               if dialog.list.item(i).data(Qt.ItemDataRole.UserRole).id == tag.id)
    dialog.list.setCurrentRow(row)
    assert "(1 ticket)" in dialog.list.currentItem().text()
    picker = dialog.ask_colour()
    from PySide6.QtGui import QColor

    picker.setCurrentColor(QColor("#123456"))
    picker.accept()
    assert next(t for t in tags.all_tags(window.db) if t.id == tag.id).colour == "#123456"
    dialog.reject()


def test_empty_states_say_what_to_do_next(qtbot, db):
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    try:
        assert "No tickets yet" in window.inbox.hint.text() and "Ctrl+N" in window.inbox.hint.text()
        tickets.create(db, "First one")
        window.inbox.refresh()
        window.inbox.select_view("builtin:Snoozed")
        assert "press S" in window.inbox.hint.text()
        window.inbox.search.setText("zebra")
        window.inbox.apply_filters()
        assert "No tickets match “zebra”" in window.inbox.hint.text()
    finally:
        window.close()


def test_dragging_a_saved_view_reorders_it(qtbot, window):
    inbox = window.inbox
    first = saved_views.save(window.db, "One", "cycle:1")
    second = saved_views.save(window.db, "Two", "cycle:2")
    inbox.fill_views()
    model = inbox.views.model()
    row = inbox._row_of_view(f"saved:{second}")
    assert model.moveRow(model.index(row, 0).parent(), row, model.index(row, 0).parent(),
                         inbox._row_of_view(f"saved:{first}"))
    qtbot.waitUntil(lambda: [v.id for v in saved_views.saved(window.db)] == [second, first], timeout=2000)
    keys = [inbox.views.item(r).data(Qt.ItemDataRole.UserRole) for r in range(inbox.views.count())]
    assert keys[0] == "builtin:Active", "built-in views stay on top"


def test_snoozed_tickets_wake_up_on_the_minute(qtbot, window):
    inbox, db = window.inbox, window.db
    ticket_id = inbox.current_ticket_id()
    with db.transaction() as conn:
        conn.execute("UPDATE tickets SET snoozed_until = '2020-01-01T00:00:00Z' WHERE id = ?", (ticket_id,))
    window.minute_chores()
    assert tickets.get(db, ticket_id).snoozed_until is None
    assert "back in the inbox" in window.statusBar().currentMessage()
    assert inbox.model.ticket_id(0) == ticket_id, "on top: it was updated now"


def test_welcome_asks_name_role_database_and_demo(qtbot, tmp_path):
    from amends.core import identity
    from amends.ui.shell.identity_dialog import WelcomeDialog

    dialog = WelcomeDialog(identity.Identity("me@host"), tmp_path / "new.db")
    qtbot.addWidget(dialog)
    assert "will be created" in dialog.path_label.text() and dialog.demo.isEnabled()
    dialog.demo.setChecked(True)
    existing = tmp_path / "team.db"
    open_database(existing, ACTOR).close()
    dialog.set_path(existing)
    assert "will be opened" in dialog.path_label.text()
    assert not dialog.demo.isEnabled() and not dialog.demo.isChecked(), "demo data only goes into a new file"
    dialog.name.setText("")
    assert not dialog.ok.isEnabled()
    dialog.name.setText("Ana Ruiz")
    from PySide6.QtWidgets import QRadioButton

    dialog.findChild(QRadioButton, "role_relations").setChecked(True)
    assert dialog.identity() == identity.Identity("Ana Ruiz", "relations")


def test_take_is_undoable_and_the_context_menu_offers_the_actions(qtbot, window):
    inbox, db = window.inbox, window.db
    ticket_id = db.scalar("SELECT id FROM tickets WHERE assignee IS NULL AND status <> 'resolved' ORDER BY id DESC")
    inbox.select_view("builtin:Unassigned")
    assert inbox.select_ticket(ticket_id)
    inbox.ticket_view.take()
    assert tickets.get(db, ticket_id).assignee == ACTOR
    window.triage.undo_action.trigger()
    assert tickets.get(db, ticket_id).assignee is None
    from PySide6.QtCore import QPoint

    menu = window.triage.context_menu(QPoint(10, 10))
    names = [a.objectName() for a in menu.actions()]
    assert {"assign", "tag", "snooze", "merge", "resolve"} <= set(names)
    menu.close()


def test_a_saved_view_takes_the_current_search(qtbot, window):
    inbox = window.inbox
    view_id = saved_views.save(window.db, "Billing", "category:billing")
    inbox.fill_views()
    inbox.select_view(f"saved:{view_id}")
    inbox.search.setText("category:billing cycle:1")
    assert window.views.update_view()
    assert saved_views.saved(window.db)[0].query.text == "category:billing cycle:1"
    assert inbox.current_view_key() == f"saved:{view_id}"


def test_a_resolved_ticket_can_be_reopened_from_the_ticket_view(qtbot, window):
    db = window.db
    ticket_id = db.scalar("SELECT id FROM tickets WHERE status = 'resolved' ORDER BY id DESC")
    window.inbox.select_view("builtin:All tickets")
    assert window.inbox.select_ticket(ticket_id)
    view = window.inbox.ticket_view
    index = view.status.findData("open")
    view.status.setCurrentIndex(index)
    view.status.activated.emit(index)
    reopened = tickets.get(db, ticket_id)
    assert (reopened.status, reopened.resolved_at) == ("open", None)
