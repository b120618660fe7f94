"""The Review pane's issue-18 sections through the main window: themes
(drill-down, one click to a rule or a proposal) and save offers (chart,
tables, drill-down)."""

from __future__ import annotations

from amends.core import proposals, rules
from PySide6.QtCore import QDate


def computed(qtbot, window):
    pane = window.review
    with qtbot.waitSignal(pane.computed, timeout=30_000):
        window.act_review.trigger()
    pane.choice.setCurrentIndex(pane.choice.count() - 1)
    pane.since.setDate(QDate(2025, 1, 1))
    pane.until.setDate(QDate(2026, 11, 1))
    with qtbot.waitSignal(pane.computed, timeout=30_000):
        pane.refresh_button.click()
    return pane


def test_themes_show_drill_down_and_become_a_rule_or_a_proposal(qtbot, window):
    pane = computed(qtbot, window)
    model = pane.themes.model()
    assert model.rowCount() > 0 and [t.to_json() for t in model.rows] == pane.data["themes"]
    row = next(i for i, t in enumerate(model.rows) if not t.covered)
    theme = model.rows[row]
    with qtbot.waitSignal(pane.drill_requested) as drilled:
        pane.themes.doubleClicked.emit(model.index(row, 0))
    assert len(drilled.args[1]) == theme.tickets and theme.theme in drilled.args[0]
    window.act_review.trigger()
    pane.themes.setCurrentIndex(model.index(row, 0))
    assert pane.rule_button.isEnabled()
    with qtbot.waitSignal(pane.wrote):
        pane.rule_button.click()
    assert any(r.name == f"Theme: {theme.theme}" and r.category == theme.category for r in rules.all_rules(window.db))
    with qtbot.waitSignal(pane.wrote, timeout=30_000):
        pane.propose_button.click()
    filed = proposals.list_proposals(window.db)[0]
    assert theme.theme in filed.text and len(filed.ticket_ids) == theme.tickets


def test_save_offers_are_charted_tabled_and_drill_down(qtbot, window):
    pane = computed(qtbot, window)
    shown = pane.saves.model().rows
    assert shown and all(b.customers for b in shown)
    assert sum(b.customers for b in shown) == sum(b["customers"] for b in pane.data["save_offers"]["bands"])
    chart = pane.saves_chart.chart()
    assert chart.categories == tuple(b.band for b in shown) and chart.series[0].intervals, "rates with 95 % bars"
    with qtbot.waitSignal(pane.drill_requested) as clicked:
        pane.saves_chart.clicked.emit(0, 0)
    assert len(clicked.args[1]) == shown[0].retained
    assert pane.saves_by_actor.model().rowCount() > 0
    with qtbot.waitSignal(pane.drill_requested) as drilled:
        pane.saves.doubleClicked.emit(pane.saves.model().index(0, 0))
    assert len(drilled.args[1]) == shown[0].customers
