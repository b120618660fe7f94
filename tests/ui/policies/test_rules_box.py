"""Rules edited in the Policies pane: listed in order, added after a trial
on a period, refused with the reason, reordered, switched off, removed."""

from __future__ import annotations

from amends.core import rules
from PySide6.QtCore import Qt


def rules_box(window):
    window.act_policies.trigger()
    return window.policies.rules


def test_the_default_rules_are_listed_in_order(qtbot, window):
    box = rules_box(window)
    assert box.list.count() == len(rules.all_rules(window.db)) == 7
    assert box.list.item(0).text().startswith("1. Crushed or broken boxes")
    assert "damaged_shipment" in box.list.item(0).text() or "Damaged shipment" in box.list.item(0).text()


def test_a_new_rule_is_tried_on_a_period_then_saved(qtbot, window):
    box = rules_box(window)
    dialog = box.rule_dialog()
    dialog.name.setText("Dusty tea")
    dialog.when.setText('dusty OR "past their"')
    dialog.category.setCurrentIndex(dialog.category.findData("product_quality"))
    dialog.tags.setText("tea, dust")
    dialog.since.setDate(dialog.since.date().addYears(-5))
    qtbot.mouseClick(dialog.try_button, Qt.MouseButton.LeftButton)
    assert "would have matched" in dialog.trial.text()
    assert rules.all_rules(window.db)[-1].name != "Dusty tea", "trying saves nothing"
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = rules.get(window.db, "Dusty tea")
    assert saved.category == "product_quality" and saved.tags == ("tea", "dust")
    assert box.list.count() == 8 and box.list.item(7).text().startswith("8. Dusty tea")


def test_a_bad_rule_is_refused_in_the_dialog_with_the_reason(qtbot, window):
    box = rules_box(window)
    dialog = box.rule_dialog()
    dialog.name.setText("Broken")
    dialog.when.setText("status:closed")
    dialog.category.setCurrentIndex(dialog.category.findData("billing"))
    dialog.accept()
    assert dialog.isVisible() or dialog.result() != dialog.DialogCode.Accepted
    assert "status is one of" in dialog.error.text()
    assert box.list.count() == 7


def test_edit_reorder_switch_off_and_remove(qtbot, window):
    box = rules_box(window)
    box.list.setCurrentRow(1)
    second = rules.all_rules(window.db)[1]
    box.move(-1)
    assert rules.all_rules(window.db)[0].id == second.id and box.list.currentRow() == 0
    dialog = box.rule_dialog(rules.all_rules(window.db)[0])
    dialog.enabled.setChecked(False)
    dialog.accept()
    assert not rules.get(window.db, second.name).enabled
    assert "(off)" in box.list.item(0).text()
    box.list.setCurrentRow(0)
    box.remove_current()
    assert second.name not in [r.name for r in rules.all_rules(window.db)] and box.list.count() == 6
