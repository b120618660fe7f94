"""The backtest of a policy draft: had it been in force for a period, what
would it have covered, allowed and cost against what people actually did.
Computed off the UI thread (``ops``); the result is kept for the tests."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from amends.core import clock
from amends.core.store import Database
from amends.core.vocabulary import OFFER_KINDS
from amends.ui.common.messages import show_error


class BacktestDialog(QDialog):
    """Had this draft been in force for a period: what would it have
    covered, allowed and cost, against what people actually did."""

    done = Signal()

    def __init__(self, db: Database, policy_id: int, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from amends.ui.review.review_pane import period_choices

        self.setObjectName("backtestDialog")
        self.setWindowTitle(self.tr("Backtest {0}").format(name))
        self.setMinimumSize(560, 420)
        self._db = db
        self._policy_id = policy_id
        self.result: dict | None = None
        self.period = QComboBox()
        self.period.setObjectName("backtestPeriod")
        self.period.setAccessibleName(self.tr("Period"))
        for label, period in period_choices(clock.now().date()):
            self.period.addItem(self.tr(label), period)
        self.view = QTextBrowser()
        self.view.setObjectName("backtestResult")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.period)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.period.activated.connect(lambda _i: self.run())

    def run(self) -> None:
        from amends.core.backtest import backtest
        from amends.ui.common import ops

        period = self.period.currentData()
        self.view.setHtml(self.tr("<i>Computing…</i>"))

        def done(result: dict) -> None:
            self.result = result
            self.view.setHtml(backtest_html(result))
            self.done.emit()

        ops.run(self._db, lambda job: backtest(job.db, self._policy_id, period), success=done,
                failure=lambda error: show_error(self, error), parent=self)


def backtest_html(r: dict) -> str:
    o = r["offers"]
    lines = [f"<h3>{html.escape(r['policy']['name'])}, {r['period']['since']} – {r['period']['until']}</h3>",
             f"<p>It would have covered <b>{r['tickets']:,}</b> tickets; <b>{r['resolutions']:,}</b> of them were "
             f"resolved in the period.</p>"]
    if o["kind"] is None:
        lines.append(f"<p>The draft has no save offer: the <b>{o['given']}</b> offers made "
                     f"(total {o['total_given']:g}) would not have been made.</p>")
    else:
        lines.append(f"<p>Offers ({html.escape(OFFER_KINDS.get(o['kind'], o['kind']))}, {o['min']:g}–{o['max']:g}): "
                     f"<b>{o['allowed']}</b> of {o['given']} made would have been allowed, <b>{o['not_allowed']}</b> "
                     f"not. Total offered {o['total_given']:g}; under the draft {o['total_under_draft']:g} "
                     f"(difference <b>{o['difference']:+g}</b>).</p>")
    lines.append(f"<p>Replacements given {r['replacements']['given']}, under the draft "
                 f"{r['replacements']['under_draft']}; refunds given {r['refunds']['given']}, under the draft "
                 f"{r['refunds']['under_draft']}.</p>")
    lines.append("<p><small>Estimates: an offer outside the draft's range counts at the nearest bound; an offer of "
                 "another kind counts as not made. See docs/INSIGHTS.md.</small></p>")
    return "".join(lines)
