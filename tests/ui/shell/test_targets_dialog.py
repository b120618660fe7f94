"""Preferences → Reply targets and business hours: shown, edited, saved in one go; mistakes named."""

from __future__ import annotations

from amends.core import business_hours, targets
from PySide6.QtCore import QTime
from PySide6.QtWidgets import QDialogButtonBox


def test_edit_and_save_targets_and_hours(qtbot, window):
    prefs = window.open_preferences()
    dialog = prefs.open_targets()
    assert dialog.table.rowCount() == 1, "the default target of a new file"
    assert dialog.table.item(0, 2).text() == "1d"
    dialog.always.setChecked(False)
    dialog.zone.setCurrentText("Europe/Berlin")
    for box, _start, _end in dialog.days[5:]:
        box.setChecked(False)
    dialog.days[0][1].setTime(QTime(8, 30))
    row = dialog.add_row(targets.Target("billing", 3, 60, None))
    dialog.table.item(row, 3).setText("4h")
    dialog.button = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    dialog.button.click()
    assert not dialog.isVisible()
    hours = business_hours.load(window.db)
    assert hours.timezone == "Europe/Berlin" and hours.week["mon"] == (("08:30", "17:00"),) and hours.week["sat"] == ()
    assert targets.list_targets(window.db) == [targets.Target(None, None, 1440, 1440),
                                               targets.Target("billing", 3, 60, 240)]
    prefs.reject()


def test_a_bad_duration_is_named_and_nothing_saved(qtbot, window):
    dialog = window.open_preferences().open_targets()
    dialog.table.item(0, 2).setText("soon")
    dialog.accept()
    assert dialog.isVisible() and "row 1, first reply" in dialog.problem.text()
    assert targets.list_targets(window.db) == [targets.Target(None, None, 1440, 1440)]
    dialog.reject()
