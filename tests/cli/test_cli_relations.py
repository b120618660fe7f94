"""`amends insights` and its issue-18 parts (themes, save offers) as a real
process: the JSON shapes are contracts, bad arguments exit 2."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Target
from tests.cli.test_cli import amends, one_line_error


@pytest.fixture(scope="module")
def demo_file(module_targets) -> Target:
    path = module_targets.new("demo.db")
    result = amends("--db", str(path), "demo", "--tickets", "1500", "--seed", "5")
    assert result.returncode == 0, result.stderr
    return path


def test_themes_and_save_offers_have_exactly_the_contracted_shape(demo_file):
    result = amends("--db", str(demo_file), "insights", "--since", "2025-06-01", "--until", "2026-06-30",
                    "--save-window-days", "30", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    keys = list(data)  # added after every key of the earlier contract (issue 17 adds its own beside them)
    assert keys.index("save_offers") == keys.index("themes") + 1 > keys.index("recovery_cost") + 1
    assert data["themes"], "the demo's planted causes make themes"
    for theme in data["themes"]:
        assert list(theme) == ["category", "theme", "tickets", "previous", "covered"]
        assert isinstance(theme["tickets"], int) and isinstance(theme["previous"], int)
        assert isinstance(theme["covered"], bool) and isinstance(theme["theme"], str)
    saved = data["save_offers"]
    assert list(saved) == ["window_days", "bands"] and saved["window_days"] == 30
    for band in saved["bands"]:
        assert list(band) == ["band", "customers", "retained", "rate", "ci", "cost"]
        assert list(band["cost"]) == ["amount", "currency"] and len(band["ci"]) == 2
        assert 0 <= band["ci"][0] <= band["rate"] <= band["ci"][1] <= 1 or band["customers"] == 0
    assert sum(b["customers"] for b in saved["bands"]) > 0


def test_text_lists_themes_and_save_offers(demo_file):
    text = amends("--db", str(demo_file), "insights", "--since", "2025-06-01", "--until", "2026-06-30")
    assert text.returncode == 0, text.stderr
    assert "Themes inside each category" in text.stdout and "Save offers: still subscribed 60 days" in text.stdout


def test_a_bad_save_window_exits_2(demo_file):
    result = amends("--db", str(demo_file), "insights", "--save-window-days", "0")
    assert result.returncode == 2
    assert "--save-window-days" in one_line_error(result)


def test_text_measures_upstream_fixes(demo_file):
    from amends.core import upstream
    from amends.core.workspace import open_database

    db = open_database(str(demo_file), "tester", create=False)
    try:
        upstream.record(db, "double-wall boxes", "2026-03-01", "damaged_shipment")
    finally:
        db.close()
    text = amends("--db", str(demo_file), "insights", "--since", "2025-06-01", "--until", "2026-06-30")
    assert text.returncode == 0, text.stderr
    assert "Upstream fixes" in text.stdout and "double-wall boxes: changed 2026-03-01" in text.stdout
