"""Rules in the Policies pane: the relations side decides how new tickets
are sorted (desktop/amends/core/rules.py). A rule is tried on a period
before it is saved, so its effect is known ("would have matched 312 tickets:
290 already damaged_shipment, 22 other")."""

from __future__ import annotations

import html
import logging
from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from amends.core import rules
from amends.core.errors import AmendsError
from amends.core.insights.period import Period
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, PRIORITIES, category_name
from amends.ui.common.messages import describe, show_error

TRIAL_DAYS = 90
log = logging.getLogger("amends.ui.rules")


def describe_rule(rule: rules.Rule) -> str:
    parts = []
    if rule.category:
        parts.append(category_name(rule.category))
    parts += [f"tag {t}" for t in rule.tags]
    if rule.priority is not None:
        parts.append(f"priority {PRIORITIES.get(rule.priority, rule.priority)}")
    if rule.assignee:
        parts.append(f"to {rule.assignee}")
    return (f"{rule.position}. {rule.name}{'' if rule.enabled else ' (off)'}: {rule.query}  →  "
            f"{', '.join(parts)}")


class RuleDialog(QDialog):
    """Add or edit one rule. Saving checks it first; a refused rule keeps
    the dialog open with the reason."""

    def __init__(self, db: Database, rule: rules.Rule | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._rule = rule
        self.saved: rules.Rule | None = None
        self.setWindowTitle(self.tr("Edit rule") if rule else self.tr("New rule"))
        self.name = QLineEdit(rule.name if rule else "")
        self.name.setObjectName("ruleName")
        self.when = QLineEdit(rule.query if rule else "")
        self.when.setObjectName("ruleWhen")
        self.when.setPlaceholderText(self.tr('a search, e.g. crushed OR broken OR "split open"'))
        self.category = QComboBox()
        self.category.addItem(self.tr("(leave as it is)"), None)
        for key, name in CATEGORIES.items():
            self.category.addItem(name, key)
        self.category.setCurrentIndex(max(0, self.category.findData(rule.category)) if rule and rule.category else 0)
        self.tags = QLineEdit(", ".join(rule.tags) if rule else "")
        self.tags.setPlaceholderText(self.tr("tags to add, separated by commas"))
        self.priority = QComboBox()
        self.priority.addItem(self.tr("(leave as it is)"), None)
        for key, name in PRIORITIES.items():
            self.priority.addItem(name, key)
        if rule and rule.priority is not None:
            self.priority.setCurrentIndex(self.priority.findData(rule.priority))
        self.assignee = QLineEdit(rule.assignee or "" if rule else "")
        self.enabled = QCheckBox(self.tr("Runs on new mail and imports"))
        self.enabled.setChecked(rule.enabled if rule else True)
        today = date.today()
        self.since = QDateEdit(QDate(*(today - timedelta(days=TRIAL_DAYS - 1)).timetuple()[:3]))
        self.until = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.try_button = QPushButton(self.tr("Try on this period"))
        self.try_button.setObjectName("tryRule")
        self.trial = QLabel()
        self.trial.setObjectName("ruleTrial")
        self.trial.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("ruleError")
        self.error.setWordWrap(True)
        self.error.hide()
        for widget, label in ((self.name, "Rule name"), (self.when, "When a new ticket matches"),
                              (self.category, "Set category"), (self.tags, "Add tags"),
                              (self.priority, "Set priority"), (self.assignee, "Assign to"),
                              (self.since, "Try from"), (self.until, "Try until")):
            widget.setAccessibleName(self.tr(label))
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("When"), self.when)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Tags"), self.tags)
        form.addRow(self.tr("Priority"), self.priority)
        form.addRow(self.tr("Assignee"), self.assignee)
        form.addRow("", self.enabled)
        period = QHBoxLayout()
        period.addWidget(self.since)
        period.addWidget(QLabel("–"))
        period.addWidget(self.until)
        period.addWidget(self.try_button)
        form.addRow(self.tr("Try it"), period)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.trial)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.try_button.clicked.connect(self.try_rule)

    def rule(self) -> rules.Rule:
        """The rule as entered (not checked yet)."""
        tags = tuple(t.strip() for t in self.tags.text().split(",") if t.strip())
        base = self._rule
        return rules.Rule(self.name.text(), self.when.text(), self.category.currentData(),
                          self.priority.currentData(), self.assignee.text().strip() or None, tags,
                          self.enabled.isChecked(), base.id if base else None, base.position if base else 0,
                          base.version if base else 1)

    def _problem(self, error: AmendsError) -> None:
        self.error.setText(html.escape(describe(error)))
        self.error.show()

    def try_rule(self) -> None:
        try:
            period = Period(self.since.date().toPython(), self.until.date().toPython())
            found = rules.trial(self._db, self.rule(), period)
        except AmendsError as error:
            log.info("rule not tried: %s", describe(error))
            self._problem(error)
            return
        self.error.hide()
        self.trial.setText(self.tr("{0} to {1}: {2}").format(period.since, period.until, found.summary))

    def accept(self) -> None:
        try:
            rule = self.rule()
            self.saved = rules.update(self._db, rule) if rule.id is not None else rules.add(self._db, rule)
        except AmendsError as error:
            log.info("rule not saved: %s", describe(error))
            self._problem(error)
            return
        super().accept()


class RulesBox(QGroupBox):
    """The rules, in the order they run, with add / edit / move / remove."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Rules for new tickets"), parent)
        self._db = db
        self.items: list[rules.Rule] = []
        self.list = QListWidget()
        self.list.setObjectName("ruleList")
        self.list.setAccessibleName(self.tr("Rules, in the order they run"))
        self.list.setToolTip(self.tr("When mail arrives or a file is imported, each new ticket is sorted by the "
                                     "first rule that sets a field; what the file set itself is left alone."))
        self.new_button = QPushButton(self.tr("New rule…"))
        self.new_button.setObjectName("newRule")
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.up_button = QPushButton(self.tr("Up"))
        self.down_button = QPushButton(self.tr("Down"))
        self.remove_button = QPushButton(self.tr("Remove"))
        for button, name in ((self.edit_button, "Edit the rule"), (self.up_button, "Run the rule earlier"),
                             (self.down_button, "Run the rule later"), (self.remove_button, "Remove the rule")):
            button.setAccessibleName(self.tr(name))
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.new_button.clicked.connect(lambda: self._open(None))
        self.edit_button.clicked.connect(lambda: self._open(self.current()))
        self.list.itemActivated.connect(lambda _item: self._open(self.current()))
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button.clicked.connect(lambda: self.move(1))
        self.remove_button.clicked.connect(self.remove_current)
        self.reload()

    def reload(self, select: int | None = None) -> None:
        try:
            self.items = rules.all_rules(self._db)
        except AmendsError as error:
            show_error(self, error)
            return
        self.list.clear()
        for rule in self.items:
            self.list.addItem(describe_rule(rule))
        if select is not None:
            row = next((i for i, r in enumerate(self.items) if r.id == select), None)
            if row is not None:
                self.list.setCurrentRow(row)

    def current(self) -> rules.Rule | None:
        row = self.list.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def rule_dialog(self, rule: rules.Rule | None = None) -> RuleDialog:
        """The dialog for a new rule (or to edit ``rule``); saving reloads the list."""
        dialog = RuleDialog(self._db, rule, self)
        dialog.accepted.connect(lambda: self.reload(dialog.saved.id if dialog.saved else None))
        return dialog

    def _open(self, rule: rules.Rule | None) -> None:
        if rule is None and self.sender() is not self.new_button:
            return
        self.rule_dialog(rule).open()

    def move(self, step: int) -> None:
        rule, row = self.current(), self.list.currentRow()
        if rule is None or not 0 <= row + step < len(self.items):
            return
        order = [r.id for r in self.items if r.id is not None]
        order[row], order[row + step] = order[row + step], order[row]
        try:
            rules.reorder(self._db, order)
        except AmendsError as error:
            show_error(self, error)
        self.reload(rule.id)

    def remove_current(self) -> None:
        rule = self.current()
        if rule is None or rule.id is None:
            return
        try:
            rules.remove(self._db, rule.id)
        except AmendsError as error:
            show_error(self, error)
        self.reload()
