"""Editing one policy: the draft's steps with validation as you type,
publish, the version history with comparison and roll back, the review
cadence, and the backtest of a draft.

The step parameters are ``step_editor.StepEditor`` and the backtest is
``backtest_dialog.BacktestDialog``; both act on what this editor shows."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends.core import policies, policy_history
from amends.core.errors import AmendsError, ConflictError
from amends.core.policies import Step
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, SEGMENTS, STEP_TYPES
from amends.ui.common.messages import conflict_box, show_error
from amends.ui.common.note_dialog import NoteDialog, PublishDialog
from amends.ui.policies.backtest_dialog import BacktestDialog
from amends.ui.policies.step_editor import StepEditor


class PolicyEditor(QWidget):
    """Edit one policy's draft; publish it; browse its versions."""

    saved = Signal(int)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.policy: policies.Policy | None = None
        self.steps: list[Step] = []
        self.dirty = False

        self.name = QLineEdit()
        self.name.setObjectName("policyName")
        self.category = QComboBox()
        self.category.setObjectName("policyCategory")
        for key, name in CATEGORIES.items():
            self.category.addItem(name, key)
        self.segment = QComboBox()
        self.segment.setObjectName("policySegment")
        for key, name in SEGMENTS.items():
            self.segment.addItem(name, key)
        self.plan = QLineEdit()
        self.plan.setObjectName("policyPlan")
        self.plan.setPlaceholderText(self.tr("any plan"))
        for widget, name in ((self.name, "Policy name"), (self.category, "Policy category"),
                             (self.segment, "Customer segment"), (self.plan, "Plan")):
            widget.setAccessibleName(self.tr(name))
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Segment"), self.segment)
        form.addRow(self.tr("Plan"), self.plan)

        self.step_list = QListWidget()
        self.step_list.setObjectName("stepList")
        self.step_list.setAccessibleName(self.tr("Checklist steps"))
        self.add_type = QComboBox()
        self.add_type.setObjectName("addStepType")
        self.add_type.setAccessibleName(self.tr("Type of step to add"))
        for key, name in STEP_TYPES.items():
            self.add_type.addItem(name, key)
        self.add_button = QPushButton(self.tr("Add step"))
        self.add_button.setObjectName("addStep")
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setObjectName("removeStep")
        self.up_button = QPushButton(self.tr("Move up"))
        self.up_button.setObjectName("moveStepUp")
        self.down_button = QPushButton(self.tr("Move down"))
        self.down_button.setObjectName("moveStepDown")
        step_buttons = QHBoxLayout()
        for widget in (self.add_type, self.add_button, self.remove_button, self.up_button, self.down_button):
            step_buttons.addWidget(widget)
        self.step_editor = StepEditor()

        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save draft"))
        self.save_button.setObjectName("saveDraft")
        self.publish_button = QPushButton(self.tr("Publish…"))
        self.publish_button.setObjectName("publish")
        self.backtest_button = QPushButton(self.tr("Backtest the draft…"))
        self.backtest_button.setObjectName("backtest")
        self.discard_button = QPushButton(self.tr("Discard changes"))
        self.discard_button.setObjectName("discard")
        actions = QHBoxLayout()
        actions.addWidget(self.discard_button)
        actions.addWidget(self.backtest_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        actions.addWidget(self.publish_button)

        self.versions = QListWidget()
        self.versions.setObjectName("versionList")
        self.versions.setAccessibleName(self.tr("Published versions"))
        self.version_view = QTextBrowser()
        self.version_view.setObjectName("versionView")
        self.version_view.setAccessibleName(self.tr("Published version steps"))
        self.compare_with = QComboBox()
        self.compare_with.setObjectName("compareWith")
        self.compare_with.setAccessibleName(self.tr("Compare with version"))
        self.rollback_button = QPushButton(self.tr("Roll back to this version…"))
        self.rollback_button.setObjectName("rollBack")
        self.interval = QSpinBox()
        self.interval.setObjectName("reviewInterval")
        self.interval.setAccessibleName(self.tr("Review interval in days"))
        self.interval.setRange(7, 730)
        self.interval.setPrefix(self.tr("review every "))
        self.interval.setSuffix(self.tr(" days"))
        self.review_button = QPushButton(self.tr("Mark reviewed…"))
        self.review_button.setObjectName("markReviewed")
        self.review_label = QLabel()
        self.review_label.setObjectName("reviewLabel")
        self.review_label.setWordWrap(True)
        history = QGroupBox(self.tr("Published versions (read-only)"))
        history_layout = QHBoxLayout(history)
        history_layout.addWidget(self.versions, 1)
        version_side = QVBoxLayout()
        compare_row = QHBoxLayout()
        compare_row.addWidget(QLabel(self.tr("Compare with")))
        compare_row.addWidget(self.compare_with, 1)
        compare_row.addWidget(self.rollback_button)
        version_side.addLayout(compare_row)
        version_side.addWidget(self.version_view, 1)
        history_layout.addLayout(version_side, 2)

        self.title = QLabel()
        self.title.setObjectName("policyTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        review_row = QHBoxLayout()
        review_row.addWidget(self.review_label, 1)
        review_row.addWidget(self.interval)
        review_row.addWidget(self.review_button)
        layout.addLayout(review_row)
        layout.addLayout(form)
        steps_box = QGroupBox(self.tr("Checklist (draft)"))
        steps_layout = QVBoxLayout(steps_box)
        steps_row = QHBoxLayout()
        steps_row.addWidget(self.step_list, 3)
        steps_row.addWidget(self.step_editor, 2)
        steps_layout.addLayout(steps_row)
        steps_layout.addLayout(step_buttons)
        layout.addWidget(steps_box, 3)
        layout.addWidget(self.problems)
        layout.addLayout(actions)
        layout.addWidget(history, 2)

        self.name.textEdited.connect(self._mark_dirty)
        self.plan.textEdited.connect(self._mark_dirty)
        self.category.activated.connect(self._mark_dirty)
        self.segment.activated.connect(self._mark_dirty)
        self.step_list.currentRowChanged.connect(self._step_selected)
        self.step_editor.edited.connect(self._step_edited)
        self.add_button.clicked.connect(self.add_step)
        self.remove_button.clicked.connect(self.remove_step)
        self.up_button.clicked.connect(lambda: self.move_step(-1))
        self.down_button.clicked.connect(lambda: self.move_step(1))
        self.save_button.clicked.connect(self.save)
        self.publish_button.clicked.connect(self.publish)
        self.discard_button.clicked.connect(lambda: self.policy and self.load(self.policy.id))
        self.versions.currentRowChanged.connect(self._version_selected)
        self.compare_with.activated.connect(lambda _i: self._version_selected(self.versions.currentRow()))
        self.rollback_button.clicked.connect(self.ask_roll_back)
        self.review_button.clicked.connect(self.ask_review)
        self.backtest_button.clicked.connect(self.open_backtest)
        self.interval.editingFinished.connect(self._interval_changed)
        self.setEnabled(False)

    # -- loading ---------------------------------------------------------------
    def load(self, policy_id: int) -> None:
        try:
            policy = policies.get(self._db, policy_id)
            versions = policies.versions(self._db, policy_id)
        except AmendsError as error:
            show_error(self, error)
            return
        self.policy = policy
        self.steps = [Step(**vars(s)) for s in policy.draft]
        self.setEnabled(True)
        self.title.setText(self.tr("<h2>{0}</h2><p>{1} · last edited {2} by {3}</p>").format(
            html.escape(policy.name), html.escape(policy.status), html.escape(policy.updated_at[:16].replace("T", " ")),
            html.escape(policy.updated_by)))
        self.name.setText(policy.name)
        self.category.setCurrentIndex(self.category.findData(policy.category))
        self.segment.setCurrentIndex(self.segment.findData(policy.segment))
        self.plan.setText(policy.plan or "")
        self._fill_steps(0)
        self._versions = versions
        self.versions.clear()
        for v in versions:
            QListWidgetItem(f"v{v.number} · {v.published_at[:10]} · {v.published_by}\n{v.note}", self.versions)
        self.compare_with.blockSignals(True)
        self.compare_with.clear()
        self.compare_with.addItem(self.tr("the version before"), None)
        for v in versions:
            self.compare_with.addItem(f"v{v.number}", v.number)
        self.compare_with.blockSignals(False)
        self.interval.blockSignals(True)
        self.interval.setValue(policy.review_interval_days)
        self.interval.blockSignals(False)
        state = policy_history.review_state(policy)
        past = policy_history.reviews(self._db, policy_id)
        last = (self.tr("Last review {0} by {1}: “{2}”").format(past[0].reviewed_at[:10], html.escape(past[0].reviewed_by),
                                                               html.escape(past[0].note)) if past
                else self.tr("Never reviewed"))
        self.review_label.setText(self.tr("<b>{0}Review {1}</b> (every {2} days) · {3}").format(
            "⚑ " if state.days_left < 0 else "", html.escape(state.label), policy.review_interval_days, last))
        if versions:
            self.versions.setCurrentRow(0)
        else:
            self.version_view.setHtml(self.tr("<i>Not published yet.</i>"))
        self.rollback_button.setEnabled(len(versions) > 1)
        self.dirty = False
        self._validate()

    def _fill_steps(self, select: int) -> None:
        self.step_list.blockSignals(True)
        self.step_list.clear()
        for number, step in enumerate(self.steps, start=1):
            QListWidgetItem(f"{number}. {step.describe()}", self.step_list)
        self.step_list.blockSignals(False)
        if self.steps:
            self.step_list.setCurrentRow(min(max(0, select), len(self.steps) - 1))
        self._step_selected(self.step_list.currentRow())

    def _step_selected(self, row: int) -> None:
        self.step_editor.show_step(self.steps[row] if 0 <= row < len(self.steps) else None)
        self.remove_button.setEnabled(0 <= row < len(self.steps))
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < len(self.steps) - 1)

    def _version_selected(self, row: int) -> None:
        if not 0 <= row < len(getattr(self, "_versions", [])):
            return
        v = self._versions[row]
        other_number = self.compare_with.currentData()
        versions = {x.number: x for x in self._versions}
        other = versions.get(other_number) if other_number is not None else versions.get(v.number - 1)
        head = (f"<p><b>v{v.number}</b> published {html.escape(v.published_at[:16].replace('T', ' '))}"
                f" by {html.escape(v.published_by)}</p><p><i>{html.escape(v.note)}</i></p>")
        if other is None or other.number == v.number:
            items = "".join(f"<li>{html.escape(s.describe())}</li>" for s in v.steps)
            self.version_view.setHtml(head + f"<ol>{items}</ol>")
        else:
            old, new = (other, v) if other.number < v.number else (v, other)
            self.version_view.setHtml(head + compare_html(old, new))
        self.rollback_button.setEnabled(row > 0)

    # -- editing ---------------------------------------------------------------
    def _mark_dirty(self, *_args) -> None:
        self.dirty = True
        self._validate()

    def _step_edited(self) -> None:
        row = self.step_list.currentRow()
        if 0 <= row < len(self.steps):
            self.steps[row] = self.step_editor.step()
            self.step_list.item(row).setText(f"{row + 1}. {self.steps[row].describe()}")
            self._mark_dirty()

    def add_step(self) -> None:
        kind = self.add_type.currentData()
        step = Step(kind, days=7 if kind == "check_in" else None,
                    offer_kind="percent_next_cycle" if kind == "save_offer" else None,
                    offer_min=0 if kind == "save_offer" else None, offer_max=10 if kind == "save_offer" else None)
        self.steps.append(step)
        self._fill_steps(len(self.steps) - 1)
        self._mark_dirty()

    def remove_step(self) -> None:
        row = self.step_list.currentRow()
        if 0 <= row < len(self.steps):
            del self.steps[row]
            self._fill_steps(row)
            self._mark_dirty()

    def move_step(self, delta: int) -> None:
        row = self.step_list.currentRow()
        target = row + delta
        if 0 <= row < len(self.steps) and 0 <= target < len(self.steps):
            self.steps[row], self.steps[target] = self.steps[target], self.steps[row]
            self._fill_steps(target)
            self._mark_dirty()

    def _fields(self) -> dict:
        return {"name": self.name.text(), "category": self.category.currentData(),
                "segment": self.segment.currentData(), "plan": self.plan.text().strip() or None,
                "steps": list(self.steps)}

    def _validate(self) -> list[tuple[str, str]]:
        fields = self._fields()
        problems = policies.validate(fields["name"], fields["category"], fields["segment"], fields["steps"])
        self.problems.setText("\n".join(f"⚠ {f}: {r}" for f, r in problems))
        self.save_button.setEnabled(self.dirty and not problems)
        self.discard_button.setEnabled(self.dirty)
        self.publish_button.setEnabled(not problems and (self.dirty or bool(self.policy and self.policy.draft_dirty)))
        return problems

    def save(self) -> bool:
        if self.policy is None:
            return False
        version, fields = self.policy.version, self._fields()
        return self._apply(lambda pid: policies.save_draft(self._db, pid, version, **fields),
                           on_conflict=self._draft_conflict)

    def _reloaded(self, policy_id: int) -> None:
        self.load(policy_id)
        self.saved.emit(policy_id)

    def _draft_conflict(self, error: ConflictError) -> QMessageBox:
        """Someone saved this draft since it was loaded: show theirs, offer to
        reload it or to keep mine (an explicit, audited overwrite)."""
        fields = self._fields()
        theirs = policies.get(self._db, self.policy.id)
        text = self.tr("{0} saved this draft since you opened it; nothing of yours was saved yet.\n\n"
                       "Their steps:\n{1}\n\nYour steps:\n{2}").format(
            error.by or self.tr("Someone"),
            "\n".join(f"  {i}. {s.describe()}" for i, s in enumerate(theirs.draft, start=1)),
            "\n".join(f"  {i}. {s.describe()}" for i, s in enumerate(fields["steps"], start=1)))
        policy_id = self.policy.id
        box = conflict_box(self, self.tr("Draft changed by someone else"), text,
                           lambda: policies.save_draft(self._db, policy_id, theirs.version, **fields),
                           lambda: self._reloaded(policy_id))
        box.setObjectName("draftConflictBox")
        self.conflict_box = box
        return box

    def publish(self) -> None:
        if self.policy is None:
            return
        if self.dirty and not self.save():
            return
        dialog = PublishDialog(self.policy.name, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.publish_note(dialog.note.toPlainText())

    def _apply(self, change, on_conflict=None) -> bool:
        """Run a core change of this policy; reload and tell the pane, or
        show why it was refused (``on_conflict``: someone saved it first)."""
        try:
            change(self.policy.id)
        except ConflictError as error:
            if on_conflict is None:
                show_error(self, error)
            else:
                on_conflict(error)
            return False
        except AmendsError as error:
            show_error(self, error)
            return False
        self._reloaded(self.policy.id)
        return True

    def publish_note(self, note: str) -> None:
        self._apply(lambda pid: policies.publish(self._db, pid, note, expected_version=self.policy.version))

    # -- history and review ------------------------------------------------------
    def ask_roll_back(self) -> None:
        row = self.versions.currentRow()
        if self.policy is None or row <= 0:
            return
        number = self._versions[row].number
        dialog = NoteDialog(self.tr("Roll back to v{0}").format(number),
                            self.tr("Publish the steps of v{0} again as a new version. Why?").format(number),
                            self.tr("Roll back"), self, "rollBackDialog")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.roll_back(number, dialog.note.toPlainText())

    def roll_back(self, number: int, note: str) -> None:
        self._apply(lambda pid: policy_history.roll_back(self._db, pid, number, note))

    def _interval_changed(self) -> None:
        if not self.isVisible() or self.policy is None or self.interval.value() == self.policy.review_interval_days:
            return
        if not self._apply(lambda pid: policy_history.set_review_interval(self._db, pid, self.interval.value())):
            self.load(self.policy.id)

    def open_backtest(self) -> BacktestDialog | None:
        if self.policy is None:
            return None
        if self.dirty and not self.save():
            return None
        dialog = BacktestDialog(self._db, self.policy.id, self.policy.name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.backtest_dialog = dialog
        dialog.open()
        dialog.run()
        return dialog

    def ask_review(self) -> None:
        if self.policy is None:
            return
        dialog = NoteDialog(self.tr("Review {0}").format(self.policy.name),
                            self.tr("What did you look at, and what did you find?"), self.tr("Mark reviewed"),
                            self, "reviewDialog")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.mark_reviewed(dialog.note.toPlainText())

    def mark_reviewed(self, note: str) -> None:
        self._apply(lambda pid: policy_history.mark_reviewed(self._db, pid, note))


def compare_html(old: policies.PolicyVersion, new: policies.PolicyVersion) -> str:
    """Two versions side by side, step by step, changes marked in words."""
    marks = {"same": ("", ""), "changed": ("changed", "#fff4d6"), "added": ("added", "#e9f5ec"),
             "removed": ("removed", "#fbe9e7")}
    rows = []
    for change in policy_history.compare(old.steps, new.steps):
        word, colour = marks[change.kind]
        left = html.escape(change.old.describe()) if change.old else ""
        right = html.escape(change.new.describe()) if change.new else ""
        rows.append(f"<tr style='background:{colour or 'transparent'}'><td>{left}</td><td>{right}</td>"
                    f"<td><i>{word}</i></td></tr>")
    return (f"<table width='100%' cellpadding='4'><tr><th align='left'>v{old.number}</th>"
            f"<th align='left'>v{new.number}</th><th></th></tr>{''.join(rows)}</table>")
