"""The Review pane, driven through the main window: compute off the UI
thread, show the three gaps, and drill down into the inbox."""

from __future__ import annotations

from amends.core import tickets
from amends.core.insights.period import Period
from PySide6.QtCore import QDate, Qt


def open_review(qtbot, window):
    with qtbot.waitSignal(window.review.computed, timeout=30_000):
        window.act_review.trigger()
    return window.review


def test_review_pane_computes_the_three_gaps(qtbot, window):
    pane = open_review(qtbot, window)
    assert window.stack.currentWidget() is pane
    data = pane.data
    assert set(data) >= {"recurring", "offers", "cycle1_churn", "checklist_completion", "followups_overdue"}
    assert pane.recurring.model().rowCount() == 8
    first = pane.recurring.model().rows[0]
    flagged = [r for r in data["recurring"] if r["flag"]]
    if flagged:
        assert first["flag"], "flagged categories come first"
    assert pane.churn.model().rowCount() == 4
    assert "Checklist completion" in pane.summary.text()
    assert any(pane.recurring_chart.chart().series[0].values), "a chart is drawn"


def test_a_number_drills_down_to_its_tickets_in_the_inbox(qtbot, window):
    pane = open_review(qtbot, window)
    pane.choice.setCurrentIndex(pane.choice.count() - 1)
    pane.since.setDate(QDate(2025, 1, 1))
    pane.until.setDate(QDate(2026, 11, 1))
    assert pane.period == Period(QDate(2025, 1, 1).toPython(), QDate(2026, 11, 1).toPython())
    with qtbot.waitSignal(pane.computed, timeout=30_000):
        pane.refresh_button.click()
    rows = pane.recurring.model().rows
    row = next(i for i, r in enumerate(rows) if r["tickets"] > 0)
    expected = rows[row]["tickets"]
    category = rows[row]["category"]
    with qtbot.waitSignal(pane.drill_requested):
        pane.recurring.doubleClicked.emit(pane.recurring.model().index(row, 0))
    inbox = window.inbox
    assert window.stack.currentWidget() is inbox
    assert inbox.drill_bar.isVisible() and f"{expected:,} tickets" in inbox.drill_label.text()
    model = inbox.model
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == expected
    for r in range(model.rowCount()):
        assert tickets.get(window.db, model.ticket_id(r), with_messages=False).category == category
    inbox.drill_clear.click()
    assert not inbox.drill_bar.isVisible() and inbox.model.query.ids is None


def test_cancel_stops_the_computation(qtbot, window):
    pane = window.review
    op = pane.compute()
    op.cancel()
    qtbot.waitUntil(lambda: op.done, timeout=30_000)
    assert pane.refresh_button.isEnabled()


def test_recovery_cost_in_money_in_the_pane_and_the_pdf(qtbot, window):
    """Issue 13: the demo's plans have prices and its replacements a set
    cost: the Review's cost table and the PDF report show money, estimates
    marked."""
    from amends.ui.report import build_html

    pane = open_review(qtbot, window)
    model = pane.cost.model()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles[-1] == "Cost"
    damaged = next(r for r in range(model.rowCount()) if model.rows[r]["category"] == "damaged_shipment")
    shown = model.index(damaged, model.columnCount() - 1).data()
    assert shown.startswith("≈ ") and shown.endswith(" USD (estimated)")
    text, _images = build_html(window.db, pane.data, pane._shown_period)
    assert "<h2>Cost of recovery</h2>" in text and "USD (estimated)" in text


def test_custom_dates_stay_within_what_a_period_accepts(qtbot, window):
    """A period is 1900-01-01 … 2999-12-31 (core refuses others with a
    ValidationError); the date edits cannot go past that, so typing an
    out-of-range year never raises inside a Qt slot."""
    from datetime import date

    pane = open_review(qtbot, window)
    pane.since.setDate(QDate(1800, 1, 1))
    pane.until.setDate(QDate(9999, 12, 31))
    assert pane.since.date().toPython() == date(1900, 1, 1)
    assert pane.until.date().toPython() == date(2999, 12, 31)
    assert pane.period == Period(date(1900, 1, 1), date(2999, 12, 31))
