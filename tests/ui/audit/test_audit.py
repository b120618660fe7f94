"""The Audit pane and a ticket's history tab."""

from __future__ import annotations

from amends.core import audit, tickets


def test_audit_pane_lists_changes_with_before_and_after_and_filters(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    ticket_id = inbox.current_ticket_id()
    version = tickets.get(window.db, ticket_id).version
    tickets.update(window.db, ticket_id, version, priority=3)
    window.act_audit.trigger()
    pane = window.audit
    assert window.stack.currentWidget() is pane
    model = pane.model
    first = [model.data(model.index(0, c)) for c in range(5)]
    assert first[1] == "tester@host" and first[2] == "update" and first[3] == f"ticket #{ticket_id}"
    assert "priority:" in first[4] and "→ 3" in first[4]
    pane.record.setText(str(ticket_id))
    pane.entity.setCurrentIndex(pane.entity.findData("ticket"))
    pane.apply()
    assert model.rowCount() >= 1
    assert all(e.entity == "ticket" and e.entity_id == ticket_id for e in model.entries)
    pane.person.setCurrentIndex(pane.person.findData("tester@host"))
    pane.since.setText("2000-01-01")
    pane.until.setText("2099-12-31")
    pane.apply()
    assert all(e.actor == "tester@host" for e in model.entries) and model.rowCount() >= 1
    pane.since.setText("yesterday")
    pane.apply()
    assert "not a date" in pane.problem.text()


def test_audit_pane_pages_instead_of_loading_everything(qtbot, window):
    pane = window.audit
    pane.model._page_size = 20
    pane.entity.setCurrentIndex(0)
    pane.apply()
    total = window.db.scalar("SELECT count(*) FROM audit_log")
    assert pane.model.rowCount() == min(20, total)
    while pane.model.canFetchMore():
        pane.model.fetchMore()
    assert pane.model.rowCount() == total
    assert [e.id for e in pane.model.entries] == sorted((e.id for e in pane.model.entries), reverse=True)


def test_double_click_opens_the_ticket_and_history_tab_shows_changes(qtbot, window):
    inbox = window.inbox
    inbox.table.selectRow(0)
    ticket_id = inbox.current_ticket_id()
    tickets.add_message(window.db, ticket_id, "note", "checked the warehouse")
    window.act_audit.trigger()
    pane = window.audit
    pane.refresh()
    pane.table.doubleClicked.emit(pane.model.index(0, 0))
    assert window.stack.currentWidget() is window.inbox
    assert window.inbox.ticket_view.ticket.id == ticket_id
    view = window.inbox.ticket_view
    view.tabs.setCurrentWidget(view.history)  # the log is read when its tab is shown (issue 16)
    history = view.history.toPlainText()
    assert "note" in history and "tester@host" in history


def test_describe_says_before_and_after():
    entry = audit.AuditEntry(1, "2026-01-01T00:00:00Z", "ana", "ticket", 5, "update",
                             {"before": {"priority": 1, "assignee": None}, "after": {"priority": 3, "assignee": "ana"}})
    assert audit.describe(entry) == "priority: 1 → 3; assignee: — → ana"
