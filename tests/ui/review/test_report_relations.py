"""The PDF report's issue-18 parts: themes, save offers with their chart,
upstream fixes, and one page per policy reviewed for the period."""

from __future__ import annotations

from datetime import date

from amends.core import insights, policies, policy_decisions, upstream
from amends.core.insights.period import Period
from amends.ui.report import build_html, write_report

PERIOD = Period(date(2026, 1, 1), date(2026, 9, 30))


def test_the_report_has_themes_save_offers_fixes_and_a_page_per_reviewed_policy(qtbot, demo_db, tmp_path):
    damaged = next(p for p in policies.list_policies(demo_db) if p.category == "damaged_shipment")
    policy_decisions.decide(demo_db, damaged.id, "keep", "replacements work", PERIOD)
    upstream.record(demo_db, "double-wall boxes", "2026-05-15", "damaged_shipment")
    data = insights.compute(demo_db, PERIOD).to_json()
    text, images = build_html(demo_db, data, PERIOD)
    assert "<h2>Themes inside each category</h2>" in text and data["themes"][0]["theme"] in text
    assert "<h2>What save offers save</h2>" in text and "saves" in images
    assert "<h2>Upstream fixes</h2>" in text and "double-wall boxes" in text
    assert text.count("page-break-before: always") == 1 and f"<h2>{damaged.name}</h2>" in text
    assert "decision by" in text and "replacements work" in text
    out = write_report(demo_db, PERIOD, tmp_path / "q.pdf", data=data)
    assert out.read_bytes()[:5] == b"%PDF-"


def test_no_decision_no_policy_pages(qtbot, demo_db):
    data = insights.compute(demo_db, PERIOD).to_json()
    text, _images = build_html(demo_db, data, PERIOD)
    assert "page-break-before" not in text
