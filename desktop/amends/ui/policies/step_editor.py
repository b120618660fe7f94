"""The parameters of one step of a policy draft, showing only what its type
needs (days for a check-in, kind and range for a save offer); it says
``edited`` and the policy editor takes ``step()``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLineEdit, QSpinBox, QWidget

from amends.core.policies import Step
from amends.core.vocabulary import OFFER_KINDS, STEP_TYPES


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
