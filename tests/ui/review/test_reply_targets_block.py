"""The Review's reply-targets block: the share within target, by category and person."""

from __future__ import annotations

from tests.ui.review.test_review import open_review


def test_the_review_shows_answered_within_target(qtbot, window):
    pane = open_review(qtbot, window)
    figures = pane.data["reply_targets"]
    assert figures["waits"] > 0, "the demo's replies are counted against the default 1 d target"
    assert "answered within target" in pane.targets_summary.text()
    assert f"{figures['within_target']} of {figures['waits']}" in pane.targets_summary.text()
    assert pane.targets_by_category.model().rowCount() == len(figures["by_category"]) > 0
    assert pane.targets_by_person.model().rowCount() == len(figures["by_person"]) > 0
