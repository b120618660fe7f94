"""The Review pane (relations side): where service keeps failing.

Three gaps — recurring complaints with no fix, inconsistent recovery offers,
cycle-1 churn — plus checklist completion, overdue follow-ups and the cost of
recovery, for a chosen period. Figures are computed by
:mod:`amends.core.insights` in a worker (progress, cancel); double-clicking
a row or clicking a bar opens the inbox filtered to the tickets behind it.

Split by feature (issue 16): this file holds the controls, the three gaps and
computing; blocks.py the tables/charts/sections, relations.py satisfaction,
themes, save offers and reply targets, drilling.py the way to the tickets,
formatting.py the text of a figure.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from amends.core import clock, insights
from amends.core.insights.period import FIRST_DAY, LAST_DAY, Period, last_full_quarter
from amends.core.store import Database
from amends.core.vocabulary import OFFER_KINDS, STEP_TYPES, category_name
from amends.ui.common import ops
from amends.ui.common.messages import show_error
from amends.ui.review import charts
from amends.ui.review.blocks import PaneBlocks
from amends.ui.review.charts import CHURN_GROUPS
from amends.ui.review.drilling import Drilling
from amends.ui.review.formatting import monthly as _monthly
from amends.ui.review.formatting import num as _num
from amends.ui.review.formatting import percent as _percent
from amends.ui.review.formatting import period_choices
from amends.ui.review.relations import RelationsSections

__all__ = ["ReviewPane", "period_choices"]


class ReviewPane(PaneBlocks, RelationsSections, Drilling, QWidget):
    #: (label, ticket ids): open the inbox on exactly these tickets.
    drill_requested = Signal(str, list)
    computed = Signal()
    #: A write made here (a rule or a proposal from a theme): a Changed value for the window's bus.
    wrote = Signal(int)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self.data: dict | None = None
        self.period: Period = last_full_quarter(clock.now().date())
        self._op: ops.Operation | None = None
        self.review: insights.Review | None = None  # the typed figures behind ``data`` (themes' phrases, breakdowns)
        self._clicks_connected = False

        # -- controls --------------------------------------------------------
        self.choice = QComboBox()
        self.choice.setObjectName("periodChoice")
        self.choice.setAccessibleName(self.tr("Period"))
        for label, period in period_choices(clock.now().date()):
            self.choice.addItem(self.tr(label), period)
        self.choice.addItem(self.tr("Custom dates"), None)
        self.since = QDateEdit()
        self.since.setObjectName("since")
        self.until = QDateEdit()
        self.until.setObjectName("until")
        for edit, name in ((self.since, "From"), (self.until, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDateRange(FIRST_DAY, LAST_DAY)  # what a Period accepts
            edit.setAccessibleName(self.tr(name))
        self.min_tickets = QSpinBox()
        self.min_tickets.setObjectName("minTickets")
        self.min_tickets.setRange(1, 100_000)
        self.min_tickets.setValue(10)
        self.min_tickets.setPrefix(self.tr("flag uncovered from "))
        self.min_tickets.setSuffix(self.tr(" tickets"))
        self.window_days = QSpinBox()
        self.window_days.setObjectName("windowDays")
        self.window_days.setRange(7, 365)
        self.window_days.setValue(90)
        self.window_days.setPrefix(self.tr("compare "))
        self.window_days.setSuffix(self.tr(" days before/after a change"))
        self.churn_days = QSpinBox()
        self.churn_days.setObjectName("churnDays")
        self.churn_days.setRange(7, 365)
        self.churn_days.setValue(60)
        self.churn_days.setPrefix(self.tr("churn within "))
        self.churn_days.setSuffix(self.tr(" days"))
        for spin, name in ((self.min_tickets, "Minimum tickets for an uncovered category"),
                           (self.window_days, "Days compared before and after a policy change"),
                           (self.churn_days, "Churn window in days")):
            spin.setAccessibleName(self.tr(name))
        self.refresh_button = QPushButton(self.tr("Compute"))
        self.refresh_button.setObjectName("computeReview")
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("cancelReview")
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("reviewProgress")
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("secondary")
        # Two rows: in one, these controls made the whole window at least 1,348 px wide
        # (the stacked panes share one minimum), too wide for a 1,280 px laptop (issue 17).
        bar = QVBoxLayout()
        period_row, threshold_row = QHBoxLayout(), QHBoxLayout()
        for widget in (self.choice, self.since, self.until):
            period_row.addWidget(widget)
        period_row.addStretch(1)
        period_row.addWidget(self.progress)
        period_row.addWidget(self.cancel_button)
        period_row.addWidget(self.refresh_button)
        for widget in (self.min_tickets, self.window_days, self.churn_days):
            threshold_row.addWidget(widget)
        threshold_row.addStretch(1)
        bar.addLayout(period_row)
        bar.addLayout(threshold_row)

        # -- gap 1 -------------------------------------------------------------
        self.recurring = self._table("recurringTable", [
            ("flag", "Flag", lambda r: "⚑ flagged" if r["flag"] else ""),
            ("category", "Category", lambda r: category_name(r["category"])),
            ("tickets", "Tickets", lambda r: f"{r['tickets']:,}"),
            ("per_1000_active", "Per 1,000 active", lambda r: f"{r['per_1000_active']:.1f}"),
            ("trend", "Monthly", lambda r: _monthly(r["monthly"])),
            ("covered", "Policy", lambda r: "covered" if r["covered_by_policy"] else "none"),
            ("change", "Last change", lambda r: (r["last_policy_change"] or "")[:10]),
            ("reason", "Why", lambda r: r["reason"]),
        ])
        self.recurring_chart = self._chart("recurringChart")
        self.trend_chart = self._chart("trendChart")
        self.recurring.setMinimumHeight(290)
        # -- gap 2 -------------------------------------------------------------
        self.offers = self._table("offersTable", [
            ("category", "Category", lambda r: category_name(r["category"])),
            ("actor", "Person", lambda r: r["actor"]),
            ("count", "Offers", lambda r: r["count"]),
            ("min", "Min", lambda r: _num(r["min"])),
            ("median", "Median", lambda r: _num(r["median"])),
            ("max", "Max", lambda r: _num(r["max"])),
        ])
        self.consistency = self._table("consistencyTable", [
            ("category", "Category", lambda r: category_name(r["category"])),
            ("offers", "Offers with bounds", lambda r: r["offers"]),
            ("within", "Within", lambda r: r["within"]),
            ("score", "Consistency", lambda r: _percent(r["score"])),
        ])
        self.out_of_range = self._table("outOfRangeTable", [
            ("ticket", "Ticket", lambda r: f"#{r['ticket']['id']}" + (f" ({r['ticket']['ref']})"
                                                                      if r["ticket"]["ref"] else "")),
            ("actor", "Person", lambda r: r["actor"]),
            ("category", "Category", lambda r: category_name(r["category"])),
            ("value", "Offer", lambda r: f"{_num(r['value'])} {OFFER_KINDS.get(r['kind'] or '', '')}"),
            ("bounds", "Approved", lambda r: f"{_num(r['min'])}–{_num(r['max'])}"),
            ("reason", "Override reason", lambda r: r["override_reason"] or ""),
        ])
        self.skipped = self._table("skippedTable", [
            ("actor", "Person", lambda r: r["actor"]),
            ("step", "Step skipped", lambda r: STEP_TYPES.get(r["step"], r["step"])),
            ("reason", "Reason", lambda r: r["reason"] or ""),
            ("count", "Times", lambda r: r["count"]),
        ])
        self.offers_percent_chart = self._chart("offersPercentChart")
        self.offers_credit_chart = self._chart("offersCreditChart")
        # -- gap 3 -------------------------------------------------------------
        self.churn = self._table("churnTable", [
            ("group", "Customers whose first ticket was…", lambda r: r["label"]),
            ("customers", "Customers", lambda r: r["customers"]),
            ("churned", "Churned", lambda r: r["churned"]),
            ("rate", "Rate", lambda r: f"{r['rate']:.1%}"),
            ("ci", "95 % interval", lambda r: f"{r['ci95'][0]:.1%} – {r['ci95'][1]:.1%}"),
        ])
        self.churn_chart = self._chart("churnChart")
        self.churn_note = QLabel()
        self.churn_note.setWordWrap(True)
        self.churn_note.setObjectName("secondary")
        # -- around the gaps ----------------------------------------------------
        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                             | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.summary.linkActivated.connect(self._summary_link)
        self.cost = self._table("costTable", [
            ("category", "Category", lambda r: category_name(r["category"])),
            ("replacements", "Replacements", lambda r: r["replacements"]),
            ("refunds", "Refunds", lambda r: r["refunds"]),
            ("offers", "Offers made", lambda r: ", ".join(
                f"{v['count']} × {OFFER_KINDS.get(k, k)} (total {v['total']:g})" for k, v in r["offers"].items())),
            ("cost", "Cost", lambda r: insights.cost_label(r)),  # ≈ … (estimated): replacements, refunds
        ])
        self.cost_chart = self._chart("costChart")

        self._build_relations()

        content = QWidget()
        grid = QVBoxLayout(content)
        grid.addWidget(self._section(
            "1. Recurring complaints with no fix",
            "Categories that keep producing tickets while no policy covers them, or whose rate did not fall "
            "after the last policy change.", [self._side_by_side(self.recurring_chart, self.trend_chart),
                                              self.recurring]))
        offers_row = self._grid((self.offers_percent_chart, self.offers_credit_chart), (self.offers, self.consistency),
                                (self.skipped,))
        grid.addWidget(self._section(
            "2. Inconsistent recovery offers",
            "What each person offers for the same problem, offers outside the approved range, and skipped steps.",
            [offers_row, QLabel(self.tr("<b>Offers outside the approved range</b>")), self.out_of_range]))
        churn_row = QWidget()
        churn_layout = QHBoxLayout(churn_row)
        churn_layout.setContentsMargins(0, 0, 0, 0)
        churn_layout.addWidget(self.churn_chart, 1)
        churn_layout.addWidget(self.churn, 1)
        grid.addWidget(self._section(
            "3. Cycle-1 churn",
            "Customers whose first ticket ever came in the period: do first-cycle tickets predict churn, and does "
            "completing the recovery sequence change it?", [churn_row, self.churn_note]))
        grid.addWidget(self._section("Recovery", "Checklist completion, overdue follow-ups and what recovery "
                                                 "cost, by category.", [self.summary, self.cost_chart, self.cost]))
        for section in self._relations_sections():
            grid.addWidget(section)
        grid.addWidget(self._reply_targets_section())
        scroll = QScrollArea()
        self.scroll = scroll
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)

        self.choice.activated.connect(self._choice_changed)
        self.since.dateChanged.connect(self._dates_edited)
        self.until.dateChanged.connect(self._dates_edited)
        self.refresh_button.clicked.connect(self.compute)
        self.cancel_button.clicked.connect(self.cancel)
        self._set_dates(self.period)
        self.status.setText(self.tr("Choose a period and press Compute."))


    # -- period ----------------------------------------------------------------
    def _set_dates(self, period: Period) -> None:
        for edit, day in ((self.since, period.since), (self.until, period.until)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _choice_changed(self, index: int) -> None:
        period = self.choice.itemData(index)
        if period is not None:
            self.period = period
            self._set_dates(period)

    def _dates_edited(self) -> None:
        since, until = self.since.date().toPython(), self.until.date().toPython()
        self.choice.setCurrentIndex(self.choice.count() - 1)
        if until >= since:
            self.period = Period(since, until)
            self.status.setText(self.tr("Press Compute for {0}.").format(self.period.label()))
        else:
            self.status.setText(self.tr("⚠ The end date is before the start date."))

    def settings(self) -> insights.Settings:
        return insights.Settings(insights.Thresholds(self.min_tickets.value(), self.window_days.value()),
                                 churn_window_days=self.churn_days.value())

    # -- computing ---------------------------------------------------------------
    def compute(self) -> ops.Operation | None:
        if self.until.date() < self.since.date():
            return None
        if self._op is not None and not self._op.done:
            self._op.cancel()
        period, settings = self.period, self.settings()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.refresh_button.setEnabled(False)
        self.status.setText(self.tr("Computing {0}…").format(period.label()))

        def work(job: ops.Job) -> tuple[dict, insights.Review]:
            review = insights.compute(job.db, period, settings, progress=job.report, cancelled=job.cancelled)
            return review.to_json(), review

        def finished() -> None:
            self.progress.hide()
            self.cancel_button.hide()
            self.refresh_button.setEnabled(True)

        def done(result: tuple[dict, insights.Review]) -> None:
            finished()
            data, self.review = result
            self.show_data(data, period, settings)

        def failed(error: BaseException) -> None:
            finished()
            if isinstance(error, insights.Cancelled):
                self.status.setText(self.tr("Cancelled."))
            else:
                self.status.setText(self.tr("Could not compute the figures."))
                show_error(self, error)

        op = ops.run(self._db, work, success=done, failure=failed, parent=self)
        op.progress.connect(lambda d, t: self.progress.setValue(int(100 * d / max(1, t))))
        self._op = op
        return op

    def cancel(self) -> None:
        if self._op is not None:
            self._op.cancel()

    # -- showing -------------------------------------------------------------------
    def show_data(self, data: dict, period: Period, settings: insights.Settings) -> None:
        self.data = data
        self._shown_period = period
        self._shown_settings = settings
        flagged = [r for r in data["recurring"] if r["flag"]]
        self.status.setText(self.tr("{0} · {1} flagged categories · {2} offers outside the range").format(
            period.label(), len(flagged), len(data["offers"]["out_of_range"])))
        recurring = insights.by_concern(data["recurring"])
        self.recurring.model().set_rows(recurring)
        self.offers.model().set_rows(data["offers"]["by_actor"])
        self.consistency.model().set_rows(data["offers"]["consistency"])
        self.out_of_range.model().set_rows(data["offers"]["out_of_range"])
        self.skipped.model().set_rows(data["offers"]["skipped"])
        churn = data["cycle1_churn"]
        self.churn.model().set_rows([{"group": g, "label": self.tr(label), **churn[g]} for g, label in CHURN_GROUPS])
        excluded = churn["excluded"]
        self.churn_note.setText(self.tr(
            "Churned = subscription cancelled within {0} days after the first ticket. Left out: {1} without a "
            "subscription, {2} already cancelled, {3} whose {0} days are not over yet. Wide intervals mean few "
            "customers: read them as “not enough data”.").format(
            churn["window_days"], excluded["no_subscription"], excluded["cancelled_before"],
            excluded["window_not_over"]))
        checklist = data["checklist"]
        self.summary.setText(self.tr(
            "Checklist completion: <b>{0}</b> of {1} resolutions with a policy had every step done "
            "(<a href='incomplete'>{2} incomplete or without a policy</a>) · "
            "<a href='overdue'>{3} overdue follow-ups</a>").format(
            _percent(checklist["rate"]), checklist["with_policy"],
            checklist["resolutions"] - checklist["complete"], data["followups_overdue"]))
        self.cost.model().set_rows(data["recovery_cost"])
        self._show_reply_targets(data.get("reply_targets"))
        self._show_satisfaction(data.get("satisfaction") or {})
        self._draw(recurring, data["offers"]["by_actor"], data["recovery_cost"], churn)
        self._show_relations(data)
        self.computed.emit()

    def _draw(self, recurring: list[dict], offers: list[dict], cost: list[dict], churn: dict) -> None:
        """Every chart from the figures just shown (ui/review/charts.py builds them)."""
        for widget, chart in ((self.recurring_chart, charts.recurring_chart(recurring)),
                              (self.trend_chart, charts.trend_chart(recurring)),
                              (self.offers_percent_chart, charts.offers_chart(offers, cost, "percent_next_cycle")),
                              (self.offers_credit_chart, charts.offers_chart(offers, cost, "account_credit")),
                              (self.churn_chart, charts.churn_chart(churn)),
                              (self.cost_chart, charts.cost_chart(cost))):
            widget.set_chart(chart)
            if not self._clicks_connected:
                widget.clicked.connect(lambda s, i, w=widget: self._chart_drill(w, s, i))
        if not self._clicks_connected:
            self.saves_chart.clicked.connect(lambda s, i: self._chart_drill(self.saves_chart, s, i))
        self._clicks_connected = True

