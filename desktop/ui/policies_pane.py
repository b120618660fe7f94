"""The Policies pane (relations side): the policy list, a step editor for
drafts with validation as you type, Publish with a note, and the read-only
history of published versions."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
    QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QSpinBox,
    QSplitter, QTableView, QTextBrowser, QVBoxLayout, QWidget,
)

from desktop.core import policies
from desktop.core.errors import AmendsError, ConflictError
from desktop.core.policies import Step
from desktop.core.store import Database
from desktop.core.vocabulary import CATEGORIES, OFFER_KINDS, SEGMENTS, STEP_TYPES, category_name
from desktop.ui.messages import show_error

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Category", "Segment", "Status", "Version", "Last reviewed")


class PolicyListModel(QAbstractTableModel):
    """All policies (tens, not thousands: one query loads them)."""

    def __init__(self, db: Database, parent=None) -> None:
        super().__init__(parent)
        self._db = db
        self.items: list[policies.Policy] = []

    def reload(self) -> None:
        self.beginResetModel()
        self.items = policies.list_policies(self._db)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        p = self.items[index.row()]
        return (p.name, category_name(p.category), SEGMENTS.get(p.segment, p.segment) + (f" · {p.plan}" if p.plan else ""),
                p.status, f"v{p.current_number}" if p.current_number else "—",
                (p.last_reviewed_at or p.published_at or "")[:10] or "never")[index.column()]

    def row_of(self, policy_id: int) -> int | None:
        return next((i for i, p in enumerate(self.items) if p.id == policy_id), None)


class PublishDialog(QDialog):
    """Publishing needs a note that says why."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("publishDialog")
        self.setWindowTitle(self.tr("Publish {0}").format(name))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Why are you publishing this version? Everyone resolving tickets from now "
                                        "on follows it; earlier resolutions keep their version.")))
        self.note = QPlainTextEdit()
        self.note.setObjectName("publishNote")
        self.note.setAccessibleName(self.tr("Publish note"))
        layout.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton(self.tr("Publish"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled(False)
        self.note.textChanged.connect(lambda: self.ok.setEnabled(bool(self.note.toPlainText().strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class StepEditor(QGroupBox):
    """Parameters of the selected step; shows only what its type needs."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Step"))
        form = QFormLayout(self)
        self.type = QComboBox()
        self.type.setObjectName("stepType")
        for key, name in STEP_TYPES.items():
            self.type.addItem(name, key)
        self.label = QLineEdit()
        self.label.setObjectName("stepLabel")
        self.label.setPlaceholderText(self.tr("Detail shown in the checklist (required for a custom step)"))
        self.days = QSpinBox()
        self.days.setObjectName("stepDays")
        self.days.setRange(0, 365)
        self.days.setSuffix(self.tr(" days"))
        self.offer_kind = QComboBox()
        self.offer_kind.setObjectName("offerKind")
        for key, name in OFFER_KINDS.items():
            self.offer_kind.addItem(name, key)
        self.offer_min = QDoubleSpinBox()
        self.offer_min.setObjectName("offerMin")
        self.offer_max = QDoubleSpinBox()
        self.offer_max.setObjectName("offerMax")
        for spin in (self.offer_min, self.offer_max):
            spin.setRange(0, 100_000)
            spin.setDecimals(2)
        for widget, name in ((self.type, "Step type"), (self.label, "Step detail"), (self.days, "Check-in after days"),
                             (self.offer_kind, "Offer kind"), (self.offer_min, "Minimum offer"),
                             (self.offer_max, "Maximum offer")):
            widget.setAccessibleName(self.tr(name))
        form.addRow(self.tr("Type"), self.type)
        form.addRow(self.tr("Detail"), self.label)
        form.addRow(self.tr("Check in after"), self.days)
        form.addRow(self.tr("Offer kind"), self.offer_kind)
        form.addRow(self.tr("Minimum"), self.offer_min)
        form.addRow(self.tr("Maximum"), self.offer_max)
        self._form = form
        self._loading = False
        self.type.activated.connect(self._changed)
        self.label.textEdited.connect(self._changed)
        for spin in (self.days, self.offer_min, self.offer_max):
            spin.valueChanged.connect(self._changed)
        self.offer_kind.activated.connect(self._changed)

    def show_step(self, step: Step | None) -> None:
        self._loading = True
        self.setEnabled(step is not None)
        step = step or Step("apology")
        self.type.setCurrentIndex(self.type.findData(step.type))
        self.label.setText(step.label)
        self.days.setValue(step.days or 0)
        self.offer_kind.setCurrentIndex(max(0, self.offer_kind.findData(step.offer_kind)))
        self.offer_min.setValue(step.offer_min or 0)
        self.offer_max.setValue(step.offer_max or 0)
        self._loading = False
        self._visibility(step.type)

    def _visibility(self, kind: str) -> None:
        for widget, show in ((self.days, kind == "check_in"), (self.offer_kind, kind == "save_offer"),
                             (self.offer_min, kind == "save_offer"), (self.offer_max, kind == "save_offer")):
            self._form.setRowVisible(widget, show)

    def step(self) -> Step:
        kind = self.type.currentData()
        return Step(kind, self.label.text(),
                    self.days.value() if kind == "check_in" else None,
                    self.offer_kind.currentData() if kind == "save_offer" else None,
                    self.offer_min.value() if kind == "save_offer" else None,
                    self.offer_max.value() if kind == "save_offer" else None)

    def _changed(self, *_args) -> None:
        if self._loading:
            return
        kind = self.type.currentData()
        if kind == "check_in" and self.days.value() == 0:
            self._loading = True
            self.days.setValue(7)
            self._loading = False
        self._visibility(kind)
        self.edited.emit()


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
        self.discard_button = QPushButton(self.tr("Discard changes"))
        self.discard_button.setObjectName("discard")
        actions = QHBoxLayout()
        actions.addWidget(self.discard_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        actions.addWidget(self.publish_button)

        self.versions = QListWidget()
        self.versions.setObjectName("versionList")
        self.versions.setAccessibleName(self.tr("Published versions"))
        self.version_view = QTextBrowser()
        self.version_view.setObjectName("versionView")
        self.version_view.setAccessibleName(self.tr("Published version steps"))
        history = QGroupBox(self.tr("Published versions (read-only)"))
        history_layout = QHBoxLayout(history)
        history_layout.addWidget(self.versions, 1)
        history_layout.addWidget(self.version_view, 2)

        self.title = QLabel()
        self.title.setObjectName("policyTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
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
        self.title.setText(f"<h2>{html.escape(policy.name)}</h2><p>{html.escape(policy.status)} · "
                           f"last edited {html.escape(policy.updated_at[:16].replace('T', ' '))} by "
                           f"{html.escape(policy.updated_by)}</p>")
        self.name.setText(policy.name)
        self.category.setCurrentIndex(self.category.findData(policy.category))
        self.segment.setCurrentIndex(self.segment.findData(policy.segment))
        self.plan.setText(policy.plan or "")
        self._fill_steps(0)
        self._versions = versions
        self.versions.clear()
        for v in versions:
            QListWidgetItem(f"v{v.number} · {v.published_at[:10]} · {v.published_by}\n{v.note}", self.versions)
        if versions:
            self.versions.setCurrentRow(0)
        else:
            self.version_view.setHtml(self.tr("<i>Not published yet.</i>"))
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
        items = "".join(f"<li>{html.escape(s.describe())}</li>" for s in v.steps)
        self.version_view.setHtml(f"<p><b>v{v.number}</b> published {html.escape(v.published_at[:16].replace('T', ' '))}"
                                  f" by {html.escape(v.published_by)}</p><p><i>{html.escape(v.note)}</i></p><ol>{items}</ol>")

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
        try:
            policies.save_draft(self._db, self.policy.id, self.policy.version, **self._fields())
        except ConflictError as error:
            show_error(self, error, self.tr("Changed by someone else"))
            return False
        except AmendsError as error:
            show_error(self, error)
            return False
        policy_id = self.policy.id
        self.load(policy_id)
        self.saved.emit(policy_id)
        return True

    def publish(self) -> None:
        if self.policy is None:
            return
        if self.dirty and not self.save():
            return
        dialog = PublishDialog(self.policy.name, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.publish_note(dialog.note.toPlainText())

    def publish_note(self, note: str) -> None:
        try:
            policies.publish(self._db, self.policy.id, note, expected_version=self.policy.version)
        except AmendsError as error:
            show_error(self, error)
            return
        policy_id = self.policy.id
        self.load(policy_id)
        self.saved.emit(policy_id)


class PoliciesPane(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.model = PolicyListModel(db, self)
        self.table = QTableView()
        self.table.setObjectName("policyTable")
        self.table.setAccessibleName(self.tr("Policies"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.new_button = QPushButton(self.tr("New policy"))
        self.new_button.setObjectName("newPolicy")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel(self.tr("<h3>Policies</h3>What we do for the next 1,000 customers like this. "
                                             "Edit a draft, then publish it.")))
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.new_button)
        self.editor = PolicyEditor(db)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("policiesSplitter")
        splitter.addWidget(left)
        splitter.addWidget(self.editor)
        splitter.setSizes([620, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self.editor.saved.connect(self._saved)
        self.new_button.clicked.connect(self.new_policy)
        self.refresh()
        if self.model.rowCount():
            self.table.selectRow(0)

    def refresh(self) -> None:
        current = self.editor.policy.id if self.editor.policy else None
        self.model.reload()
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if current is not None:
            self.select_policy(current)

    def select_policy(self, policy_id: int) -> None:
        row = self.model.row_of(policy_id)
        if row is not None:
            self.table.selectionModel().blockSignals(True)
            self.table.selectRow(row)
            self.table.selectionModel().blockSignals(False)

    def _selected(self, current, _previous) -> None:
        if current.isValid():
            self.editor.load(self.model.items[current.row()].id)

    def _saved(self, policy_id: int) -> None:
        self.refresh()
        self.select_policy(policy_id)

    def new_policy(self) -> None:
        try:
            policy_id = policies.create(self._db, self.tr("New policy"), "other", "any")
        except AmendsError as error:
            show_error(self, error)
            return
        self.refresh()
        row = self.model.row_of(policy_id)
        if row is not None:
            self.table.selectRow(row)
        self.editor.name.setFocus()
        self.editor.name.selectAll()
