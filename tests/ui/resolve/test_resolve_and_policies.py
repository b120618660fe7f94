"""The bridge, driven through the real main window: resolve a ticket through
the checklist dialog; edit and publish a policy in the Policies pane and see
the next resolution use the new version while earlier ones keep the old."""

from __future__ import annotations

from amends.core import policies, resolution, tickets
from amends.ui.resolve.checklist_dialog import ChecklistDialog
from amends.ui.shell.main_window import MainWindow, offer_demo_on_first_run
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox


def open_damaged_ticket(window) -> int:
    """Create an open damaged-shipment ticket and select it in the inbox."""
    ticket_id = tickets.create(window.db, "Jar smashed in the box", "Glass everywhere.",
                               category="damaged_shipment", customer_id=1)
    window.inbox.views.setCurrentRow(0)
    window.inbox.show_query(window.inbox.current_query())
    assert window.inbox.select_ticket(ticket_id)
    assert window.inbox.ticket_view.ticket.id == ticket_id
    return ticket_id


def resolve_through_dialog(qtbot, window, ticket_id: int, offer: float, override: str = "",
                           skip: dict[int, str] | None = None) -> ChecklistDialog:
    window.act_resolve.trigger()
    dialog = window.checklist_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.checklist.ticket_id == ticket_id
    assert not dialog.resolve_button.isEnabled(), "nothing is ticked yet"
    skip = skip or {}
    for row in dialog.rows:
        if row.position in skip:
            qtbot.keyClicks(row.reason, skip[row.position])
        else:
            qtbot.mouseClick(row.done, Qt.MouseButton.LeftButton)
    if dialog.offer_value is not None:
        dialog.offer_value.setValue(offer)
        if override:
            qtbot.keyClicks(dialog.override, override)
    assert dialog.resolve_button.isEnabled(), dialog.problems.text()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    return dialog


def test_resolve_a_ticket_through_the_checklist(qtbot, window):
    ticket_id = open_damaged_ticket(window)
    resolve_through_dialog(qtbot, window, ticket_id, offer=12, skip={1: "customer kept the box"})
    stored = resolution.resolutions_for(window.db, ticket_id)
    assert len(stored) == 1
    record = stored[0]
    version = policies.version(window.db, record.policy_version_id)
    assert version.policy_name == "Damaged shipment"
    assert [(s.type, s.outcome, s.reason) for s in record.steps] == [
        ("apology", "done", None), ("replacement", "skipped", "customer kept the box"),
        ("check_in", "done", None), ("save_offer", "done", None), ("survey", "done", None)]
    assert (record.offer_value, record.offer_in_bounds, record.actor) == (12, True, "tester@host")
    assert tickets.get(window.db, ticket_id).status == "resolved"
    assert window.inbox.model.row_of(ticket_id) is None, "it left the active view; the next ticket took its place"
    window.inbox.select_view("builtin:All tickets")
    assert window.inbox.select_ticket(ticket_id)
    row = window.inbox.model.row_of(ticket_id)
    assert window.inbox.model.data(window.inbox.model.index(row, window.inbox.model.column_of("status"))) == "Resolved"
    assert not window.inbox.ticket_view.resolve_button.isEnabled()


def test_offer_outside_the_range_needs_an_override_reason(qtbot, window):
    ticket_id = open_damaged_ticket(window)
    window.act_resolve.trigger()
    dialog = window.checklist_dialog
    for row in dialog.rows:
        qtbot.mouseClick(row.done, Qt.MouseButton.LeftButton)
    dialog.offer_value.setValue(35)
    assert not dialog.resolve_button.isEnabled()
    assert "outside the approved range" in dialog.problems.text()
    qtbot.keyClicks(dialog.override, "fourth broken box")
    assert dialog.resolve_button.isEnabled()
    assert "flagged" in dialog.problems.text()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)
    record = resolution.resolutions_for(window.db, ticket_id)[0]
    assert (record.offer_value, record.offer_in_bounds, record.override_reason) == (35, False, "fourth broken box")


def test_cancelling_the_checklist_changes_nothing(qtbot, window):
    ticket_id = open_damaged_ticket(window)
    before = window.db.scalar("SELECT count(*) FROM audit_log")
    window.act_resolve.trigger()
    dialog = window.checklist_dialog
    for row in dialog.rows:
        qtbot.mouseClick(row.done, Qt.MouseButton.LeftButton)
    dialog.reject()
    assert tickets.get(window.db, ticket_id).status == "open"
    assert resolution.resolutions_for(window.db, ticket_id) == []
    assert window.db.scalar("SELECT count(*) FROM audit_log") == before


def test_edit_and_publish_a_policy_then_resolutions_follow_the_new_version(qtbot, window):
    first = open_damaged_ticket(window)
    resolve_through_dialog(qtbot, window, first, offer=10)
    old_version = resolution.resolutions_for(window.db, first)[0].policy_version_id

    window.act_policies.trigger()
    pane = window.policies
    assert window.stack.currentWidget() is pane
    row = next(i for i, p in enumerate(pane.model.items) if p.category == "damaged_shipment" and p.segment == "any")
    pane.table.selectRow(row)
    editor = pane.editor
    assert editor.policy.category == "damaged_shipment"
    offer_row = next(i for i, s in enumerate(editor.steps) if s.type == "save_offer")
    editor.step_list.setCurrentRow(offer_row)
    editor.step_editor.offer_max.setValue(25)
    assert editor.steps[offer_row].offer_max == 25
    editor.add_type.setCurrentIndex(editor.add_type.findData("custom"))
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert "custom step needs a label" in editor.problems.text()
    assert not editor.save_button.isEnabled()
    qtbot.keyClicks(editor.step_editor.label, "Send a handwritten card")
    assert editor.problems.text() == ""
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert policies.get(window.db, editor.policy.id).status == "published, edited"
    editor.publish_note("Damaged boxes keep churning: larger save offer, a card")
    history = policies.versions(window.db, editor.policy.id)
    assert history[0].number == history[1].number + 1
    assert history[0].steps[-1].label == "Send a handwritten card"
    assert editor.versions.count() == len(history)
    assert pane.model.items[pane.model.row_of(editor.policy.id)].status == "published"

    window.act_inbox.trigger()
    second = open_damaged_ticket(window)
    dialog = resolve_through_dialog(qtbot, window, second, offer=22)
    assert len(dialog.rows) == len(history[0].steps)
    new_record = resolution.resolutions_for(window.db, second)[0]
    assert new_record.policy_version_id == history[0].id != old_version
    assert new_record.offer_in_bounds is True
    assert resolution.resolutions_for(window.db, first)[0].policy_version_id == old_version


def test_publish_dialog_requires_a_note(qtbot, window):
    from amends.ui.policies.policies_pane import PublishDialog

    dialog = PublishDialog("Damaged shipment", window)
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.note, "why")
    assert dialog.ok.isEnabled()


def test_new_policy_starts_as_a_draft(qtbot, window):
    window.act_policies.trigger()
    pane = window.policies
    qtbot.mouseClick(pane.new_button, Qt.MouseButton.LeftButton)
    assert pane.editor.policy.status == "draft"
    assert "at least one step" in pane.editor.problems.text()
    assert not pane.editor.publish_button.isEnabled()


def test_first_run_offers_demo_data_and_loads_it_in_a_worker(qtbot, db):
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    box = offer_demo_on_first_run(window)
    assert isinstance(box, QMessageBox) and "empty" in box.text()
    with qtbot.waitSignal(window.inbox.model.modelReset, timeout=30_000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert window.db.scalar("SELECT count(*) FROM tickets") == 2000
    assert window.inbox.model.rowCount() > 0
    assert offer_demo_on_first_run(window) is None, "offered once"


def test_display_name_is_recorded_on_changes(qtbot, window, monkeypatch, tmp_path):
    monkeypatch.setenv("AMENDS_HOME", str(tmp_path / "home"))
    assert not window.set_display_name("   ")
    assert window.set_display_name("Ana  Ruiz")
    assert "you are Ana Ruiz" in window.status_label.text()
    ticket_id = open_damaged_ticket(window)
    tickets.add_message(window.db, ticket_id, "note", "checked")
    assert window.db.scalar("SELECT actor FROM audit_log ORDER BY id DESC LIMIT 1") == "Ana Ruiz"
    from amends.core import identity

    assert identity.load().display_name == "Ana Ruiz"
