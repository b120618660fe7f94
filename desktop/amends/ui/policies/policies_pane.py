"""The Policies pane (relations side): the policy list with review status,
the policy editor, and the proposals filed from the inbox."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from amends.core import policies, policy_history
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.core.vocabulary import SEGMENTS, category_name
from amends.ui.common.databus import Changed
from amends.ui.common.messages import show_error
from amends.ui.common.note_dialog import NoteDialog, PublishDialog  # noqa: F401 (re-exported for callers)
from amends.ui.common.rows_model import ListModel
from amends.ui.policies.policy_editor import PolicyEditor
from amends.ui.policies.policy_review import PolicyReviewDialog, UpstreamFixDialog
from amends.ui.policies.proposals_box import ProposalsBox
from amends.ui.policies.rules_box import RulesBox

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Category", "Segment", "Status", "Version", "Review")


class PolicyListModel(ListModel):
    """All policies (tens, not thousands: one query loads them)."""

    headers = COLUMNS

    def __init__(self, db: Database, parent=None) -> None:
        super().__init__(parent)
        self._db = db
        self.items: list[policies.Policy] = []

    def reload(self) -> None:
        self.beginResetModel()
        self.items = policies.list_policies(self._db)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        p = self.items[index.row()]
        if index.column() == 5:
            state = policy_history.review_state(p)
            text = ("⚑ " if state.days_left < 0 else "") + state.label
            if role == Qt.ItemDataRole.ToolTipRole:
                text += f" (last looked at {state.last_reviewed[:10]}, every {p.review_interval_days} days)"
            return text
        return (p.name, category_name(p.category), SEGMENTS.get(p.segment, p.segment) + (f" · {p.plan}" if p.plan else ""),
                p.status, f"v{p.current_number}" if p.current_number else "—")[index.column()]

    def row_of(self, policy_id: int) -> int | None:
        return next((i for i, p in enumerate(self.items) if p.id == policy_id), None)


class PoliciesPane(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.model = PolicyListModel(db, self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.table.setObjectName("policyTable")
        self.table.setAccessibleName(self.tr("Policies"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.new_button = QPushButton(self.tr("New policy"))
        self.new_button.setObjectName("newPolicy")
        self.review_button = QPushButton(self.tr("Review this policy…"))
        self.review_button.setObjectName("reviewPolicy")
        self.review_button.setToolTip(self.tr("Its quarter on one page, ending in keep, change or retire"))
        self.upstream_button = QPushButton(self.tr("Record an upstream fix…"))
        self.upstream_button.setObjectName("upstreamFix")
        self.upstream_button.setToolTip(self.tr("A change made outside support (packing, supplier, website), "
                                                "measured before and after like a policy version"))
        buttons = QHBoxLayout()
        for button in (self.new_button, self.review_button, self.upstream_button):
            buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel(self.tr("<h3>Policies</h3>What we do for the next 1,000 customers like this. "
                                             "Edit a draft, then publish it.")))
        left_layout.addWidget(self.table, 2)
        left_layout.addLayout(buttons)
        self.proposals = ProposalsBox(db)
        self.proposals.setObjectName("proposalsBox")
        left_layout.addWidget(self.proposals, 1)
        self.rules = RulesBox(db)
        self.rules.setObjectName("rulesBox")
        left_layout.addWidget(self.rules, 1)
        self.editor = PolicyEditor(db)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("policiesSplitter")
        # The list, proposals and rules scroll together when the window is short (a 720 px
        # laptop): stacked, their minimum heights made the window taller than the screen.
        left_scroll = QScrollArea()
        left_scroll.setObjectName("policiesLeft")
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        left_scroll.setWidget(left)
        splitter.addWidget(left_scroll)
        splitter.addWidget(self.editor)
        splitter.setChildrenCollapsible(False)
        # The list gets the width its columns need on a 1,280 px laptop (the editor's minimum is ~500 px):
        # with 620:800 the stretched Name column was what gave way, to "Da… ship…".
        splitter.setSizes([720, 580])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self.editor.saved.connect(self._saved)
        self.new_button.clicked.connect(self.new_policy)
        self.review_button.clicked.connect(self.review_policy)
        self.upstream_button.clicked.connect(self.record_upstream_fix)
        self.proposals.accepted.connect(self._open_draft)
        self.refresh()
        if self.model.rowCount():
            self.table.selectRow(0)

    def _select(self, policy_id: int) -> None:
        """Read the list again and select ``policy_id`` in it (if it is listed)."""
        self.refresh()
        row = self.model.row_of(policy_id)
        if row is not None:
            self.table.selectRow(row)

    def _open_draft(self, policy_id: int) -> None:
        """An accepted proposal: show the policy concerned, ready to edit."""
        self._select(policy_id)
        self.editor.load(policy_id)
        self.editor.step_list.setFocus()

    def on_data_changed(self, what: int) -> None:
        """Subscribed to the window's DataBus. An edit in progress is not
        thrown away: the list waits until the draft is saved."""
        if what & Changed.REPLACED:  # a restore: the list anew; a clean editor reloads (a dirty one's save
            self.refresh()           # carries its old version, which the core refuses as a conflict)
            if self.editor.policy is not None and not self.editor.dirty \
                    and self.model.row_of(self.editor.policy.id) is not None:
                self.editor.load(self.editor.policy.id)
        elif what & Changed.POLICIES and not self.editor.dirty:
            self.refresh()
        elif what & Changed.PROPOSALS:
            self.proposals.reload()
        if what & Changed.POLICIES:
            self.rules.reload(self.rules.current().id if self.rules.current() else None)

    def refresh(self) -> None:
        current = self.editor.policy.id if self.editor.policy else None
        try:
            self.proposals.reload()
            self.model.reload()
        except AmendsError as error:
            show_error(self, error)
            return
        # Every column as wide as its contents, the Name too (it was the stretched one, squeezed to
        # "Da… ship…" by the others); the last column takes what is left.
        self.table.resizeColumnsToContents()
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

    def _current_policy(self) -> policies.Policy | None:
        index = self.table.currentIndex()
        return self.model.items[index.row()] if index.isValid() else None

    def review_policy(self) -> PolicyReviewDialog | None:
        """Open the review page of the selected policy (computed at once)."""
        policy = self._current_policy()
        if policy is None:
            return None
        dialog = PolicyReviewDialog(self._db, policy.id, self)
        dialog.decided.connect(self._decided)
        dialog.compute()
        dialog.open()
        return dialog

    def _decided(self, policy_id: int, choice: str) -> None:
        self.refresh()
        if choice == "change":
            self._open_draft(policy_id)

    def record_upstream_fix(self) -> UpstreamFixDialog:
        policy = self._current_policy()
        dialog = UpstreamFixDialog(self._db, policy.category if policy else None, policy.id if policy else None,
                                   self)
        dialog.open()
        return dialog

    def new_policy(self) -> None:
        try:
            policy_id = policies.create(self._db, self.tr("New policy"), "other", "any")
        except AmendsError as error:
            show_error(self, error)
            return
        self._select(policy_id)
        self.editor.name.setFocus()
        self.editor.name.selectAll()
