"""Sample subscription platform exports, written by the tests from the
platforms' column lists (issue 13), in any encoding."""

from __future__ import annotations

import csv
import io
from pathlib import Path

STRIPE = ["id", "Customer ID", "Customer Name", "Customer Email", "Plan", "Product", "Quantity", "Currency",
          "Interval", "Amount", "Status", "Created (UTC)", "Start (UTC)", "Current Period Start (UTC)",
          "Current Period End (UTC)", "Trial Start (UTC)", "Trial End (UTC)", "Canceled At (UTC)",
          "Cancel At Period End", "Ended At (UTC)"]
RECHARGE = ["subscription_id", "customer_id", "email", "product_title", "variant_title", "price", "quantity",
            "status", "order_interval_unit", "order_interval_frequency", "charge_interval_frequency",
            "next_charge_scheduled_at", "created_at", "cancelled_at", "cancellation_reason"]
SKIO = ["subscriptionId", "customerId", "email", "firstName", "lastName", "productTitle", "variantTitle", "price",
        "quantity", "currencyCode", "status", "statusContext", "billingIntervalUnit", "billingIntervalCount",
        "nextBillingDate", "createdAt", "cancelledAt"]
CRATEJOY = ["subscription_ID", "customer", "email", "ship_name", "ship_address", "ship_city", "bill_name",
            "bill_address", "status", "product", "start_date", "end_date", "total_revenue", "mrr", "currency"]
SHOPIFY = ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Company", "Address1",
           "City", "Country Code", "Phone", "Total Spent", "Total Orders", "Tags", "Note", "Tax Exempt"]


def write(path: Path, header: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    """Rows as dicts (missing columns empty), written as the platform does."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        unknown = set(row) - set(header)
        assert not unknown, f"not in the header: {unknown}"
        writer.writerow([row.get(h, "") for h in header])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def stripe_row(sub: str, customer: str, email: str, status: str, start: str, *, plan: str = "Coffee Monthly",
               interval: str = "month", amount: str = "29.00", quantity: str = "1", canceled: str = "",
               ended: str = "", name: str = "", currency: str = "usd") -> dict[str, str]:
    return {"id": sub, "Customer ID": customer, "Customer Name": name, "Customer Email": email, "Plan": plan,
            "Product": f"prod_{plan[:4]}", "Quantity": quantity, "Currency": currency, "Interval": interval,
            "Amount": amount, "Status": status, "Created (UTC)": start, "Start (UTC)": start,
            "Current Period Start (UTC)": start, "Canceled At (UTC)": canceled,
            "Cancel At Period End": "false", "Ended At (UTC)": ended}
