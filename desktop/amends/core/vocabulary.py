"""Stable identifiers (used by the CLI, exports and imports) and the names
people read. Change the identifiers only compatibly: they are a public format."""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "damaged_shipment": "Damaged shipment",
    "late_delivery": "Late or lost delivery",
    "wrong_item": "Wrong or missing item",
    "billing": "Billing",
    "cancellation": "Cancellation",
    "skip_pause": "Skip or pause",
    "product_quality": "Product quality",
    "other": "Other",
}

STATUSES: dict[str, str] = {"open": "Open", "pending": "Pending", "resolved": "Resolved"}

#: Priority is stored as a small integer so it sorts; higher is more urgent.
PRIORITIES: dict[int, str] = {0: "Low", 1: "Normal", 2: "High", 3: "Urgent"}
DEFAULT_PRIORITY = 1

STEP_TYPES: dict[str, str] = {
    "apology": "Apology",
    "replacement": "Replacement",
    "refund": "Refund",
    "check_in": "Check-in",
    "save_offer": "Save offer",
    "survey": "Survey",
    "escalate": "Escalate",
    "custom": "Custom step",
}

OFFER_KINDS: dict[str, str] = {
    "percent_next_cycle": "% off next cycle",
    "account_credit": "Account credit",
    "free_addon": "Free add-on",
}

SEGMENTS: dict[str, str] = {
    "any": "Any customer",
    "first_cycle": "First billing cycle",
    "established": "Established (cycle 2+)",
    "at_risk": "At risk (2+ tickets in 60 days)",
}

MESSAGE_DIRECTIONS: dict[str, str] = {"in": "Customer", "out": "Reply", "note": "Internal note"}

SUBSCRIPTION_STATUSES = ("active", "paused", "cancelled")


def category_name(category: str) -> str:
    return CATEGORIES.get(category, category)


def priority_name(priority: int) -> str:
    return PRIORITIES.get(priority, str(priority))
