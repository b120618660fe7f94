"""How each platform's export reads: which header says it is theirs, and
what each column means. Column names are compared as keys: lower case,
every run of other characters one ``_`` ("Created (UTC)" → ``created_utc``).

Every reader takes one row (key → cell) and returns a :class:`Row`, or
raises :class:`Bad` naming the column at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from amends.core import billing, money
from amends.core.importers.records import SubscriptionRecord
from amends.core.importers.subscriptions import statuses
from amends.core.importers.values import BadValue, time_value


class Bad(BadValue):
    """A cell that cannot be read; ``column`` names it as in the file's header."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column


@dataclass
class Row:
    customer_ref: str
    email: str
    name: str
    subscription: SubscriptionRecord | None


Values = dict[str, str]


def key(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


def pick(values: Values, *names: str) -> str:
    """The first of these columns with something in it ('' when none)."""
    for name in names:
        text = values.get(name, "").strip()
        if text:
            return text
    return ""


def _first_column(values: Values, names: tuple[str, ...]) -> str:
    return next((n for n in names if n in values), names[0])


def when(values: Values, *names: str, required: bool = True) -> str | None:
    text = pick(values, *names)
    try:
        return time_value(text, required=required)
    except BadValue as error:
        column = next((n for n in names if values.get(n, "").strip()), _first_column(values, names))
        raise Bad(column, str(error)) from None


def status(values: Values, name: str) -> tuple[str, str]:
    """(ours, the platform's word)."""
    word = values.get(name, "").strip()
    mapped = statuses.ours(word) if word else None
    if mapped is None:
        raise Bad(name, f"unknown subscription status {word!r} (known: {statuses.known()}); correct it, "
                        "or import the other rows with --skip-invalid")
    return mapped, word


def interval(values: Values, unit_names: tuple[str, ...], count_names: tuple[str, ...],
             default: billing.Interval | None = None) -> billing.Interval:
    unit_text = pick(values, *unit_names)
    count_text = pick(values, *count_names) or "1"
    if not unit_text:
        if default is not None:
            return default
        raise Bad(_first_column(values, unit_names), "no billing interval (day, week, month or year)")
    try:
        unit = billing.parse_unit(unit_text)
    except ValueError as error:
        raise Bad(_first_column(values, unit_names), str(error)) from None
    if not re.fullmatch(r"\d+(\.0+)?", count_text) or int(float(count_text)) <= 0:
        raise Bad(_first_column(values, count_names), f"interval count {count_text!r} must be a whole number above 0")
    return billing.Interval(unit, int(float(count_text)))


def quantity(values: Values, name: str = "quantity") -> int:
    text = values.get(name, "").strip() or "1"
    if not re.fullmatch(r"\d+", text) or int(text) <= 0:
        raise Bad(name, f"quantity {text!r} must be a whole number above 0")
    return int(text)


def price(values: Values, names: tuple[str, ...], currency: str | None, *, minor: bool = False) -> int | None:
    text = pick(values, *names)
    if not text:
        return None
    try:
        if minor:
            if not re.fullmatch(r"-?\d+", text):
                raise ValueError(f"{text!r} is not a whole amount in the smallest currency unit")
            return int(text)
        return money.to_minor(text, currency)
    except ValueError as error:
        raise Bad(next(n for n in names if values.get(n, "").strip()), str(error)) from None


def subscription(ref: str, plan: str, started: str, every: billing.Interval, state: tuple[str, str],
                 cancelled: str | None, price_minor: int | None, currency: str | None,
                 count: int | None) -> SubscriptionRecord:
    ours, word = state
    if ours == "cancelled" and cancelled is None:
        raise Bad("status", f"status {word!r} ends the subscription, but the row has no cancellation or end date")
    return SubscriptionRecord(plan or "subscription", started, every.approx_days, ours,
                              cancelled if ours == "cancelled" else None, ref, every.unit, every.count, word,
                              price_minor, currency, count)


def email_of(values: Values, *names: str) -> str:
    address = pick(values, *names)
    if "@" not in address:
        raise Bad(_first_column(values, names), f"{address!r} is not an email address")
    return address


# -- the platforms ------------------------------------------------------------

def read_stripe(v: Values) -> Row:
    """Stripe Billing → Subscriptions → Export. ``Amount`` is per unit, in
    major units ('29.00'); the price per cycle is Amount × Quantity."""
    currency = pick(v, "currency").upper() or None
    count = quantity(v)
    amount = price(v, ("amount", "plan_amount", "price_amount"), currency)
    ref = pick(v, "id", "subscription_id")
    if not ref:
        raise Bad("id", "no subscription id")
    customer = pick(v, "customer_id", "customer")
    return Row(f"stripe:{customer}" if customer else "", email_of(v, "customer_email", "email"),
               pick(v, "customer_name", "customer_description"),
               subscription(f"stripe:{ref}", pick(v, "plan", "product", "price", "plan_name"),
                            str(when(v, "start_utc", "start_date_utc", "created_utc")),
                            interval(v, ("interval", "plan_interval"), ("interval_count", "plan_interval_count")),
                            status(v, "status"), when(v, "canceled_at_utc", "ended_at_utc", required=False),
                            None if amount is None else amount * count, currency, count))


def read_recharge(v: Values) -> Row:
    """Recharge → Subscriptions → Export. The billing interval is
    ``charge_interval_frequency`` × ``order_interval_unit`` (the order
    interval is how often a box ships)."""
    ref = pick(v, "subscription_id", "id")
    if not ref:
        raise Bad("subscription_id", "no subscription id")
    currency = pick(v, "currency", "presentment_currency").upper() or None
    count = quantity(v)
    amount = price(v, ("price",), currency)
    plan = " – ".join(p for p in (pick(v, "product_title"), pick(v, "variant_title")) if p)
    customer = pick(v, "customer_id")
    name = " ".join(p for p in (pick(v, "first_name"), pick(v, "last_name")) if p)
    return Row(f"recharge:{customer}" if customer else "", email_of(v, "email", "customer_email"), name,
               subscription(f"recharge:{ref}", plan, str(when(v, "created_at")),
                            interval(v, ("order_interval_unit",), ("charge_interval_frequency",
                                                                   "order_interval_frequency")),
                            status(v, "status"), when(v, "cancelled_at", "canceled_at", required=False),
                            None if amount is None else amount * count, currency, count))


def read_skio(v: Values) -> Row:
    """Skio → Subscriptions → Export: one row per subscription *line*; the
    lines of one subscription are joined by its id (see __init__)."""
    ref = pick(v, "subscriptionid", "subscription_id", "id")
    if not ref:
        raise Bad("subscriptionId", "no subscription id")
    currency = pick(v, "currencycode", "currency", "currency_code").upper() or None
    count = quantity(v)
    amount = price(v, ("price", "lineprice", "line_price", "priceamount"), currency)
    plan = " – ".join(p for p in (pick(v, "producttitle", "product_title", "product"),
                                  pick(v, "varianttitle", "variant_title")) if p)
    state = status(v, "status")
    context = pick(v, "statuscontext")
    state = (state[0], f"{state[1]} ({context})" if context else state[1])
    name = " ".join(p for p in (pick(v, "firstname", "first_name"), pick(v, "lastname", "last_name")) if p)
    customer = pick(v, "customerid", "customer_id")
    return Row(f"skio:{customer}" if customer else "", email_of(v, "email", "customeremail", "customer_email"),
               name or pick(v, "customername", "customer_name"),
               subscription(f"skio:{ref}", plan, str(when(v, "createdat", "created_at", "startdate")),
                            interval(v, ("billingintervalunit", "billing_interval_unit", "interval", "intervalunit"),
                                     ("billingintervalcount", "billing_interval_count", "intervalcount",
                                      "interval_count"), billing.Interval("month", 1)),
                            state, when(v, "cancelledat", "canceledat", "cancelled_at", required=False),
                            None if amount is None else amount * count, currency, count))


def read_cratejoy(v: Values) -> Row:
    """Cratejoy → Subscriptions → Export. ``mrr`` (monthly recurring
    revenue) is in the smallest currency unit: the price of a month."""
    ref = pick(v, "subscription_id", "id")
    if not ref:
        raise Bad("subscription_ID", "no subscription id")
    currency = pick(v, "currency").upper() or None
    every = interval(v, ("interval", "term_unit"), ("interval_count", "term_count"), billing.Interval("month", 1))
    mrr = price(v, ("mrr",), currency, minor=True)
    months = {"month": every.count, "year": 12 * every.count}.get(every.unit)
    customer = pick(v, "customer", "customer_id")
    name = pick(v, "bill_name", "ship_name") or " ".join(
        p for p in (pick(v, "bill_first_name", "ship_first_name"), pick(v, "bill_last_name", "ship_last_name")) if p)
    return Row(f"cratejoy:{customer}" if customer.isdigit() else "", email_of(v, "email"),
               name or ("" if customer.isdigit() else customer),
               subscription(f"cratejoy:{ref}", pick(v, "product", "product_name", "plan", "term"),
                            str(when(v, "start_date", "created", "created_at", "date_created", "subscription_start")),
                            every, status(v, "status"),
                            when(v, "cancelled_at", "canceled_at", "cancel_date", "end_date", "expired_at",
                                 required=False),
                            None if mrr is None or months is None else mrr * months, currency, None))


def read_shopify(v: Values) -> Row:
    """Shopify admin → Customers → Export: customers only, no subscription."""
    name = " ".join(p for p in (pick(v, "first_name"), pick(v, "last_name")) if p)
    customer = pick(v, "customer_id", "id")
    return Row(f"shopify:{customer}" if customer else "", email_of(v, "email"), name, None)


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    #: Every one of these keys is in the header ...
    required: frozenset[str]
    #: ... and at least one of these (empty: no further condition).
    any_of: frozenset[str]
    read: Callable[[Values], Row]
    #: Lines of one subscription to join (Skio): rows with the same subscription ref.
    lines: bool = False

    def matches(self, keys: set[str]) -> bool:
        return self.required <= keys and (not self.any_of or bool(self.any_of & keys))


PLATFORMS = (
    Platform("stripe", "Stripe Billing subscriptions", frozenset({"id", "customer_email", "status", "interval"}),
             frozenset({"current_period_end_utc", "current_period_start_utc", "cancel_at_period_end",
                        "customer_id"}), read_stripe),
    Platform("recharge", "Recharge subscriptions", frozenset({"customer_id", "email", "status",
                                                              "order_interval_unit"}),
             frozenset({"subscription_id", "id"}), read_recharge),
    Platform("skio", "Skio subscriptions", frozenset({"status", "statuscontext"}), frozenset(), read_skio,
             lines=True),
    Platform("cratejoy", "Cratejoy subscriptions", frozenset({"subscription_id", "email", "status"}),
             frozenset({"mrr", "total_revenue"}), read_cratejoy),
    Platform("shopify", "Shopify customers", frozenset({"first_name", "last_name", "email", "tags", "note"}),
             frozenset(), read_shopify),
)
