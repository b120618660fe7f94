"""Issue 13 in the app: the sidebar shows the interval as the platform
bills it, the price and every subscription; the import report names the
platform; the Review and the PDF show recovery cost in money."""

from __future__ import annotations

from amends.core import customers, importers
from amends.ui.files.import_dialogs import report_html
from amends.ui.ticket.customer_panel import profile_html

from tests.core.subscription_exports import STRIPE, stripe_row, write


def stripe_file(tmp_path):
    return write(tmp_path / "subscriptions.csv", STRIPE, [
        stripe_row("sub_1", "cus_1", "ada@example.com", "canceled", "2025-11-01 00:00", canceled="2026-01-01 00:00"),
        stripe_row("sub_2", "cus_1", "ada@example.com", "active", "2026-01-05 00:00", plan="Coffee Monthly"),
        stripe_row("sub_3", "cus_1", "ada@example.com", "trialing", "2026-02-01 00:00", plan="Tea Weekly",
                   interval="week", amount="12.50", quantity="2")])


def test_the_sidebar_shows_every_subscription_with_interval_price_and_status(db, tmp_path):
    importers.import_file(db, stripe_file(tmp_path))
    ada = customers.find_by_email(db, "ada@example.com")
    text = profile_html(customers.profile(db, ada))
    assert "<b>Coffee Monthly</b> · active<br>every month · 29.00 USD since 2026-01-05" in text
    assert "Other subscriptions" in text
    assert "Tea Weekly · active (trialing)" in text and "every week · 25.00 USD since 2026-02-01" in text
    assert "cancelled (canceled)" in text and "cancelled 2026-01-01" in text
    assert "days since" not in text


def test_the_import_report_names_the_platform(db, tmp_path):
    report = importers.import_file(db, stripe_file(tmp_path))
    text = report_html([report])
    assert "recognised as a Stripe Billing subscriptions export" in text
    assert "3 subscriptions imported" in text
