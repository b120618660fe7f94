"""Policies pane → Review this policy (one page, a decision with a note)
and Record an upstream fix, through the main window on the demo data."""

from __future__ import annotations

from amends.core import policies, upstream
from amends.core.insights.period import Period
from PySide6.QtCore import QDate

from tests.ui.policies.test_relations import open_policy


def reviewed(qtbot, window):
    pane, _editor = open_policy(window)
    dialog = pane.review_policy()
    qtbot.waitUntil(lambda: dialog.pack is not None, timeout=30_000)
    return pane, dialog


def test_the_review_page_shows_the_quarter_and_records_keep(qtbot, window):
    _pane, dialog = reviewed(qtbot, window)
    dialog.since.setDate(QDate(2025, 1, 1))
    dialog.until.setDate(QDate(2026, 10, 31))
    dialog.pack = None
    dialog.compute()
    qtbot.waitUntil(lambda: dialog.pack is not None, timeout=30_000)
    text = dialog.page.toPlainText()
    for part in ("Tickets covered", "Checklist completion", "Recovery cost", "Churn of its customers",
                 "Satisfaction", "History", "v2 published"):
        assert part in text, part
    assert dialog.pack.tickets > 0 and dialog.pack.period == Period(QDate(2025, 1, 1).toPython(),
                                                                     QDate(2026, 10, 31).toPython())
    assert not dialog.record_button.isEnabled(), "no decision without a note"
    dialog.note.setPlainText("replacements work; keep the 15 % cap")
    with qtbot.waitSignal(dialog.decided) as decided:
        dialog.record_button.click()
    assert decided.args == [dialog.policy_id, "keep"]
    assert policies.get(window.db, dialog.policy_id).last_reviewed_at is not None


def test_change_opens_the_draft_and_retire_retires(qtbot, window):
    pane, dialog = reviewed(qtbot, window)
    dialog.change.setChecked(True)
    dialog.note.setPlainText("offers run past the cap: widen it")
    dialog.record_button.click()
    assert pane.editor.policy.id == dialog.policy_id
    pane, dialog = reviewed(qtbot, window)
    dialog.retire.setChecked(True)
    dialog.note.setPlainText("the double-wall boxes made it moot")
    dialog.record_button.click()
    assert policies.get(window.db, dialog.policy_id).status == "retired"
    row = pane.model.row_of(dialog.policy_id)
    assert pane.model.data(pane.model.index(row, 3)) == "retired"


def test_an_upstream_fix_is_recorded_for_the_policy_and_in_its_history(qtbot, window):
    pane, _editor = open_policy(window)
    dialog = pane.record_upstream_fix()
    assert dialog.category.currentData() == "damaged_shipment"
    dialog.what.setText("double-wall boxes")
    dialog.effective.setDate(QDate(2026, 8, 15))
    dialog.theme.setText("cardboard was caved")
    dialog.save()
    change = upstream.changes(window.db)[0]
    assert (change.what, change.effective_at, change.theme) == ("double-wall boxes", "2026-08-15T00:00:00Z",
                                                               "cardboard was caved")
    _pane, review = reviewed(qtbot, window)
    assert "upstream fix" in review.page.toPlainText() and "double-wall boxes" in review.page.toPlainText()


def test_an_empty_upstream_fix_is_refused_with_a_message(qtbot, window):
    from PySide6.QtWidgets import QMessageBox

    pane, _editor = open_policy(window)
    dialog = pane.record_upstream_fix()
    dialog.save()
    box = dialog.findChild(QMessageBox, "errorBox")
    assert box is not None and "what" in box.text()
    assert dialog.change is None and upstream.changes(window.db) == []
    box.close()
