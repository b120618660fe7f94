"""Spreadsheet exports: a generic tickets CSV and a customers/subscriptions
CSV, with column mapping.

Delimiter sniffed (comma, semicolon, tab); BOM handled; UTF-8, UTF-16 and
Windows-1252 read; quoted newlines and doubled quotes understood. A malformed
row (unclosed quote, wrong number of columns) is reported with its line,
never guessed.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from amends.core import billing, money
from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, SubscriptionRecord, TicketRecord
from amends.core.importers.subscriptions import statuses
from amends.core.importers.values import (
    BadValue,
    category_value,
    priority_value,
    status_value,
    time_value,
)

TICKET_FIELDS = ("ref", "subject", "body", "category", "status", "priority", "assignee", "created_at", "updated_at",
                 "customer_email", "customer_name", "customer_ref")
CUSTOMER_FIELDS = ("ref", "email", "name", "plan", "started_at", "cycle_days", "status", "cancelled_at",
                   "subscription_ref", "interval_unit", "interval_count", "price", "currency")
ALIASES = {
    "id": "ref", "ticket_id": "ref", "external_id": "ref", "number": "ref", "ticket": "ref",
    "title": "subject", "summary": "subject",
    "description": "body", "message": "body", "text": "body", "content": "body",
    "type": "category", "topic": "category", "reason": "category",
    "state": "status",
    "agent": "assignee", "owner": "assignee", "assigned_to": "assignee",
    "created": "created_at", "date": "created_at", "opened": "created_at", "created_time": "created_at",
    "updated": "updated_at", "modified": "updated_at",
    "email": "customer_email", "requester": "customer_email", "requester_email": "customer_email",
    "customer": "customer_email", "from": "customer_email",
    "name": "customer_name", "requester_name": "customer_name",
    "customer_id": "customer_ref",
}
CUSTOMER_ALIASES = {"id": "ref", "customer_id": "ref", "external_id": "ref", "e-mail": "email", "mail": "email",
                    "full_name": "name", "customer_name": "name", "product": "plan", "plan_name": "plan",
                    "start": "started_at", "start_date": "started_at", "created_at": "started_at",
                    "subscribed_at": "started_at", "interval_days": "cycle_days", "billing_interval_days": "cycle_days",
                    "cycle": "cycle_days", "subscription_status": "status", "cancelled": "cancelled_at",
                    "canceled_at": "cancelled_at", "cancellation_date": "cancelled_at",
                    "customer_email": "email", "email_address": "email", "subscription_id": "subscription_ref",
                    "interval": "interval_unit", "billing_interval": "interval_unit", "amount": "price"}


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _normal(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def header_mapping(headers: list[str], known: tuple[str, ...], aliases: dict[str, str],
                   overrides: dict[str, str]) -> dict[int, str]:
    """Column index → field. ``overrides`` (``--map COLUMN=FIELD``) win;
    then exact field names, then common aliases."""
    result: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = _normal(header)
        if header in overrides or name in overrides:
            target = overrides.get(header, overrides.get(name))
            if target and target != "ignore":
                result[index] = target
            continue
        if name in known:
            result[index] = name
        elif aliases.get(name) in known and aliases[name] not in result.values():
            result[index] = aliases[name]
    return result


def rows(path: Path, parsed: Parsed) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data rows with their line numbers; malformed rows are
    problems, not guesses."""
    text = read_text(path)
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=True)
    header: list[str] = []
    found: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if not header:
                header = record
                line = reader.line_num + 1
                continue
            if not any(cell.strip() for cell in record):
                line = reader.line_num + 1
                continue
            if len(record) != len(header):
                parsed.problem("tickets" if parsed.unit == "tickets" else "customers", line, "",
                               f"{len(record)} columns where the header has {len(header)}")
            else:
                found.append((line, record))
            line = reader.line_num + 1
    except csv.Error as error:
        parsed.problem("tickets" if parsed.unit == "tickets" else "customers", line, "",
                       f"malformed CSV ({error}); a quote is probably not closed")
    if not header:
        parsed.problem("document", 0, "", "the file is empty")
    return header, found


def _ref_for(values: dict[str, str], line: int, prefix: str) -> str:
    """A stable external id: the file's own id column, else one derived from
    the row's content (so importing the same file again finds it)."""
    if values.get("ref", "").strip():
        return values["ref"].strip()
    digest = hashlib.sha1("\x1f".join(values.get(k, "") for k in sorted(values)).encode()).hexdigest()[:16]
    return f"{prefix}-{digest}"


def parse_tickets(path: Path, overrides: dict[str, str]) -> Parsed:
    parsed = Parsed("tickets")
    header, data = rows(path, parsed)
    mapping = header_mapping(header, TICKET_FIELDS, ALIASES, overrides)
    for column, field in list(mapping.items()):
        if field not in TICKET_FIELDS:
            parsed.problem("document", 1, header[column], f"--map target {field!r} is not one of "
                                                          f"{', '.join(TICKET_FIELDS)}")
            del mapping[column]
    if "subject" not in mapping.values() and header:
        parsed.problem("document", 1, "subject", "no subject column (name one with --map COLUMN=subject)")
        return parsed
    customers: dict[str, CustomerRecord] = {}
    for line, record in data:
        values = {field: record[column] for column, field in mapping.items()}

        def check(name, read):
            try:
                return read()
            except BadValue as error:
                parsed.problem("tickets", line, name, str(error))
                return None

        subject = values.get("subject", "").strip()
        if not subject:
            parsed.problem("tickets", line, "subject", "a ticket needs a subject")
        category = check("category", lambda: category_value(values.get("category")))
        status = check("status", lambda: status_value(values.get("status") or "open"))
        priority = check("priority", lambda: priority_value(values.get("priority")))
        created = check("created_at", lambda: time_value(values.get("created_at")))
        updated = check("updated_at", lambda: time_value(values.get("updated_at"), required=False)) or created
        email = values.get("customer_email", "").strip()
        customer_ref = values.get("customer_ref", "").strip() or (f"email:{email.lower()}" if email else None)
        if email and "@" not in email:
            parsed.problem("tickets", line, "customer_email", f"{email!r} is not an email address")
        elif customer_ref and email and customer_ref not in customers:
            customers[customer_ref] = CustomerRecord(customer_ref, email, values.get("customer_name", "").strip())
        if None in (category, status, priority, created) or not subject:
            continue
        body = values.get("body", "")
        messages = [MessageRecord("in", values.get("customer_name") or email or "customer", created, body)] \
            if body.strip() else []
        parsed.tickets.append(TicketRecord(_ref_for(values, line, "csv"), subject, category, status, priority,
                                           values.get("assignee", "").strip() or None, created, updated,
                                           customer_ref if email or values.get("customer_ref") else None,
                                           messages, None, line))
    parsed.customers = list(customers.values())
    return parsed


def parse_customers(path: Path, overrides: dict[str, str]) -> Parsed:
    parsed = Parsed("customers")
    header, data = rows(path, parsed)
    mapping = header_mapping(header, CUSTOMER_FIELDS, CUSTOMER_ALIASES, overrides)
    if "email" not in mapping.values() and header:
        parsed.problem("document", 1, "email", "no email column (name one with --map COLUMN=email)")
        return parsed
    for line, record in data:
        values = {field: record[column] for column, field in mapping.items()}
        email = values.get("email", "").strip()
        if "@" not in email:
            parsed.problem("customers", line, "email", f"{email!r} is not an email address")
            continue
        subscription = None
        if values.get("plan", "").strip():
            try:
                subscription = _subscription(values)
            except BadValue as error:
                parsed.problem("customers", line, "subscription", str(error))
                continue
        ref = values.get("ref", "").strip() or f"email:{email.lower()}"
        parsed.customers.append(CustomerRecord(ref, email, values.get("name", "").strip(), subscription, line))
    return parsed


def _subscription(values: dict[str, str]) -> SubscriptionRecord:
    """A mapped row's subscription. The interval is ``interval_unit`` ×
    ``interval_count`` when there is a unit, else ``cycle_days`` days;
    statuses as the platforms say them (subscriptions/statuses.py)."""
    started = time_value(values.get("started_at"))
    every = None
    if values.get("interval_unit", "").strip():
        count_text = values.get("interval_count", "1").strip() or "1"
        if not count_text.isdigit() or int(count_text) <= 0:
            raise BadValue(f"interval_count {count_text!r} must be a whole number above 0")
        try:
            every = billing.Interval(billing.parse_unit(values["interval_unit"]), int(count_text))
        except ValueError as error:
            raise BadValue(str(error)) from None
    cycle_text = values.get("cycle_days", "").strip() or str(every.approx_days if every else 30)
    if not cycle_text.isdigit() or int(cycle_text) <= 0:
        raise BadValue(f"cycle_days {cycle_text!r} must be a whole number above 0")
    word = (values.get("status") or "active").strip()
    status = statuses.ours(word)
    if status is None:
        raise BadValue(f"unknown status {word!r} (known: {statuses.known()})")
    cancelled = time_value(values.get("cancelled_at"), required=False)
    if status == "cancelled" and cancelled is None:
        raise BadValue("a cancelled subscription needs cancelled_at")
    currency = values.get("currency", "").strip().upper() or None
    price = None
    if values.get("price", "").strip():
        try:
            price = money.to_minor(values["price"], currency)
        except ValueError as error:
            raise BadValue(str(error)) from None
    ref = values.get("subscription_ref", "").strip()
    return SubscriptionRecord(values["plan"].strip(), started, int(cycle_text), status,
                              cancelled if status == "cancelled" else None, f"csv:{ref}" if ref else None,
                              every.unit if every else None, every.count if every else None,
                              word if word.lower() != status else None, price, currency)


def header(path: Path) -> list[str]:
    """Just the header row (recognising a platform's export)."""
    text = read_text(path)
    first = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def preview(path: Path, limit: int = 5) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows, for the mapping dialog."""
    parsed = Parsed("tickets")
    header, data = rows(path, parsed)
    return header, [record for _line, record in data[:limit]]


def guess_mapping(header: list[str]) -> dict[str, str]:
    """The fields Amends would read each column as (column → field)."""
    mapping = header_mapping(header, TICKET_FIELDS, ALIASES, {})
    return {header[i]: field for i, field in mapping.items()}
