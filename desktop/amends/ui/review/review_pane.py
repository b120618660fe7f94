"""The Review pane (relations side): where service keeps failing.

Three gaps — recurring complaints with no fix, inconsistent recovery offers,
cycle-1 churn — plus checklist completion, overdue follow-ups and the cost of
recovery, for a chosen period. Figures are computed by
:mod:`amends.core.insights` in a worker (progress, cancel); double-clicking
a row or clicking a bar opens the inbox filtered to the tickets behind it.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from amends.core import clock, insights, money, rules
from amends.core.errors import AmendsError
from amends.core.insights import themes as theme_finder
from amends.core.insights.drill import Drill, ticket_ids
from amends.core.insights.period import FIRST_DAY, LAST_DAY, Period, last_full_quarter
from amends.core.store import Database
from amends.core.vocabulary import OFFER_KINDS, STEP_TYPES, category_name
from amends.ui.common import ops
from amends.ui.common.charts import ChartWidget, month_label
from amends.ui.common.databus import Changed
from amends.ui.common.messages import show_error
from amends.ui.common.rows_model import RowsModel
from amends.ui.review import charts
from amends.ui.review.charts import CHURN_GROUPS


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _num(value) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _money(amount: float | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    return f"{amount:,.{money.exponent(currency)}f} {currency or ''}".strip()


def _monthly(months: list[dict]) -> str:
    """'Jul 50 · Aug 41 · Sep 44'; with the year when the months span more than one."""
    one_year = len({m["month"][:4] for m in months}) == 1
    return " · ".join(f"{month_label(m['month']).split()[0] if one_year else month_label(m['month'])} {m['tickets']}"
                      for m in months)


def period_choices(today: date) -> list[tuple[str, Period]]:
    quarter = last_full_quarter(today)
    this_quarter_start = quarter.until + timedelta(days=1)
    return [
        (f"Last full quarter ({quarter.label()})", quarter),
        ("This quarter so far", Period(this_quarter_start, today)),
        ("Last 30 days", Period(today - timedelta(days=29), today)),
        ("Last 90 days", Period(today - timedelta(days=89), today)),
        ("Last 12 months", Period(today - timedelta(days=364), today)),
    ]


class ReviewPane(QWidget):
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

        # -- satisfaction (surveys that are sent, issue 17.5) --------------------
        self.satisfaction_summary = QLabel()
        self.satisfaction_summary.setObjectName("satisfactionSummary")
        self.satisfaction_summary.setWordWrap(True)
        self.satisfaction = self._table("satisfactionTable", [
            ("by", "By", lambda r: r["by"]),
            ("which", "Which", lambda r: r["which"]),
            ("answered", "Answers", lambda r: r["answered"]),
            ("average", "Average (1–5)", lambda r: f"{r['average']:.1f}"),
            ("satisfied", "Said 4 or 5", lambda r: _percent(r["satisfied"])),
        ])
        self.satisfaction.setToolTip("")  # no tickets behind these rows to drill into
        # -- themes inside each category (issue 18) ---------------------------------
        self.themes = self._table("themesTable", [
            ("category", "Category", lambda r: category_name(r.category)),
            ("theme", "Theme", lambda r: r.theme),
            ("tickets", "Tickets", lambda r: ("≈ " if r.estimated else "") + f"{r.tickets:,}"),
            ("previous", "Previous period", lambda r: ("≈ " if r.estimated else "") + f"{r.previous:,}"),
            ("trend", "Trend", lambda r: f"{r.trend:+,}"),
            ("covered", "Covered by", lambda r: r.covered_by or "nothing"),
        ])
        self.themes.setMinimumHeight(240)
        self.rule_button = QPushButton(self.tr("Make a rule of this theme"))
        self.rule_button.setObjectName("themeRule")
        self.propose_button = QPushButton(self.tr("Propose a policy change…"))
        self.propose_button.setObjectName("themePropose")
        for button in (self.rule_button, self.propose_button):
            button.setEnabled(False)
        self.rule_button.clicked.connect(self.theme_to_rule)
        self.propose_button.clicked.connect(self.theme_to_proposal)
        self.themes.selectionModel().currentRowChanged.connect(
            lambda current, _previous: [b.setEnabled(current.isValid())
                                        for b in (self.rule_button, self.propose_button)])
        theme_buttons = QWidget()
        theme_bar = QHBoxLayout(theme_buttons)
        theme_bar.setContentsMargins(0, 0, 0, 0)
        theme_bar.addWidget(self.rule_button)
        theme_bar.addWidget(self.propose_button)
        theme_bar.addStretch(1)
        # -- what save offers save (issue 18) -------------------------------------
        save_columns = [
            ("band", "Offered", lambda r: r.band),
            ("customers", "Customers", lambda r: r.customers),
            ("retained", "Still subscribed", lambda r: r.retained),
            ("rate", "Rate", lambda r: f"{r.rate:.1%}"),
            ("ci", "95 % interval", lambda r: f"{r.ci[0]:.1%} – {r.ci[1]:.1%}"),
            ("cost", "Cost per retained", lambda r: _money(r.cost.amount, r.cost.currency)),
        ]
        self.saves = self._table("saveOffersTable", save_columns)
        self.saves_by_actor = self._table("saveOffersByPerson", [("by", "Person", lambda r: r.by), *save_columns])
        self.saves_by_version = self._table("saveOffersByVersion",
                                            [("by", "Policy version", lambda r: r.by), *save_columns])
        self.saves_chart = self._chart("saveOffersChart")
        self.saves_note = QLabel()
        self.saves_note.setWordWrap(True)
        self.saves_note.setObjectName("secondary")

        content = QWidget()
        grid = QVBoxLayout(content)
        grid.addWidget(self._section(
            "1. Recurring complaints with no fix",
            "Categories that keep producing tickets while no policy covers them, or whose rate did not fall "
            "after the last policy change.", [self._side_by_side(self.recurring_chart, self.trend_chart),
                                              self.recurring]))
        offers_row = QWidget()
        offers_grid = QGridLayout(offers_row)
        offers_grid.setContentsMargins(0, 0, 0, 0)
        offers_grid.addWidget(self.offers_percent_chart, 0, 0)
        offers_grid.addWidget(self.offers_credit_chart, 0, 1)
        offers_grid.addWidget(self.offers, 1, 0)
        offers_grid.addWidget(self.consistency, 1, 1)
        offers_grid.addWidget(self.skipped, 2, 0, 1, 2)
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
        grid.addWidget(self._section("Satisfaction", "What customers answered to the survey mailed when their "
                                                     "ticket was resolved (1 terrible … 5 great), for surveys sent "
                                                     "in the period.", [self.satisfaction_summary, self.satisfaction]))
        grid.addWidget(self._section(
            "Themes inside each category",
            "The causes a category mixes together: phrases many of its tickets share (subjects and first "
            "customer messages), against the previous period of the same length, and whether a rule or policy "
            "names them. Double-click for the tickets.", [self.themes, theme_buttons]))
        saves_row = QWidget()
        saves_grid = QGridLayout(saves_row)
        saves_grid.setContentsMargins(0, 0, 0, 0)
        saves_grid.addWidget(self.saves_chart, 0, 0)
        saves_grid.addWidget(self.saves, 0, 1)
        saves_grid.addWidget(self.saves_by_actor, 1, 0)
        saves_grid.addWidget(self.saves_by_version, 1, 1)
        grid.addWidget(self._section(
            "What save offers save",
            "Customers who wanted to leave (a cancellation ticket, or any save offer) in the period, by what "
            "they were offered: how many were still subscribed after the window, and what each of those cost.",
            [saves_row, self.saves_note]))
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

    def _reply_targets_section(self) -> QGroupBox:
        """T17B: answered within the reply target (core/insights/reply_targets.py), a small block."""
        self.targets_summary = QLabel()
        self.targets_summary.setObjectName("targetsSummary")
        self.targets_summary.setWordWrap(True)
        columns = [("waits", "Waits", lambda r: r["waits"]), ("within", "Within target", lambda r: r["within_target"]),
                   ("share", "Share", lambda r: _percent(r["share"]))]
        self.targets_by_category = self._table("targetsByCategory", [
            ("category", "Category", lambda r: category_name(r["category"])), *columns])
        self.targets_by_person = self._table("targetsByPerson", [("person", "Person", lambda r: r["person"]),
                                                                 *columns])
        row = QWidget()
        both = QHBoxLayout(row)
        both.setContentsMargins(0, 0, 0, 0)
        both.addWidget(self.targets_by_category, 1)
        both.addWidget(self.targets_by_person, 1)
        return self._section("Reply targets", "How many customers heard back within the reply target (business "
                                              "hours; Preferences → Reply targets), by category and by who answered.",
                             [self.targets_summary, row])

    def _show_reply_targets(self, figures: dict | None) -> None:
        if figures is None:
            self.targets_summary.setText(self.tr("Not computed."))
            return
        self.targets_summary.setText(self.tr("<b>{0}</b> answered within target: {1} of {2} waits in the period "
                                             "(a wait still open past its target counts as missed).").format(
            _percent(figures["share"]), figures["within_target"], figures["waits"]))
        self.targets_by_category.model().set_rows(figures["by_category"])
        self.targets_by_person.model().set_rows(figures["by_person"])

    # -- building blocks ---------------------------------------------------------
    def _table(self, name: str, columns) -> QTableView:
        view = QTableView()
        view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        view.setObjectName(name)
        view.setAccessibleName(name)
        model = RowsModel(columns, view)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.setAlternatingRowColors(True)
        view.horizontalHeader().setStretchLastSection(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.setMinimumHeight(150)
        view.setToolTip(self.tr("Double-click a row to see its tickets in the inbox"))
        view.doubleClicked.connect(lambda index, v=view: self._row_drill(v, index.row()))
        return view

    def _chart(self, name: str) -> ChartWidget:
        view = ChartWidget()
        view.setObjectName(name)
        view.setAccessibleName(name)
        view.setMinimumHeight(280)
        view.setToolTip("")  # the figure under the mouse is the tooltip
        return view

    @staticmethod
    def _side_by_side(*widgets: QWidget) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget, 1)
        return row

    def _section(self, title: str, text: str, widgets: list[QWidget]) -> QGroupBox:
        box = QGroupBox(self.tr(title))
        layout = QVBoxLayout(box)
        note = QLabel(self.tr(text))
        note.setWordWrap(True)
        note.setObjectName("secondary")
        layout.addWidget(note)
        for widget in widgets:
            layout.addWidget(widget)
        return box

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

    def _show_satisfaction(self, figures: dict) -> None:
        if figures.get("answered"):
            self.satisfaction_summary.setText(self.tr(
                "{0} surveys sent, {1} answered ({2}) · average <b>{3:.1f}</b> of 5 · {4} said 4 or 5").format(
                figures["sent"], figures["answered"], _percent(figures["response_rate"]), figures["average"],
                _percent(figures["satisfied"])))
        else:
            self.satisfaction_summary.setText(self.tr("{0} surveys sent, no answer yet. A checklist's survey step "
                                                      "mails one when a mailbox is set up.").format(
                figures.get("sent", 0)))
        rows = []
        for key, label in (("by_category", "Category"), ("by_policy_version", "Policy version"),
                           ("by_person", "Person")):
            name = key.removeprefix("by_")
            rows += [{"by": self.tr(label), "which": category_name(r[name]) if name == "category" else r[name],
                      **r} for r in figures.get(key, [])]
        self.satisfaction.model().set_rows(rows)

    def _show_relations(self, data: dict) -> None:
        """Themes and save offers: from the typed review when there is one
        (phrases, breakdowns), else from the JSON alone."""
        review = self.review if self.review is not None and self.review.period == self._shown_period else None
        found = list(review.themes) if review else [theme_finder.Theme(**t) for t in data.get("themes", [])]
        self.themes.model().set_rows(found)
        for button in (self.rule_button, self.propose_button):
            button.setEnabled(False)
        saved = review.save_offers if review else None
        if saved is None:
            for view in (self.saves, self.saves_by_actor, self.saves_by_version):
                view.model().set_rows([])
            return
        shown = [b for b in saved.bands if b.customers]
        self.saves.model().set_rows(shown)
        self.saves_by_actor.model().set_rows(list(saved.by_actor))
        self.saves_by_version.model().set_rows(list(saved.by_version))
        self.saves_note.setText(self.tr(
            "Still subscribed = a subscription in force {0} days after the ticket was opened. Left out: {1} "
            "without a subscription then, {2} whose {0} days are not over. Cost per retained = every offer made "
            "in the band ÷ the customers still subscribed (— when nobody stayed or an offer has no price).").format(
            saved.window_days, saved.excluded.no_subscription, saved.excluded.window_not_over))
        self.saves_chart.set_chart(charts.save_offers_chart([b.to_json() for b in saved.bands], saved.window_days))

    # -- one click from a theme ----------------------------------------------------
    def _current_theme(self) -> theme_finder.Theme | None:
        index = self.themes.currentIndex()
        return self.themes.model().rows[index.row()] if index.isValid() else None

    def theme_to_rule(self) -> None:
        """Add the rule the theme makes (its phrases, setting its category)."""
        theme = self._current_theme()
        if theme is None:
            return
        try:
            saved = rules.add(self._db, theme_finder.rule_for(theme))
        except AmendsError as error:
            show_error(self, error)
            return
        self.wrote.emit(int(Changed.POLICIES))
        self.status.setText(self.tr("Rule “{0}” added: new tickets with {1} go to {2}.").format(
            saved.name, saved.query, category_name(theme.category)))

    def theme_to_proposal(self) -> ops.Operation | None:
        """File a proposal linked to the theme's tickets (found off the UI thread)."""
        theme = self._current_theme()
        if theme is None:
            return None
        period = self._shown_period

        def done(proposal_id: int) -> None:
            self.wrote.emit(int(Changed.PROPOSALS | Changed.TICKETS))
            self.status.setText(self.tr("Proposal #{0} filed for “{1}”: see the Policies pane.").format(
                proposal_id, theme.theme))

        return ops.run(self._db, lambda job: theme_finder.propose(job.db, theme, period), success=done,
                       failure=lambda error: show_error(self, error), parent=self)

    def _chart_drill(self, widget: ChartWidget, series: int, index: int) -> None:
        """A click on a bar or point: the tickets behind that figure."""
        chart = widget.chart()
        if chart is None:
            return
        meta, p = chart.meta, self._shown_period
        if widget is self.recurring_chart or widget is self.cost_chart:
            category = meta["categories"][index]
            kind = "category" if widget is self.recurring_chart else "offers"
            self.drill(Drill(kind, p, category=category), category_name(category) if kind == "category"
                       else f"offers, {category_name(category)}")
        elif widget is self.trend_chart:
            category, month = meta["categories"][series], meta["months"][index]
            self.drill(Drill("category", p, category=category, month=month),
                       f"{category_name(category)}, {chart.categories[index]}")
        elif widget in (self.offers_percent_chart, self.offers_credit_chart):
            actor, category = meta["actors"][series], meta["categories"][index]
            self.drill(Drill("offers", p, actor=actor, category=category),
                       f"offers by {actor}, {category_name(category)}")
        elif widget is self.saves_chart:
            band = meta["bands"][index]
            self.drill(Drill("save_retained", p, group=band, window_days=meta["window_days"]),
                       f"still subscribed after “{band}”")
        elif widget is self.churn_chart:
            group = meta["groups"][index]
            self.drill(Drill("churned", p, group=group, window_days=self._shown_settings.churn_window_days),
                       f"churned: {chart.categories[index].lower()}")

    # -- drilling down -----------------------------------------------------------------
    def drill(self, drill: Drill, label: str) -> list[int]:
        ids = ticket_ids(self._db, drill)
        self.drill_requested.emit(f"{label} · {drill.period.label()}", ids)
        return ids

    def _row_drill(self, view: QTableView, row_number: int) -> None:
        row = view.model().rows[row_number]
        p = self._shown_period
        name = view.objectName()
        if name == "recurringTable":
            self.drill(Drill("category", p, category=row["category"]), category_name(row["category"]))
        elif name == "offersTable":
            self.drill(Drill("offers", p, actor=row["actor"], category=row["category"]),
                       f"offers by {row['actor']}, {category_name(row['category'])}")
        elif name == "consistencyTable":
            self.drill(Drill("out_of_range", p, category=row["category"]),
                       f"offers outside the range, {category_name(row['category'])}")
        elif name == "outOfRangeTable":
            self.drill(Drill("ticket", p, ticket_id=row["ticket"]["id"]), f"ticket #{row['ticket']['id']}")
        elif name == "skippedTable":
            self.drill(Drill("skipped", p, actor=row["actor"], step=row["step"]),
                       f"{STEP_TYPES.get(row['step'], row['step'])} skipped by {row['actor']}")
        elif name == "churnTable":
            self.drill(Drill("churn", p, group=row["group"], window_days=self._shown_settings.churn_window_days),
                       row["label"])
        elif name == "costTable":
            self.drill(Drill("offers", p, category=row["category"]), f"offers, {category_name(row['category'])}")
        elif name == "themesTable":
            self.drill(Drill("theme", p, category=row.category, theme=row.phrases or (row.theme,)),
                       f"theme “{row.theme}”, {category_name(row.category)}")
        elif name in ("saveOffersTable", "saveOffersByPerson"):
            window = self.review.save_offers.window_days if self.review and self.review.save_offers else 60
            actor = row.by if name == "saveOffersByPerson" else None
            self.drill(Drill("save_offer", p, group=row.band, actor=actor, window_days=window),
                       f"offered “{row.band}”" + (f" by {actor}" if actor else ""))

    def _summary_link(self, link: str) -> None:
        if link == "incomplete":
            self.drill(Drill("incomplete", self._shown_period), "incomplete checklists")
        elif link == "overdue":
            self.drill(Drill("overdue", self._shown_period), "overdue follow-ups")
