"""Relations features in the Policies pane and the inbox: comparing and
rolling back versions, reviews, proposals, the role-split hint."""

from __future__ import annotations

from amends.core import policies, proposals
from amends.ui.shell.main_window import MainWindow


def open_policy(window, category="damaged_shipment"):
    window.act_policies.trigger()
    pane = window.policies
    row = next(i for i, p in enumerate(pane.model.items) if p.category == category and p.segment == "any")
    pane.table.selectRow(row)
    return pane, pane.editor


def test_compare_versions_and_roll_back(qtbot, window):
    _pane, editor = open_policy(window)
    assert editor.versions.count() == 2  # the demo's damaged-shipment policy has v1 and v2
    editor.versions.setCurrentRow(0)
    text = editor.version_view.toPlainText()
    assert "v1" in text and "v2" in text and "changed" in text and "added" in text
    editor.versions.setCurrentRow(1)
    assert editor.rollback_button.isEnabled()
    editor.roll_back(1, "v2's survey annoyed people")
    history = policies.versions(window.db, editor.policy.id)
    assert history[0].number == 3 and history[0].steps == history[2].steps
    assert editor.versions.count() == 3


def test_mark_reviewed_clears_the_overdue_flag(qtbot, window):
    window.db.conn.execute("UPDATE policies SET last_reviewed_at = '2020-01-01T00:00:00Z' WHERE category = 'billing'")
    pane, editor = open_policy(window, "billing")
    pane.refresh()
    row = pane.model.row_of(editor.policy.id)
    assert pane.model.data(pane.model.index(row, 5)).startswith("⚑ overdue")
    editor.mark_reviewed("Looked at Q3: refunds are consistent")
    row = pane.model.row_of(editor.policy.id)
    assert not pane.model.data(pane.model.index(row, 5)).startswith("⚑")
    assert "refunds are consistent" in editor.review_label.text()


def test_propose_from_the_inbox_then_accept_in_the_policies_pane(qtbot, window):
    inbox = window.inbox
    inbox.select_view("builtin:All tickets")
    inbox.table.selectRow(0)
    inbox.table.selectionModel().select(inbox.model.index(1, 0),
                                        inbox.table.selectionModel().SelectionFlag.Select
                                        | inbox.table.selectionModel().SelectionFlag.Rows)
    ids = inbox.selected_ticket_ids()
    assert len(ids) == 2
    dialog = window.propose_change()
    qtbot.keyClicks(dialog.note, "Replace without asking for photos")
    with qtbot.waitSignal(dialog.accepted):
        dialog.ok.click()
    [filed] = [p for p in proposals.list_proposals(window.db) if p.text == "Replace without asking for photos"]
    assert filed.ticket_ids == sorted(ids)
    assert "Proposal #" in inbox.ticket_view.proposals.text()

    window.act_policies.trigger()
    box = window.policies.proposals
    open_count = len(proposals.list_proposals(window.db))
    assert box.list.count() == open_count and f"{open_count} open" in box.title()
    box.list.setCurrentRow(next(i for i, p in enumerate(box.items) if p.id == filed.id))  # newest first
    box.accept_current()
    assert proposals.get(window.db, filed.id).status == "accepted"
    assert box.list.count() == open_count - 1
    if filed.policy_id is not None:
        assert window.policies.editor.policy.id == filed.policy_id


def test_decline_needs_a_reason(qtbot, window):
    ticket_id = window.inbox.model.ticket_id(0)
    proposal_id = proposals.file(window.db, "Stop offering credit", [ticket_id])
    window.act_policies.trigger()
    box = window.policies.proposals
    box.decline("credit keeps customers; see the Review pane")
    assert proposals.get(window.db, proposal_id).status == "declined"
    window.act_inbox.trigger()
    window.inbox.select_ticket(ticket_id)
    assert "declined" in window.inbox.ticket_view.proposals.text()


def test_role_split_hint_past_1000_active_subscribers(qtbot, db):
    db.conn.execute("BEGIN")
    db.conn.executemany("INSERT INTO customers (id, email, created_at) VALUES (?, ?, '2026-01-01T00:00:00Z')",
                        [(i, f"c{i}@example.com") for i in range(1, 1101)])
    db.conn.executemany("INSERT INTO subscriptions (customer_id, plan, started_at, cycle_days) "
                        "VALUES (?, 'p', '2026-01-01T00:00:00Z', 30)", [(i,) for i in range(1, 1101)])
    db.conn.execute("COMMIT")
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.hint.isVisible, timeout=3000)
    assert "1,000 active subscribers" in window.hint.text()
    window.hint.linkActivated.emit("dismiss")
    assert not window.hint.isVisible()
    assert not window.banners.show_role_hint(), "dismissed once, stays dismissed"


def test_backtest_a_draft_from_the_editor(qtbot, window):
    _pane, editor = open_policy(window)
    dialog = editor.open_backtest()
    dialog.period.setCurrentIndex(4)  # last 12 months
    with qtbot.waitSignal(dialog.done, timeout=30_000):
        dialog.run()
    assert dialog.result["tickets"] > 0
    assert "would have covered" in dialog.view.toPlainText()
    dialog.reject()


def test_review_interval_is_editable(qtbot, window):
    _pane, editor = open_policy(window)
    editor.interval.setValue(30)
    editor.interval.editingFinished.emit()
    assert policies.get(window.db, editor.policy.id).review_interval_days == 30


def test_report_from_the_app(qtbot, window, tmp_path):
    from datetime import date

    from amends.core.insights.period import Period

    target = tmp_path / "report.pdf"
    op = window.files.write_report(target, Period(date(2026, 1, 1), date(2026, 9, 30)))
    qtbot.waitUntil(lambda: getattr(window.files, "report_written", None) == target, timeout=30_000)
    assert op.done and target.read_bytes().startswith(b"%PDF")
