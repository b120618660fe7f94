"""The Review pane's relations sections: satisfaction, themes inside each
category, what save offers save, and reply targets.

A mixin of :class:`~amends.ui.review.review_pane.ReviewPane` (split out by
feature, issue 16): ``_build_relations`` makes the widgets, ``_relations_sections``
lays them out, ``_show_*`` fill them from the computed figures, and the theme
buttons turn a theme into a rule or a proposal."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QWidget

from amends.core import rules
from amends.core.errors import AmendsError
from amends.core.insights import themes as theme_finder
from amends.core.vocabulary import category_name
from amends.ui.common import ops
from amends.ui.common.databus import Changed
from amends.ui.common.messages import show_error
from amends.ui.review import charts
from amends.ui.review.formatting import amount as _money
from amends.ui.review.formatting import percent as _percent


class RelationsSections:
    """Satisfaction, themes, save offers and reply targets of the Review pane."""

    def _build_relations(self) -> None:
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
        self._theme_buttons = theme_buttons = QWidget()
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

    def _relations_sections(self) -> list[QGroupBox]:
        """The sections below the three gaps, in the pane's order."""
        sections = []
        sections.append(self._section("Satisfaction", "What customers answered to the survey mailed when their "
                                                     "ticket was resolved (1 terrible … 5 great), for surveys sent "
                                                     "in the period.", [self.satisfaction_summary, self.satisfaction]))
        sections.append(self._section(
            "Themes inside each category",
            "The causes a category mixes together: phrases many of its tickets share (subjects and first "
            "customer messages), against the previous period of the same length, and whether a rule or policy "
            "names them. Double-click for the tickets.", [self.themes, self._theme_buttons]))
        saves_row = self._grid((self.saves_chart, self.saves), (self.saves_by_actor, self.saves_by_version))
        sections.append(self._section(
            "What save offers save",
            "Customers who wanted to leave (a cancellation ticket, or any save offer) in the period, by what "
            "they were offered: how many were still subscribed after the window, and what each of those cost.",
            [saves_row, self.saves_note]))
        return sections

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

