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
from amends.core.importers.amends import MAX_CYCLE_DAYS
from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, SubscriptionRecord, TicketRecord
from amends.core.importers.subscriptions import statuses
from amends.core.importers.values import (
    BadValue,
    category_value,
    priority_value,
    status_value,
    time_value,
    whole_value,
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


#: The largest cell read (Python's csv module stops at 128 KB by default,
#: which a long pasted e-mail body passes).
MAX_CELL = 16 * 1024 * 1024


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as error:
            cut = " (an odd number of bytes: the file is cut off)" if len(raw) % 2 else ""
            raise BadValue(f"the file starts as UTF-16 but is not valid UTF-16 at byte {error.start}{cut}") from None
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
    try:
        text = read_text(path)
    except BadValue as error:
        parsed.problem("document", 0, "", str(error))
        return [], []
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(MAX_CELL)
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
        reason = f"a cell is larger than {MAX_CELL // 1024 // 1024} MB" if "field limit" in str(error) else \
            f"malformed CSV ({error}); a quote is probably not closed"
        parsed.problem("tickets" if parsed.unit == "tickets" else "customers", line, "", reason)
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


def _repeated(parsed: Parsed, section: str, line: int, ref: str, seen: dict[str, int], explicit: bool) -> bool:
    """A second row for the same record: a problem, not a silent overwrite
    of the first (an import would have said "imported 2" and kept one)."""
    first = seen.setdefault(ref, line)
    if first == line:
        return False
    what = f"ref {ref!r} is also on line {first}" if explicit else f"this row repeats line {first}"
    parsed.problem(section, line, "ref", f"{what}; each record appears once in a file")
    return True


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
    seen: dict[str, int] = {}
    for line, record in data:
        values = {field: record[column] for column, field in mapping.items()}

        # check() and the lambdas below run at once, in this iteration (B023 is a false alarm here)
        def check(name, read):
            try:
                return read()
            except BadValue as error:
                parsed.problem("tickets", line, name, str(error))  # noqa: B023
                return None

        subject = values.get("subject", "").strip()
        if not subject:
            parsed.problem("tickets", line, "subject", "a ticket needs a subject")
        category = check("category", lambda: category_value(values.get("category")))  # noqa: B023
        status = check("status", lambda: status_value(values.get("status") or "open"))  # noqa: B023
        priority = check("priority", lambda: priority_value(values.get("priority")))  # noqa: B023
        created = check("created_at", lambda: time_value(values.get("created_at")))  # noqa: B023
        updated = check("updated_at", lambda: time_value(values.get("updated_at"), required=False)) or created  # noqa: B023
        email = values.get("customer_email", "").strip()
        customer_ref = values.get("customer_ref", "").strip() or (f"email:{email.lower()}" if email else None)
        if email and "@" not in email:
            parsed.problem("tickets", line, "customer_email", f"{email!r} is not an email address")
        elif customer_ref and email and customer_ref not in customers:
            customers[customer_ref] = CustomerRecord(customer_ref, email, values.get("customer_name", "").strip())
        if None in (category, status, priority, created) or not subject:
            continue
        ref = _ref_for(values, line, "csv")
        if _repeated(parsed, "tickets", line, ref, seen, bool(values.get("ref", "").strip())):
            continue
        body = values.get("body", "")
        messages = [MessageRecord("in", values.get("customer_name") or email or "customer", created, body)] \
            if body.strip() else []
        parsed.tickets.append(TicketRecord(ref, subject, category, status, priority,
                                           values.get("assignee", "").strip() or None, created, updated,
                                           customer_ref if email or values.get("customer_ref") else None,
                                           messages, None, line))
    parsed.customers = list(customers.values())
    return parsed


def parse_customers(path: Path, overrides: dict[str, str]) -> Parsed:
    parsed = Parsed("customers")
    header, data = rows(path, parsed)
    seen: dict[str, int] = {}
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
        # A customer may have several subscriptions (a row each); the same
        # customer with the same subscription twice is the duplicate.
        same = ref if subscription is None else \
            f"{ref} with subscription {subscription.ref or f'{subscription.plan} from {subscription.started_at}'}"
        if _repeated(parsed, "customers", line, same, seen, True):
            continue
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
        count = whole_value(count_text, name="interval_count", low=1, high=1000)  # ASCII digits: "²" is not one
        try:
            every = billing.Interval(billing.parse_unit(values["interval_unit"]), count)
        except ValueError as error:
            raise BadValue(str(error)) from None
    cycle_text = values.get("cycle_days", "").strip() or str(every.approx_days if every else 30)
    cycle = whole_value(cycle_text, name="cycle_days", low=1, high=MAX_CYCLE_DAYS)
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
    return SubscriptionRecord(values["plan"].strip(), started, cycle, status,
                              cancelled if status == "cancelled" else None, f"csv:{ref}" if ref else None,
                              every.unit if every else None, every.count if every else None,
                              word if word.lower() != status else None, price, currency)


def header(path: Path) -> list[str]:
    """Just the header row (recognising a platform's export); none for a
    file that cannot be decoded (reading it properly reports why)."""
    try:
        text = read_text(path)
    except BadValue:
        return []
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
