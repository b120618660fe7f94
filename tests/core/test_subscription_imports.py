"""Issue 13, points 1 and 3: the subscription platforms' own exports are
recognised by their header and imported without a mapping; several
subscriptions per customer, none overwriting another; statuses mapped with
the platform's word kept; re-importing an updated export updates it."""

from __future__ import annotations

import json

import pytest
from amends.core import customers, importers, tickets
from amends.core.importers.subscriptions import statuses

from tests.core.subscription_exports import (
    CRATEJOY,
    RECHARGE,
    SHOPIFY,
    SKIO,
    STRIPE,
    stripe_row,
    write,
)


def subs(db, email):
    customer_id = customers.find_by_email(db, email)
    assert customer_id is not None, email
    return db.query("SELECT * FROM subscriptions WHERE customer_id = ? ORDER BY started_at", (customer_id,))


def stripe_export(tmp_path, extra=(), name="stripe.csv", encoding="utf-8", replace=None):
    rows = [
        # Ada: a cancelled box (under another Stripe customer id, address in other letter case), a monthly
        # box and a weekly one on trial: three subscriptions, one customer.
        stripe_row("sub_3", "cus_2", "ada@example.com", "canceled", "2025-12-01 09:00", canceled="2026-02-15 09:00",
                   name="Ada Okafor"),
        stripe_row("sub_1", "cus_1", "Ada@Example.com", "active", "2026-01-31 10:00", name="Ada Okafor"),
        stripe_row("sub_2", "cus_1", "Ada@Example.com", "trialing", "2026-03-01 10:00", plan="Tea Weekly",
                   interval="week", amount="12.50", quantity="2", name="Ada Okafor"),
        stripe_row("sub_4", "cus_3", "bob@example.com", "past_due", "2026-02-01 00:00"),
        stripe_row("sub_5", "cus_4", "cy@example.com", "past_due", "2026-02-02 00:00"),
        stripe_row("sub_6", "cus_5", "dee@example.com", "unpaid", "2026-01-03 00:00"),
        stripe_row("sub_7", "cus_6", "eve@example.com", "incomplete_expired", "2026-01-04 00:00",
                   ended="2026-01-05 00:00"),
        stripe_row("sub_8", "cus_7", "fay@example.com", "paused", "2026-01-05 00:00"),
        stripe_row("sub_9", "cus_8", "gus@example.com", "canceled", "2026-01-06 00:00", canceled="2026-03-01 00:00"),
        stripe_row("sub_10", "cus_9", "hal@example.com", "trialing", "2026-01-07 00:00", currency="jpy",
                   amount="3000"),
        *extra,
    ]
    rows = [(replace or {}).get(r["id"], r) for r in rows]
    return write(tmp_path / name, STRIPE, rows, encoding)


def test_stripe_export_is_recognised_and_read_without_a_mapping(db, tmp_path):
    path = stripe_export(tmp_path)
    assert importers.detect(path) == "customers"
    report = importers.import_file(db, path)
    assert report.errors == [] and report.written
    assert report.source == "Stripe Billing subscriptions"
    assert report.as_dict()["source"] == "Stripe Billing subscriptions"
    assert (report.imported, report.unit) == (10, "subscriptions")
    assert db.scalar("SELECT count(*) FROM customers") == 8, "Ada's three subscriptions are one customer's"
    assert db.scalar("SELECT count(*) FROM subscriptions") == 10
    ada = subs(db, "ADA@example.com")
    assert [(s["ref"], s["status"], s["status_original"]) for s in ada] == [
        ("stripe:sub_3", "cancelled", "canceled"), ("stripe:sub_1", "active", "active"),
        ("stripe:sub_2", "active", "trialing")]
    assert [(s["interval_unit"], s["interval_count"]) for s in ada] == [("month", 1), ("month", 1), ("week", 1)]
    assert ada[0]["cancelled_at"] == "2026-02-15T09:00:00Z"
    assert [(s["price_minor"], s["currency"], s["quantity"]) for s in ada] == [
        (2900, "USD", 1), (2900, "USD", 1), (2500, "USD", 2)]
    mapped = {r["status_original"]: r["status"] for r in db.query("SELECT * FROM subscriptions")}
    assert mapped == {"canceled": "cancelled", "active": "active", "trialing": "active", "past_due": "active",
                      "unpaid": "paused", "incomplete_expired": "cancelled", "paused": "paused"}
    assert db.scalar("SELECT price_minor FROM subscriptions WHERE ref = 'stripe:sub_10'") == 3000, "yen: no cents"
    assert db.scalar("SELECT cancelled_at FROM subscriptions WHERE ref = 'stripe:sub_7'") == "2026-01-05T00:00:00Z"


def test_format_customers_on_the_command_line_picks_the_platform_too(db, tmp_path):
    report = importers.import_file(db, stripe_export(tmp_path), "customers")
    assert report.errors == [] and report.source == "Stripe Billing subscriptions"


def test_reimporting_an_updated_export_updates_and_adds_nothing_twice(db, tmp_path):
    importers.import_file(db, stripe_export(tmp_path))
    again = importers.import_file(db, stripe_export(tmp_path))
    assert (again.imported, again.unchanged, again.unit) == (0, 10, "subscriptions")
    later = stripe_export(tmp_path, name="later.csv", extra=[
        stripe_row("sub_11", "cus_10", "ivy@example.com", "active", "2026-03-03 00:00")], replace={
        "sub_4": stripe_row("sub_4", "cus_3", "bob@example.com", "canceled", "2026-02-01 00:00",
                            canceled="2026-03-20 00:00")})
    report = importers.import_file(db, later)
    assert report.errors == []
    assert (report.imported, report.unchanged) == (2, 9)
    assert db.scalar("SELECT count(*) FROM subscriptions") == 11
    bob = subs(db, "bob@example.com")
    assert [(s["status"], s["status_original"], s["cancelled_at"]) for s in bob] == [
        ("cancelled", "canceled", "2026-03-20T00:00:00Z")]


def test_an_unknown_status_is_reported_with_its_row_and_the_rest_can_go_in(db, tmp_path):
    path = stripe_export(tmp_path, extra=[stripe_row("sub_12", "cus_11", "jo@example.com", "zombie",
                                                     "2026-01-01 00:00")])
    report = importers.import_file(db, path)
    assert not report.written and db.scalar("SELECT count(*) FROM subscriptions") == 0
    assert [(e.record, e.field) for e in report.errors] == [(12, "Status")]
    assert "'zombie'" in report.errors[0].reason and "trialing" in report.errors[0].reason
    kept = importers.import_file(db, path, skip_invalid=True)
    assert kept.written and kept.skipped == 1
    assert db.scalar("SELECT count(*) FROM subscriptions") == 10


def test_a_bad_date_names_its_column_and_line(db, tmp_path):
    path = stripe_export(tmp_path, extra=[stripe_row("sub_12", "cus_11", "jo@example.com", "active",
                                                     "31/31/2026")])
    report = importers.import_file(db, path)
    assert [(e.record, e.field) for e in report.errors] == [(12, "Start (UTC)")]


@pytest.mark.parametrize("word, ours", [("trialing", "active"), ("past due", "active"), ("PAST_DUE", "active"),
                                        ("renewing", "active"), ("FAILED", "paused"), ("unpaid", "paused"),
                                        ("incomplete", "paused"), ("Cancelled", "cancelled"),
                                        ("expired", "cancelled"), ("incomplete_expired", "cancelled")])
def test_status_words(word, ours):
    assert statuses.ours(word) == ours


def test_recharge_export_weekly_and_monthly_in_windows_1252(db, tmp_path):
    rows = [
        {"subscription_id": "101", "customer_id": "9", "email": "zoe@example.com", "product_title": "Café Blend",
         "variant_title": "1 kg", "price": "24.00", "quantity": "1", "status": "ACTIVE", "order_interval_unit": "week",
         "order_interval_frequency": "2", "charge_interval_frequency": "2", "created_at": "2026-01-05T08:00:00"},
        {"subscription_id": "102", "customer_id": "9", "email": "zoe@example.com", "product_title": "Thé vert",
         "price": "9.50", "quantity": "2", "status": "CANCELLED", "order_interval_unit": "month",
         "order_interval_frequency": "1", "charge_interval_frequency": "1", "created_at": "2025-10-01T08:00:00",
         "cancelled_at": "2026-01-02T08:00:00", "cancellation_reason": "Too much tea"},
        {"subscription_id": "103", "customer_id": "10", "email": "yan@example.com", "product_title": "Snack Box",
         "price": "30", "quantity": "1", "status": "EXPIRED", "order_interval_unit": "month",
         "order_interval_frequency": "1", "charge_interval_frequency": "3", "created_at": "2025-06-01T00:00:00",
         "cancelled_at": "2025-12-01T00:00:00"},
    ]
    path = write(tmp_path / "recharge.csv", RECHARGE, rows, "cp1252")
    assert importers.detect(path) == "customers", "not taken for a tickets file (no subject column)"
    report = importers.import_file(db, path)
    assert report.errors == [] and report.source == "Recharge subscriptions"
    zoe = subs(db, "zoe@example.com")
    assert [(s["plan"], s["interval_unit"], s["interval_count"], s["status"], s["price_minor"]) for s in zoe] == [
        ("Thé vert", "month", 1, "cancelled", 1900), ("Café Blend – 1 kg", "week", 2, "active", 2400)]
    yan = subs(db, "yan@example.com")
    assert (yan[0]["interval_unit"], yan[0]["interval_count"], yan[0]["status_original"]) == ("month", 3, "EXPIRED")


def test_skio_lines_of_one_subscription_are_one_subscription(db, tmp_path):
    base = {"customerId": "c1", "email": "kim@example.com", "firstName": "Kim", "lastName": "Lee",
            "currencyCode": "USD", "billingIntervalUnit": "MONTH", "billingIntervalCount": "1",
            "createdAt": "2026-02-01T00:00:00Z"}
    rows = [
        base | {"subscriptionId": "s1", "productTitle": "Coffee", "price": "20.00", "quantity": "1",
                "status": "ACTIVE"},
        base | {"subscriptionId": "s1", "productTitle": "Mug", "price": "5.00", "quantity": "2", "status": "ACTIVE"},
        base | {"subscriptionId": "s2", "productTitle": "Tea", "price": "10.00", "quantity": "1", "status": "FAILED",
                "statusContext": "card declined", "billingIntervalUnit": "WEEK", "billingIntervalCount": "2"},
        base | {"subscriptionId": "s3", "customerId": "c2", "email": "lou@example.com", "productTitle": "Tea",
                "price": "10.00", "quantity": "1", "status": "CANCELLED", "cancelledAt": "2026-03-01T00:00:00Z"},
    ]
    report = importers.import_file(db, write(tmp_path / "skio.csv", SKIO, rows))
    assert report.errors == [] and report.source == "Skio subscriptions"
    kim = subs(db, "kim@example.com")
    assert [(s["ref"], s["plan"], s["price_minor"], s["status"], s["status_original"]) for s in kim] == [
        ("skio:s1", "Coffee + Mug", 3000, "active", "ACTIVE"),
        ("skio:s2", "Tea", 1000, "paused", "FAILED (card declined)")]
    assert (kim[1]["interval_unit"], kim[1]["interval_count"]) == ("week", 2)
    assert db.scalar("SELECT name FROM customers WHERE email = 'kim@example.com'") == "Kim Lee"


def test_cratejoy_export_with_every_status_and_revenue_in_cents(db, tmp_path):
    def row(sub, email, status, **more):
        return {"subscription_ID": sub, "customer": "77" + sub, "email": email, "ship_name": f"Ship {sub}",
                "bill_name": f"Bill {sub}", "status": status, "product": "Craft Box", "start_date": "2026-01-10",
                "total_revenue": "5997", "mrr": "1999", "currency": "usd"} | more
    rows = [row("1", "m1@example.com", "active"), row("2", "m2@example.com", "renewing"),
            row("3", "m3@example.com", "past due"), row("4", "m4@example.com", "cancelled", end_date="2026-03-01"),
            row("5", "m5@example.com", "expired", end_date="2026-02-01"), row("6", "m1@example.com", "active")]
    report = importers.import_file(db, write(tmp_path / "cratejoy.csv", CRATEJOY, rows))
    assert report.errors == [] and report.source == "Cratejoy subscriptions"
    got = {r["ref"]: (r["status"], r["price_minor"], r["currency"], r["interval_unit"]) for r in
           db.query("SELECT * FROM subscriptions")}
    assert got["cratejoy:1"] == ("active", 1999, "USD", "month")
    assert [got[f"cratejoy:{i}"][0] for i in range(1, 7)] == ["active", "active", "active", "cancelled",
                                                             "cancelled", "active"]
    assert len(subs(db, "m1@example.com")) == 2
    assert db.scalar("SELECT name FROM customers WHERE email = 'm1@example.com'") == "Bill 1"


def test_shopify_customers_export_latin1_and_rows_without_email_said(db, tmp_path):
    rows = [{"Customer ID": "501", "First Name": "José", "Last Name": "Nuñez", "Email": "jose@example.com",
             "Tags": "vip", "Note": ""},
            {"Customer ID": "502", "First Name": "Phone", "Last Name": "Only", "Email": "", "Phone": "+1555"},
            {"Customer ID": "503", "First Name": "Ann", "Last Name": "Bé", "Email": "ann@example.com"}]
    path = write(tmp_path / "customers_export.csv", SHOPIFY, rows, "latin-1")
    assert importers.detect(path) == "customers"
    report = importers.import_file(db, path)
    assert report.errors == [] and report.written and report.source == "Shopify customers"
    assert report.imported == 2
    assert [(n.record, n.field) for n in report.notes] == [(3, "Email")]
    assert db.scalar("SELECT name FROM customers WHERE email = 'jose@example.com'") == "José Nuñez"
    assert db.scalar("SELECT count(*) FROM subscriptions") == 0


def test_a_stripe_export_meets_the_customers_of_an_mbox(db, tmp_path):
    """Tickets first (customers by address from the mail), then the Stripe
    export: the subscriptions join those customers, and the tickets get
    their billing cycles."""
    mbox = tmp_path / "support.mbox"
    mbox.write_bytes(b"From ada@example.com Sun Mar  1 12:00:00 2026\nFrom: Ada <ADA@example.com>\n"
                     b"Subject: Broken box\nDate: Sun, 01 Mar 2026 12:00:00 +0000\nMessage-ID: <m1@x>\n\nBroken.\n")
    assert importers.import_file(db, mbox).written
    ticket = db.one("SELECT id, billing_cycle, customer_id FROM tickets")
    assert ticket["billing_cycle"] is None
    importers.import_file(db, stripe_export(tmp_path))
    assert db.scalar("SELECT count(*) FROM customers WHERE email LIKE 'ada@%' COLLATE NOCASE") == 1
    assert len(subs(db, "ada@example.com")) == 3
    # 1 March 12:00: sub_1 (monthly since 31 January) and sub_2 (weekly since 1 March 10:00) are in force; the
    # older one decides. Calendar months: 28 February is the first renewal, so cycle 2 (30-day steps: cycle 1).
    assert db.scalar("SELECT billing_cycle FROM tickets WHERE id = ?", (ticket["id"],)) == 2
    later = tickets.create(db, "Again", "x", customer_id=ticket["customer_id"], created_at="2026-01-20T00:00:00Z")
    assert db.scalar("SELECT billing_cycle FROM tickets WHERE id = ?", (later,)) == 2, \
        "20 January: only the December box (sub_3) was in force: its second month"


def test_the_exchange_format_keeps_every_subscription(db, tmp_path):
    from amends.core.exporters import amends as exporter
    from amends.core.workspace import open_database

    from tests.conftest import ACTOR

    importers.import_file(db, stripe_export(tmp_path))
    exporter.write_document(db, tmp_path / "shop.json")
    other = open_database(tmp_path / "other.db", ACTOR)
    try:
        report = importers.import_file(other, tmp_path / "shop.json")
        assert report.errors == [] and report.written
        columns = ", ".join(f"s.{c}" for c in (
            "plan", "started_at", "cycle_days", "status", "cancelled_at", "ref", "interval_unit", "interval_count",
            "status_original", "price_minor", "currency", "quantity"))
        query = (f"SELECT c.email, {columns} FROM subscriptions s JOIN customers c ON c.id = s.customer_id "
                 "ORDER BY s.ref")
        assert [tuple(r) for r in other.query(query)] == [tuple(r) for r in db.query(query)]
        exporter.write_document(other, tmp_path / "again.json")
        first, second = (json.loads((tmp_path / n).read_text())["customers"] for n in ("shop.json", "again.json"))
        assert [c["subscriptions"] for c in first] == [c["subscriptions"] for c in second]
        assert importers.import_file(other, tmp_path / "shop.json").imported == 0
    finally:
        other.close()


def test_a_mapped_export_takes_the_platforms_statuses(db, tmp_path):
    """With --map (the generic customers CSV), trialing and past_due are no
    longer refused, and interval, price and currency come along."""
    mapping = {"Customer Email": "email", "Plan": "plan", "Start (UTC)": "started_at", "Status": "status",
               "Canceled At (UTC)": "cancelled_at", "Interval": "interval_unit", "Amount": "price",
               "Currency": "currency", "id": "subscription_ref", "Customer ID": "ignore"}
    ended = stripe_row("sub_7", "cus_6", "eve@example.com", "incomplete_expired", "2026-01-04 00:00",
                       canceled="2026-01-05 00:00")  # one date column only: Canceled At, not Ended At
    report = importers.import_file(db, stripe_export(tmp_path, replace={"sub_7": ended}), "customers",
                                   mapping=mapping)
    assert report.errors == [] and report.source is None
    got = {r["ref"]: (r["status"], r["status_original"], r["interval_unit"], r["price_minor"], r["currency"])
           for r in db.query("SELECT * FROM subscriptions")}
    assert got["csv:sub_2"] == ("active", "trialing", "week", 1250, "USD")
    assert got["csv:sub_4"] == ("active", "past_due", "month", 2900, "USD")
