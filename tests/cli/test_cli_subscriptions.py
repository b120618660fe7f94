"""Issue 13 on the command line: a platform's export imported as it is
(auto and ``--format customers``), replacement costs set and listed, and
recovery cost in money in ``insights``."""

from __future__ import annotations

import json

from tests.cli.test_cli import amends, one_line_error
from tests.core.subscription_exports import RECHARGE, STRIPE, stripe_row, write


def test_import_a_stripe_export_as_it_is(tmp_path, db_target):
    db = db_target
    path = write(tmp_path / "subscriptions.csv", STRIPE, [
        stripe_row("sub_1", "cus_1", "a@x.com", "trialing", "2026-01-05 10:00"),
        stripe_row("sub_2", "cus_1", "a@x.com", "past_due", "2026-02-05 10:00", interval="week"),
        stripe_row("sub_3", "cus_2", "b@x.com", "canceled", "2026-01-05 10:00", canceled="2026-03-01 10:00")])
    result = amends("--db", str(db), "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "imported 3 subscriptions from a Stripe Billing subscriptions export" in result.stdout
    again = amends("--db", str(db), "import", "--format", "customers", "--json", str(path))
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)["files"][0]
    assert (report["source"], report["unit"], report["imported"], report["unchanged"]) == (
        "Stripe Billing subscriptions", "subscriptions", 0, 3)


def test_an_unknown_status_names_its_line(tmp_path, db_target):
    path = write(tmp_path / "recharge.csv", RECHARGE, [
        {"subscription_id": "1", "customer_id": "2", "email": "a@x.com", "status": "ACTIVE",
         "order_interval_unit": "month", "charge_interval_frequency": "1", "created_at": "2026-01-01"},
        {"subscription_id": "2", "customer_id": "3", "email": "b@x.com", "status": "SLEEPING",
         "order_interval_unit": "month", "charge_interval_frequency": "1", "created_at": "2026-01-01"}])
    result = amends("--db", str(db_target), "import", str(path))
    assert result.returncode == 1
    assert "line 3: status: unknown subscription status 'SLEEPING'" in result.stderr
    assert "Traceback" not in result.stderr


def test_replacement_costs_on_the_command_line(db_target):
    db = str(db_target)
    assert amends("--db", db, "demo", "--tickets", "60").returncode == 0
    listed = amends("--db", db, "replacement-cost")
    assert "damaged_shipment  18.50 USD" in listed.stdout
    changed = amends("--db", db, "replacement-cost", "damaged_shipment", "20", "usd")
    assert changed.returncode == 0 and "damaged_shipment: 20.00 USD" in changed.stdout
    assert amends("--db", db, "replacement-cost", "wrong_item", "--clear").returncode == 0
    assert "wrong_item" not in amends("--db", db, "replacement-cost").stdout
    bad = amends("--db", db, "replacement-cost", "damaged", "20", "USD")
    assert bad.returncode == 2 and "unknown category 'damaged'" in one_line_error(bad)
    assert amends("--db", db, "replacement-cost", "wrong_item", "20").returncode == 2
    text = amends("--db", db, "insights", "--since", "2020-01-01")
    assert text.returncode == 0 and "Recovery cost" in text.stdout and " USD" in text.stdout
