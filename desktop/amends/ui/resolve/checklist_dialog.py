"""The recovery checklist shown when a ticket is resolved.

It shows the steps of the current published policy for the ticket; each is
ticked done or given a reason for skipping, the save offer is entered within
the policy's bounds (or outside them with an override reason, flagged). The
same :func:`amends.core.resolution.check` rules as ``amends resolve`` run
as the person types, so the Resolve button only lights up when the
resolution is complete. Cancel writes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from amends.core import clock, drafts, local_drafts, replies, resolution
from amends.core.errors import AmendsError
from amends.core.policies import Step
from amends.core.store import Database
from amends.core.vocabulary import OFFER_KINDS

DRAFT_SAVE_MS = 600  # as the composer's (ticket/ticket_view.py)

log = logging.getLogger("amends.ui.checklist")


class _StepRow:
    """The widgets of one checklist step."""

    def __init__(self, dialog: ChecklistDialog, grid: QGridLayout, row: int, position: int, step: Step) -> None:
        self.position = position
        self.step = step
        title = QLabel(f"<b>{position + 1}.</b> {_escape(step.describe())}")
        title.setTextFormat(Qt.TextFormat.RichText)
        self.done = QCheckBox(dialog.tr("Done"))
        self.done.setObjectName(f"stepDone{position}")
        self.done.setAccessibleName(dialog.tr("Step {0} done").format(position + 1))
        self.reason = QLineEdit()
        self.reason.setObjectName(f"stepReason{position}")
        self.reason.setPlaceholderText(dialog.tr("Why is this step skipped?"))
        self.reason.setAccessibleName(dialog.tr("Reason for skipping step {0}").format(position + 1))
        if step.type == "survey":  # issue 17.5: the step sends its mail (core/surveys.py)
            self.done.setToolTip(dialog.tr("Done: when you resolve, the customer gets a short “How did we do?” "
                                           "mail; the answer (1–5) comes back into the Review."))
        grid.addWidget(title, row, 0)
        grid.addWidget(self.done, row, 1)
        grid.addWidget(self.reason, row, 2)
        self.detail: QLabel | None = None
        self._dialog = dialog
        if step.type == "check_in":
            self.detail = QLabel()
            self.detail.setObjectName("secondary")
            grid.addWidget(self.detail, row + 1, 0, 1, 3)
        suggested = dialog.suggested_replies.get(step.type, [])
        self.reply_button: QPushButton | None = None
        if suggested:  # the apology step offers the apology reply
            self.reply_button = QPushButton(dialog.tr("Reply: {0}").format(suggested[0].name))
            self.reply_button.setObjectName(f"stepReply{position}")
            self.reply_button.setAccessibleName(dialog.tr("Put the saved reply “{0}” in the composer").format(
                suggested[0].name))
            self.reply_button.clicked.connect(lambda: dialog.use_reply(suggested[0]))
            grid.addWidget(self.reply_button, row, 3)
        self.done.toggled.connect(self._sync)
        self.done.toggled.connect(dialog.update_state)
        self.reason.textChanged.connect(dialog.update_state)
        self._sync(False)

    def _sync(self, done: bool) -> None:
        self.reason.setEnabled(not done)
        if self.detail is not None:
            due = (clock.now() + timedelta(days=self.step.days or 0)).date().isoformat()
            self.detail.setText(self._dialog.tr("    ↳ the check-in comes back to the inbox on {0}").format(due)
                                if done else self._dialog.tr("    ↳ tick Done to schedule the check-in for {0}").format(due))

    def outcome(self) -> resolution.StepOutcome | None:
        if self.done.isChecked():
            return resolution.StepOutcome(self.position, True)
        text = self.reason.text().strip()
        return resolution.StepOutcome(self.position, False, text) if text else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ChecklistDialog(QDialog):
    #: A step's saved reply was chosen: (reply, the offer in words or None).
    reply_chosen = Signal(object, object)

    def __init__(self, db: Database, checklist: resolution.Checklist, parent: QWidget | None = None,
                 subject: str = "", *, also: list[int] | None = None,
                 versions: dict[int, int] | None = None) -> None:
        """``also``: more tickets of the same policy version, resolved with
        the same checklist (a bulk resolve shows the checklist once per policy).
        ``versions``: the version of each ticket when the checklist was shown
        (default: ``checklist``'s for its ticket); a ticket someone changed
        since is refused as a conflict, never resolved over their change."""
        super().__init__(parent)
        self.setObjectName("checklistDialog")
        self._db = db
        self.checklist = checklist
        self.also = list(also or [])
        self.versions = dict(versions or {})
        self.versions.setdefault(checklist.ticket_id, checklist.ticket_version)
        # The unfinished checklist is saved a moment after the last change, like the composer's text.
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(DRAFT_SAVE_MS)
        self.draft_timer.timeout.connect(self._save_draft)
        self.resolution_id: int | None = None
        self.resolved: list[int] = []
        self.failures: list[tuple[int, str]] = []
        self.suggested_replies: dict[str, list[replies.SavedReply]] = {}
        try:
            if not self.also:  # a reply belongs to one conversation
                for step in checklist.steps:
                    if step.type not in self.suggested_replies:
                        self.suggested_replies[step.type] = replies.for_step(db, step.type)
        except AmendsError as error:
            log.info("checklist without saved-reply buttons (replies not read): %s", error)
            self.suggested_replies = {}
        self.suggested_replies = {k: v for k, v in self.suggested_replies.items() if v}
        count = 1 + len(self.also)
        self.setWindowTitle(self.tr("Resolve ticket #{0}").format(checklist.ticket_id) if count == 1
                            else self.tr("Resolve {0} tickets").format(count))
        # Room for the step, Done, the reason and a step's saved reply.
        self.setMinimumWidth(900 if self.suggested_replies else 640)
        layout = QVBoxLayout(self)

        heading = QLabel(f"<h3>{_escape(subject) or self.tr('Resolve ticket')}</h3>")
        layout.addWidget(heading)
        if self.also:
            together = QLabel(self.tr("The same checklist is recorded for each of the {0} tickets: #{1}.").format(
                count, ", #".join(str(t) for t in [checklist.ticket_id, *self.also][:12]) +
                (" …" if count > 12 else "")))
            together.setObjectName("bulkResolveNote")
            together.setWordWrap(True)
            layout.addWidget(together)
        policy = QLabel()
        policy.setObjectName("policyLabel")
        policy.setWordWrap(True)
        if checklist.policy is None:
            policy.setText(self.tr("<b>No policy.</b> {0} The ticket can still be resolved; it is recorded as "
                                   "resolved with no policy, which the Review pane counts.").format(
                _escape(checklist.reason)))
        else:
            policy.setText(self.tr("<b>Recovery checklist</b> from {0}").format(_escape(checklist.reason)))
        layout.addWidget(policy)

        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(2, 2)
        self.rows: list[_StepRow] = []
        line = 0
        self.offer_value: QDoubleSpinBox | None = None
        self.override: QLineEdit | None = None
        offer_step = checklist.policy.offer_step() if checklist.policy else None
        for position, step in enumerate(checklist.steps):
            self.rows.append(_StepRow(self, grid, line, position, step))
            if step is offer_step:
                grid.addWidget(self._offer_frame(offer_step), line + 1, 0, 1, 3)
            line += 2
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(grid_host)
        layout.addWidget(scroll, 1)

        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: palette(highlight);")
        layout.addWidget(self.problems)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.resolve_button = self.buttons.addButton(self.tr("Resolve"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.resolve_button.setObjectName("resolveButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._restoring = True
        self.restored = self._restore_draft()
        self._restoring = False
        self.update_state()

    def _offer_frame(self, offer_step: Step) -> QFrame:
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        box = QHBoxLayout(frame)
        box.addWidget(QLabel(self.tr("Offer made ({0}):").format(OFFER_KINDS.get(offer_step.offer_kind or "", ""))))
        self.offer_value = QDoubleSpinBox()
        self.offer_value.setObjectName("offerValue")
        self.offer_value.setAccessibleName(self.tr("Offer value"))
        self.offer_value.setRange(0, 100_000)
        self.offer_value.setDecimals(2)
        self.offer_value.setValue(offer_step.offer_min or 0)
        box.addWidget(self.offer_value)
        self.bounds = QLabel(self.tr("approved range {0:g}–{1:g}").format(offer_step.offer_min, offer_step.offer_max))
        box.addWidget(self.bounds)
        self.override = QLineEdit()
        self.override.setObjectName("overrideReason")
        self.override.setAccessibleName(self.tr("Override reason"))
        self.override.setPlaceholderText(self.tr("Override reason (needed outside the range)"))
        box.addWidget(self.override, 1)
        self.offer_value.valueChanged.connect(self.update_state)
        self.override.textChanged.connect(self.update_state)
        return frame

    # -- state ---------------------------------------------------------------
    def outcomes(self) -> list[resolution.StepOutcome]:
        return [o for o in (row.outcome() for row in self.rows) if o is not None]

    def offer(self) -> resolution.Offer | None:
        if self.offer_value is None:
            return None
        offer_row = next((r for r in self.rows if r.step.type == "save_offer"), None)
        if offer_row is None or not offer_row.done.isChecked():
            return None
        reason = self.override.text().strip() if self.override else ""
        return resolution.Offer(self.offer_value.value(), override_reason=reason or None)

    def current_problems(self) -> list[tuple[str, str]]:
        return resolution.check(self.checklist, self.outcomes(), self.offer())

    # -- surviving a crash ------------------------------------------------------
    def state(self) -> dict:
        return {"policy_version_id": self.checklist.policy.id if self.checklist.policy else None,
                "steps": {str(r.position): {"done": r.done.isChecked(), "reason": r.reason.text()} for r in self.rows},
                "offer": self.offer_value.value() if self.offer_value is not None else None,
                "override": self.override.text() if self.override is not None else ""}

    def _restore_draft(self) -> bool:
        """An interrupted checklist for this ticket and policy version comes
        back as it was left."""
        state = local_drafts.load_checklist(self._db, self.checklist.ticket_id)
        if not state or state.get("policy_version_id") != (self.checklist.policy.id if self.checklist.policy else None):
            return False
        for row in self.rows:
            saved = state.get("steps", {}).get(str(row.position), {})
            row.done.setChecked(bool(saved.get("done")))
            row.reason.setText(str(saved.get("reason") or ""))
        if self.offer_value is not None and isinstance(state.get("offer"), (int, float)):
            self.offer_value.setValue(state["offer"])
        if self.override is not None:
            self.override.setText(str(state.get("override") or ""))
        return True

    @property
    def ticket_ids(self) -> list[int]:
        """Every ticket this checklist resolves, the shown one first."""
        return [self.checklist.ticket_id, *self.also]

    def _save_draft(self) -> None:
        self.draft_timer.stop()
        if self._restoring:
            return
        try:
            local_drafts.save_checklist(self._db, self.checklist.ticket_id, self.state())  # here if the server is away
        except AmendsError as error:
            log.info("checklist draft not saved (the dialog holds it; the next change tries again): %s", error)

    def reject(self) -> None:
        """Cancel writes nothing, and forgets the unfinished checklist."""
        self.draft_timer.stop()
        try:
            drafts.clear(self._db, self.checklist.ticket_id, "checklist")
        except AmendsError as error:
            log.info("cancelled checklist's draft not cleared (it is offered again next time): %s", error)
        super().reject()

    def update_state(self, *_args) -> None:
        if not self._restoring:
            self.draft_timer.start()
        problems = self.current_problems()
        offer = self.offer()
        offer_step = self.checklist.policy.offer_step() if self.checklist.policy else None
        flagged = ""
        if offer is not None and offer_step is not None and not (
                offer_step.offer_min <= offer.value <= offer_step.offer_max):
            flagged = self.tr("⚑ Outside the approved range: this offer will be flagged for review.")
        if self.offer_value is not None:
            enabled = offer is not None
            self.offer_value.setEnabled(enabled)
            self.override.setEnabled(enabled)
        # Steps nobody has touched yet are summed up in one line, not listed.
        untouched = [f for f, r in problems if f.startswith("step ") and r.endswith("mark it done or skipped")]
        lines = [f"⚠ {field}: {reason}" if field else f"⚠ {reason}" for field, reason in problems
                 if field not in untouched]
        if untouched:
            lines.insert(0, self.tr("1 step still needs “Done” or a reason for skipping.") if len(untouched) == 1
                         else self.tr("{0} steps still need “Done” or a reason for skipping.").format(len(untouched)))
        if flagged:
            lines.append(flagged)
        self.problems.setText("\n".join(lines))
        self.resolve_button.setEnabled(not problems)

    def use_reply(self, reply: replies.SavedReply) -> None:
        offer = self.offer()
        kind = self.checklist.policy.offer_step().offer_kind if self.checklist.policy and \
            self.checklist.policy.offer_step() else None
        self.reply_chosen.emit(reply, replies.offer_text(kind, offer.value) if offer else None)

    def accept(self) -> None:
        """Write the resolution of each ticket (its own transaction), checked
        against the version it had when the checklist was shown. One ticket:
        a refusal keeps the dialog open with the message. Several: the ones
        refused (changed by someone else, resolved meanwhile, policy changed)
        are listed in ``failures`` and the rest are resolved."""
        self.draft_timer.stop()
        policy_id = self.checklist.policy.id if self.checklist.policy else None
        outcomes, offer = self.outcomes(), self.offer()
        self.resolved, self.failures = [], []
        for ticket_id in self.ticket_ids:
            try:
                made = resolution.resolve(self._db, ticket_id, policy_id, outcomes, offer,
                                          expected_version=self.versions.get(ticket_id))
            except AmendsError as error:
                log.warning("ticket %s not resolved: %s", ticket_id, error)
                self.failures.append((ticket_id, str(error)))
                continue
            self.resolved.append(ticket_id)
            if ticket_id == self.checklist.ticket_id:
                self.resolution_id = made
        if not self.resolved:
            self.problems.setText("\n".join(f"⚠ {reason}" if len(self.failures) == 1 else f"⚠ #{t}: {reason}"
                                            for t, reason in self.failures))
            self.resolve_button.setEnabled(False)
            return
        try:
            drafts.clear(self._db, self.checklist.ticket_id, "checklist")
        except AmendsError as error:
            log.info("resolved; the leftover draft no longer matches anything: %s", error)
        super().accept()
