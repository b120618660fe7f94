"""Subscription platforms' own exports, recognised by their header: Stripe
Billing, Recharge, Skio, Cratejoy subscriptions and Shopify customers. No
mapping needed; each platform's columns are read as that platform means
them (platforms.py), statuses mapped with the platform's word kept
(statuses.py), and every subscription keyed by the platform's id, so that
importing an updated export updates it instead of adding another.

A customer with several subscriptions (two boxes, a cancelled one and a new
one) gets all of them. Rows of one person are one customer: by the
platform's customer id, else by address, through the writer's one lookup.
"""

from __future__ import annotations

from pathlib import Path

from amends.core.importers import csv_files
from amends.core.importers.records import CustomerRecord, Parsed, RecordProblem, SubscriptionRecord
from amends.core.importers.subscriptions.platforms import PLATFORMS, Bad, Platform, key

__all__ = ["PLATFORMS", "Platform", "parse", "recognise", "recognise_file"]


def recognise(header: list[str]) -> Platform | None:
    """The platform whose export has this header, if any."""
    keys = {key(h) for h in header}
    if "subject" in keys:
        return None  # a tickets file, whatever else it has
    return next((p for p in PLATFORMS if p.matches(keys)), None)


def recognise_file(path: Path) -> Platform | None:
    """For ``detect`` and the import preview: the platform, from the header."""
    return recognise(csv_files.header(path))


def parse(path: Path, platform: Platform) -> Parsed:
    parsed = Parsed("customers" if platform.key == "shopify" else "subscriptions", source=platform.name)
    header, data = csv_files.rows(path, parsed)
    names = {key(h): h.strip() for h in header}
    keys = [key(h) for h in header]
    customers: dict[str, CustomerRecord] = {}
    by_ref: dict[str, SubscriptionRecord] = {}
    for line, cells in data:
        values = dict(zip(keys, cells))
        try:
            row = platform.read(values)
        except Bad as error:
            if platform.key == "shopify" and error.column == "email" and not values.get("email", "").strip():
                parsed.notes.append(RecordProblem(line, names.get("email", "Email"), "no email address: not imported "
                                                   "(Amends knows customers by their address)"))
                continue
            parsed.problem("customers", line, names.get(error.column, error.column), str(error))
            continue
        sub = row.subscription
        if sub is not None and sub.ref in by_ref:
            if platform.lines:  # another line of the same subscription
                _join(by_ref[sub.ref], sub)
                continue
            parsed.problem("customers", line, names.get("id", "id"),
                           f"subscription {sub.ref.split(':', 1)[1]!r} appears twice in the file")
            continue
        ref = row.customer_ref or f"email:{row.email.lower()}"
        record = customers.get(ref)
        if record is None:
            record = customers[ref] = CustomerRecord(ref, row.email, row.name, None, line)
        if sub is not None:
            by_ref[str(sub.ref)] = sub
            record.subscriptions.append(sub)
    parsed.customers = list(customers.values())
    return parsed


def _join(first: SubscriptionRecord, line: SubscriptionRecord) -> None:
    """A further line of one subscription: its product joins the plan's
    name, its price the subscription's."""
    if line.plan and line.plan not in first.plan.split(" + "):
        first.plan = f"{first.plan} + {line.plan}"
    if line.price_minor is not None:
        first.price_minor = (first.price_minor or 0) + line.price_minor
    if line.quantity is not None:
        first.quantity = (first.quantity or 0) + line.quantity
