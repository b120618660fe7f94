"""Reply targets and business hours (Preferences → Reply targets…).

In Preferences, not the Policies pane: like the attachment limit beside it,
these are settings of the whole file that the desk works to every day (how
soon people hear back), not a recovery checklist versioned and published
per category. Saved in one transaction (core/targets.py ``save_all``).
"""

from __future__ import annotations

from zoneinfo import available_timezones

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from amends.core import business_hours, targets
from amends.core.business_hours import DAYS, BusinessHours
from amends.core.errors import AmendsError, ValidationError
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, PRIORITIES
from amends.ui.common.messages import show_error

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class TargetsDialog(QDialog):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("targetsDialog")
        self.setWindowTitle(self.tr("Reply targets and business hours"))
        self._db = db
        hours = business_hours.load(db)
        rows = targets.list_targets(db)

        self.always = QCheckBox(self.tr("Always open (targets count clock time)"))
        self.always.setObjectName("alwaysOpen")
        self.zone = QComboBox()
        self.zone.setObjectName("timeZone")
        self.zone.setEditable(True)
        self.zone.setAccessibleName(self.tr("Time zone of the business hours"))
        self.zone.addItems(sorted(available_timezones()))
        self.zone.setCurrentText(hours.timezone)
        grid = QGridLayout()
        self.days: list[tuple[QCheckBox, QTimeEdit, QTimeEdit]] = []
        # Always open: the days offer the common week (Monday to Friday, 9 to 5) for when it is unticked.
        # One span a day here (a day with several is shown from its first opening to its last closing).
        shown = business_hours.weekdays() if hours.always_open else hours
        spans = [_span(shown.week.get(day, ())) for day in DAYS]
        for number, (name, span) in enumerate(zip(DAY_NAMES, spans, strict=True)):
            box = QCheckBox(self.tr(name))
            box.setObjectName(f"open_{DAYS[number]}")
            start, end = QTimeEdit(), QTimeEdit()
            for edit, minutes, label in ((start, span[0] if span else 540, "opens"),
                                         (end, span[1] if span else 1020, "closes")):
                edit.setDisplayFormat("HH:mm")
                edit.setTime(QTime(min(minutes, 1439) // 60, min(minutes, 1439) % 60))
                edit.setAccessibleName(self.tr("{0} {1}").format(self.tr(name), self.tr(label)))
            box.setChecked(span is not None)
            grid.addWidget(box, number, 0)
            grid.addWidget(start, number, 1)
            grid.addWidget(QLabel("–"), number, 2)
            grid.addWidget(end, number, 3)
            self.days.append((box, start, end))
        self.always.setChecked(hours.always_open)
        hours_box = QGroupBox(self.tr("Business hours"))
        hours_layout = QVBoxLayout(hours_box)
        hours_layout.addWidget(self.always)
        zone_row = QHBoxLayout()
        zone_row.addWidget(QLabel(self.tr("Time zone")))
        zone_row.addWidget(self.zone, 1)
        hours_layout.addLayout(zone_row)
        hours_layout.addLayout(grid)
        self.always.toggled.connect(self._enable_days)
        self._enable_days(self.always.isChecked())

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("targetsTable")
        self.table.setAccessibleName(self.tr("Reply targets"))
        self.table.setHorizontalHeaderLabels([self.tr("Category"), self.tr("Priority"), self.tr("First reply"),
                                              self.tr("Next reply")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        for row in rows:
            self.add_row(row)
        add = QPushButton(self.tr("&Add a target"))
        add.setObjectName("addTarget")
        add.clicked.connect(lambda: self.add_row(targets.Target(None, None, 480, 480)))
        remove = QPushButton(self.tr("&Remove"))
        remove.setObjectName("removeTarget")
        remove.clicked.connect(lambda: self.table.removeRow(self.table.currentRow()))
        target_box = QGroupBox(self.tr("Reply targets (business time: 30m, 4h, 2d; empty = none)"))
        target_layout = QVBoxLayout(target_box)
        explain = QLabel(self.tr("The most specific row wins: category and priority, then category, then "
                                 "priority, then the row with both “Any”."))
        explain.setWordWrap(True)
        target_layout.addWidget(explain)
        target_layout.addWidget(self.table, 1)
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(add)
        row_buttons.addWidget(remove)
        row_buttons.addStretch(1)
        target_layout.addLayout(row_buttons)

        self.problem = QLabel()
        self.problem.setObjectName("replyProblem")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not db.readonly)
        layout = QHBoxLayout()
        layout.addWidget(hours_box)
        layout.addWidget(target_box, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(layout, 1)
        outer.addWidget(self.problem)
        outer.addWidget(buttons)
        self.resize(900, 460)

    def _enable_days(self, always: bool) -> None:
        self.zone.setEnabled(not always)
        for box, start, end in self.days:
            for widget in (box, start, end):
                widget.setEnabled(not always)

    def add_row(self, target: targets.Target) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        category, priority = QComboBox(), QComboBox()
        category.addItem(self.tr("Any"), None)
        for key, name in CATEGORIES.items():
            category.addItem(self.tr(name), key)
        priority.addItem(self.tr("Any"), None)
        for key, name in PRIORITIES.items():
            priority.addItem(self.tr(name), key)
        category.setCurrentIndex(max(0, category.findData(target.category)))
        priority.setCurrentIndex(max(0, priority.findData(target.priority)))
        self.table.setCellWidget(row, 0, category)
        self.table.setCellWidget(row, 1, priority)
        for column, minutes in ((2, target.first_minutes), (3, target.next_minutes)):
            self.table.setItem(row, column, QTableWidgetItem("" if minutes is None else targets.describe(minutes)
                                                             .replace(" min", "m").replace(" h", "h")
                                                             .replace(" d", "d")))
        return row

    def _hours(self) -> BusinessHours:
        zone = self.zone.currentText().strip()
        if self.always.isChecked():
            return business_hours.always(zone or "UTC")
        week = {}
        for day, (box, start, end) in zip(DAYS, self.days, strict=True):
            closing = end.time().toString("HH:mm")
            week[day] = ((start.time().toString("HH:mm"), "24:00" if closing == "00:00" else closing),) \
                if box.isChecked() else ()
        return BusinessHours(zone, week)

    def _rows(self) -> list[targets.Target]:
        rows, problems = [], []
        for row in range(self.table.rowCount()):
            values = []
            for column, name in ((2, "first reply"), (3, "next reply")):
                item = self.table.item(row, column)
                text = item.text().strip() if item is not None else ""
                try:
                    values.append(targets.parse_duration(text) if text else None)
                except ValueError as error:
                    problems.append((f"row {row + 1}, {name}", str(error)))
                    values.append(None)
            rows.append(targets.Target(self.table.cellWidget(row, 0).currentData(),
                                       self.table.cellWidget(row, 1).currentData(), values[0], values[1]))
        if problems:
            raise ValidationError(problems)
        return rows

    def accept(self) -> None:
        try:
            targets.save_all(self._db, self._hours(), self._rows())
        except ValidationError as error:
            self.problem.setText("⚠ " + "; ".join(f"{where}: {why}" for where, why in error.problems))
            return
        except AmendsError as error:
            show_error(self, error, self.tr("The targets were not saved"))
            return
        super().accept()


def _span(spans) -> tuple[int, int] | None:
    """A day's opening as minutes (first opening, last closing), or None when closed."""
    if not spans:
        return None

    def minutes(text: str) -> int:
        return int(text[:2]) * 60 + int(text[3:])

    return min(minutes(a) for a, _ in spans), max(minutes(b) for _, b in spans)

