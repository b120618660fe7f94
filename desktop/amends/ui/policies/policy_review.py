"""Policies pane → "Review this policy": one page with the policy's quarter
(core/insights/policy_pack.py computes it, off the UI thread), ending in a
decision recorded with a note: keep, change (the editor opens on its draft)
or retire. Also the small dialog that records an upstream fix.

``pack_html`` is shared with the quarterly report (one page per policy)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends.core import clock, money, policy_decisions, upstream
from amends.core.errors import AmendsError
from amends.core.insights import last_full_quarter, policy_pack
from amends.core.insights.period import FIRST_DAY, LAST_DAY, Period
from amends.core.store import Database
from amends.core.vocabulary import CATEGORIES, OFFER_KINDS, STEP_TYPES, category_name
from amends.ui.common import ops
from amends.ui.common.messages import show_error


def _amounts(cost: tuple[dict[str, float], bool, int]) -> str:
    amounts, estimated, unpriced = cost
    text = " + ".join(f"{a:,.{money.exponent(c)}f} {c}" for c, a in amounts.items()) or "nothing"
    if estimated:
        text = f"≈ {text} (estimated)"
    return text + (f" · {unpriced} not priced" if unpriced else "")


def pack_html(pack: policy_pack.PolicyPack) -> str:
    """The pack as one page of HTML (the dialog and the PDF report)."""
    p = pack.policy
    rows = []

    def row(label: str, value: str) -> None:
        rows.append(f"<tr><td><b>{escape(label)}</b></td><td>{value}</td></tr>")

    row("Tickets covered", f"{pack.tickets:,} (resolved under it in the period)")
    row("Checklist completion", f"{pack.completion:.0%} ({pack.complete:,} of {pack.resolutions:,} resolutions "
                                f"with every step done)")
    row("Recovery cost", escape(_amounts(pack.cost)))
    row("Churn of its customers", f"{pack.churn.churned:,} of {pack.churn.customers:,} ({pack.churn.rate:.1%}, "
                                  f"95 % {pack.churn.ci95[0]:.1%}–{pack.churn.ci95[1]:.1%}) within "
                                  f"{pack.window_days} days; {pack.churn_excluded:,} left out (no subscription "
                                  "or window not over)")
    row("Satisfaction", f"surveys sent in {pack.surveys_done:,} of {pack.surveys_asked:,} checklists that had "
                        "one (Amends records that a survey went out, not its score)")
    bounds = pack.bounds
    if bounds is not None:
        row("Approved offer", escape(f"{bounds.offer_min:g}–{bounds.offer_max:g} "
                                     f"{OFFER_KINDS.get(bounds.offer_kind or '', '')}"))
    parts = [f"<h2>{escape(p.name)}</h2><p>{escape(category_name(p.category))} · {escape(p.status)} · "
             f"{escape(pack.period.label())}</p><table cellspacing='4'>{''.join(rows)}</table>"]
    if pack.offers:
        parts.append("<h3>Offers by person</h3><table cellspacing='4'><tr><th>Person</th><th>Offers</th>"
                     "<th>Min</th><th>Median</th><th>Max</th><th>Outside the bounds</th></tr>" + "".join(
                         f"<tr><td>{escape(o.actor)}</td><td>{o.count}</td><td>{o.min:g}</td><td>{o.median:g}</td>"
                         f"<td>{o.max:g}</td><td>{o.out_of_range}</td></tr>" for o in pack.offers) + "</table>")
    if pack.skipped:
        parts.append("<h3>Skipped steps</h3><ul>" + "".join(
            f"<li>{escape(s.actor)}: {escape(STEP_TYPES.get(s.step, s.step))} × {s.count} — "
            f"{escape(s.reason or 'no reason given')}</li>" for s in pack.skipped) + "</ul>")
    if pack.themes:
        parts.append("<h3>Themes in its category</h3><ul>" + "".join(
            f"<li>{escape(t.theme)}: {'≈ ' if t.estimated else ''}{t.tickets:,} (previous {t.previous:,})"
            f"{' · covered by ' + escape(t.covered_by) if t.covered_by else ' · not covered'}</li>"
            for t in pack.themes) + "</ul>")
    if pack.proposals:
        parts.append("<h3>Open proposals</h3><ul>" + "".join(
            f"<li>#{q.id} {escape(q.text)} ({len(q.ticket_ids)} tickets, {escape(q.created_by)})</li>"
            for q in pack.proposals) + "</ul>")
    history = [(v.published_at, f"v{v.number} published by {v.published_by}: {v.note}") for v in pack.versions]
    history += [(d.decided_at, f"decision by {d.decided_by}: {d.label()}") for d in pack.decisions]
    history += [(m.change.effective_at, f"upstream fix ({m.change.scope}): {m.change.what} — {m.reason}")
                for m in pack.upstream]
    parts.append("<h3>History</h3><ul>" + "".join(
        f"<li>{escape(at[:10])} {escape(text)}</li>" for at, text in sorted(history, reverse=True)) + "</ul>")
    return "".join(parts)


class PolicyReviewDialog(QDialog):
    """One policy's quarter and the decision that ends its review."""

    #: keep / change / retire recorded; for "change" the pane opens the draft.
    decided = Signal(int, str)

    def __init__(self, db: Database, policy_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.policy_id = policy_id
        self.pack: policy_pack.PolicyPack | None = None
        self.setWindowTitle(self.tr("Review this policy"))
        self.resize(900, 760)
        period = last_full_quarter(clock.now().date())
        self.since, self.until = QDateEdit(), QDateEdit()
        for edit, day, name in ((self.since, period.since, "From"), (self.until, period.until, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDateRange(FIRST_DAY, LAST_DAY)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.setAccessibleName(self.tr(name))
        self.compute_button = QPushButton(self.tr("Compute"))
        self.compute_button.setObjectName("computePack")
        self.page = QTextBrowser()
        self.page.setObjectName("policyPack")
        self.page.setOpenLinks(False)
        self.keep = QRadioButton(self.tr("Keep it"))
        self.change = QRadioButton(self.tr("Change it (opens the draft)"))
        self.retire = QRadioButton(self.tr("Retire it"))
        self.choices = QButtonGroup(self)
        for button, name in ((self.keep, "keep"), (self.change, "change"), (self.retire, "retire")):
            button.setObjectName(f"decision_{name}")
            self.choices.addButton(button)
        self.keep.setChecked(True)
        self.note = QPlainTextEdit()
        self.note.setObjectName("decisionNote")
        self.note.setPlaceholderText(self.tr("Why (required): what the numbers showed, what happens next"))
        self.note.setMaximumHeight(80)
        self.record_button = QPushButton(self.tr("Record the decision"))
        self.record_button.setObjectName("recordDecision")
        self.record_button.setEnabled(False)
        self.status = QLabel()
        self.status.setObjectName("secondary")
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Quarter:")))
        bar.addWidget(self.since)
        bar.addWidget(self.until)
        bar.addWidget(self.compute_button)
        bar.addStretch(1)
        decision = QHBoxLayout()
        for button in (self.keep, self.change, self.retire):
            decision.addWidget(button)
        decision.addStretch(1)
        decision.addWidget(self.record_button)
        closer = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        closer.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.page, 1)
        layout.addWidget(QLabel(self.tr("<b>Decision</b>")))
        layout.addLayout(decision)
        layout.addWidget(self.note)
        layout.addWidget(self.status)
        layout.addWidget(closer)
        self.compute_button.clicked.connect(self.compute)
        self.record_button.clicked.connect(self.record)
        self.note.textChanged.connect(lambda: self.record_button.setEnabled(
            self.pack is not None and bool(self.note.toPlainText().strip())))

    def period(self) -> Period:
        return Period(self.since.date().toPython(), self.until.date().toPython())

    def compute(self) -> ops.Operation | None:
        try:
            period = self.period()
        except AmendsError as error:
            show_error(self, error)
            return None
        self.compute_button.setEnabled(False)
        self.status.setText(self.tr("Computing {0}…").format(period.label()))
        policy_id = self.policy_id

        def done(pack: policy_pack.PolicyPack) -> None:
            self.compute_button.setEnabled(True)
            self.pack = pack
            self.page.setHtml(pack_html(pack))
            self.status.setText(self.tr("{0}: decide, with a note.").format(period.label()))
            self.record_button.setEnabled(bool(self.note.toPlainText().strip()))

        def failed(error: BaseException) -> None:
            self.compute_button.setEnabled(True)
            self.status.setText(self.tr("Could not compute the pack."))
            show_error(self, error)

        return ops.run(self._db, lambda job: policy_pack.pack(job.db, policy_id, period), success=done,
                       failure=failed, parent=self)

    def choice(self) -> str:
        return "change" if self.change.isChecked() else ("retire" if self.retire.isChecked() else "keep")

    def record(self) -> None:
        if self.pack is None:
            return
        choice = self.choice()
        try:
            made = policy_decisions.decide(self._db, self.policy_id, choice, self.note.toPlainText(),
                                           self.pack.period)
        except AmendsError as error:
            show_error(self, error)
            return
        self.status.setText(self.tr("Recorded: {0}").format(made.label()))
        self.decided.emit(self.policy_id, choice)
        self.accept()


class UpstreamFixDialog(QDialog):
    """Record a change made outside support, measured like a policy version."""

    def __init__(self, db: Database, category: str | None = None, policy_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._policy_id = policy_id
        self.change: upstream.UpstreamChange | None = None
        self.setWindowTitle(self.tr("Record an upstream fix"))
        self.what = QLineEdit()
        self.what.setObjectName("upstreamWhat")
        self.what.setPlaceholderText(self.tr("e.g. double-wall boxes for every shipment"))
        self.what.setMaxLength(upstream.WHAT_LIMIT)
        self.effective = QDateEdit()
        self.effective.setObjectName("upstreamFrom")
        self.effective.setCalendarPopup(True)
        self.effective.setDisplayFormat("yyyy-MM-dd")
        self.effective.setDateRange(FIRST_DAY, LAST_DAY)
        self.effective.setDate(QDate.currentDate())
        self.category = QComboBox()
        self.category.setObjectName("upstreamCategory")
        for name in CATEGORIES:
            self.category.addItem(category_name(name), name)
        if category in CATEGORIES:
            self.category.setCurrentIndex(list(CATEGORIES).index(category))
        self.theme = QLineEdit()
        self.theme.setObjectName("upstreamTheme")
        self.theme.setPlaceholderText(self.tr("optional: a theme's phrase, e.g. cardboard was caved"))
        form = QFormLayout()
        form.addRow(self.tr("What changed"), self.what)
        form.addRow(self.tr("From"), self.effective)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Theme"), self.theme)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        note = QLabel(self.tr("The Review compares its category's (or theme's) rate in the 90 days before this date "
                              "with the 90 days after, as for a published policy version."))
        note.setWordWrap(True)
        note.setObjectName("secondary")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            self.change = upstream.record(self._db, self.what.text(), self.effective.date().toString("yyyy-MM-dd"),
                                          self.category.currentData(), theme=self.theme.text() or None,
                                          policy_id=self._policy_id)
        except AmendsError as error:
            show_error(self, error)
            return
        self.accept()
