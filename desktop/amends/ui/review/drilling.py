"""The Review pane's drilling: a double-clicked row, a clicked bar or a summary
link opens the inbox on the tickets behind that figure.

A mixin of :class:`~amends.ui.review.review_pane.ReviewPane`; the pane emits
``drill_requested`` (label, ticket ids)."""

from __future__ import annotations

from PySide6.QtWidgets import QTableView

from amends.core.insights.drill import Drill, ticket_ids
from amends.core.vocabulary import STEP_TYPES, category_name
from amends.ui.common.charts import ChartWidget


class Drilling:
    """From a figure to its tickets."""

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
