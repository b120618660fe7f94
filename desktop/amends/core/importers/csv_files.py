"""Spreadsheet exports: a generic tickets CSV and a customers/subscriptions
CSV, with column mapping.

Delimiter sniffed (comma, semicolon, tab, pipe); BOM handled; a file that
is not UTF-8 has its encoding detected (charset-normalizer; UTF-16 without a
BOM by its zero bytes), named in the preview and the report, and overridable
(``--encoding``). Slashed dates are read day-first or month-first per column,
as the column's values show; a column that cannot be told is a problem
(``--date-order``), never a silent guess. Quoted newlines and doubled quotes
understood. A malformed row (unclosed quote, wrong number of columns) is
reported with its line, never guessed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from charset_normalizer import from_bytes

from amends.core import billing, money
from amends.core.importers.amends import MAX_CYCLE_DAYS
from amends.core.importers.records import CustomerRecord, MessageRecord, Parsed, SubscriptionRecord, TicketRecord
from amends.core.importers.subscriptions import statuses
from amends.core.importers.values import (
    DATE_ORDERS,
    BadValue,
    category_value,
    date_order,
    email_value,
    priority_value,
    status_value,
    time_value,
    whole_value,
)

TICKET_FIELDS = ("ref", "subject", "body", "category", "status", "priority", "assignee", "created_at", "updated_at",
                 "customer_email", "customer_name", "customer_ref", "tags", "mailbox")
#: What each field means, for the mapping dialog and --help (a person reads these, not the keys).
FIELD_LABELS = {"ref": "Ticket id", "subject": "Subject", "body": "Message", "category": "Category",
                "status": "Status", "priority": "Priority", "assignee": "Assignee", "created_at": "Created",
                "updated_at": "Updated", "customer_email": "Customer email", "customer_name": "Customer name",
                "customer_ref": "Customer id", "tags": "Tags (comma separated)",
                "mailbox": "Mailbox (name or address)"}
TIME_FIELDS = ("created_at", "updated_at", "started_at", "cancelled_at")
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
    "tag": "tags", "labels": "tags", "label": "tags",
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


@dataclass(frozen=True)
class Decoded:
    """A file's text and how it was read: ``encoding`` (Python's name) and
    ``guessed`` (detected, not UTF-8 or a BOM or the person's choice)."""

    text: str
    encoding: str
    guessed: bool = False


def decode(raw: bytes, encoding: str | None = None) -> Decoded:
    """The text of a CSV file. ``encoding`` (the person's choice) wins and
    must decode the whole file. Otherwise: a BOM; UTF-8; UTF-16 without a
    BOM (every other byte zero: what Excel's "Unicode text" writes); then
    charset-normalizer's best guess (ISO-8859-2, Shift_JIS, Windows-1252 ...),
    which the preview and the report name so a wrong guess can be fixed."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise BadValue(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, iso-8859-2, shift_jis, utf-16)") \
                from None
        try:
            return Decoded(raw.decode(name), name)
        except UnicodeDecodeError as error:
            raise BadValue(f"the file is not {name}: byte {error.start} cannot be read as it") from None
    if raw.startswith(codecs.BOM_UTF8):
        return Decoded(raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(raw.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as error:
            cut = " (an odd number of bytes: the file is cut off)" if len(raw) % 2 else ""
            raise BadValue(f"the file starts as UTF-16 but is not valid UTF-16 at byte {error.start}{cut}") from None
    try:
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    sample = raw[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4 and len(sample) % 2 == 0:
        for name, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            if zeros.count(0) > 0.6 * len(zeros) and other.count(0) < 0.1 * len(other):
                try:
                    return Decoded(raw.decode(name), name, guessed=True)
                except UnicodeDecodeError:
                    break
    name = _likeliest(raw)
    return Decoded(raw.decode(name, errors="replace"), name, guessed=True)


#: Letters that real Latin-script text uses beyond ASCII (Polish, Czech, Slovak, Hungarian, Romanian, Turkish,
#: German, French, Spanish, Portuguese, Italian, Nordic, Baltic).
_COMMON_LETTERS = frozenset("ąćęłńóśźżáčďéěíňřšťúůýžäöüßàâçèêëîïôùûÿñãõåæøőűğışăâîșțţşėįųūļķņ")


#: The most used of them (French, Spanish, German, Portuguese, Italian, Nordic): "José Nuñez" in a few bytes
#: reads as Windows-1252, not as Windows-1250's "Nuńez".
_WESTERN_LETTERS = frozenset("éèêëàâäçñüöóáíúßôûîïÿãõåæø")


def _likeliest(raw: bytes) -> str:
    """charset-normalizer's candidates, re-ranked for short Latin-script
    files: on a few rows of Polish it ranks Windows-1250 or ISO-8859-10
    above ISO-8859-2, whose text has ``¶`` or ``ŧ`` where ``ś`` belongs. The
    candidate whose non-ASCII characters are most often letters real
    languages use wins; for other scripts (none are), its own order stands."""
    candidates = list(from_bytes(raw))[:8]
    if not candidates:
        return "cp1252"

    def share(text: str) -> float:
        wide = [c.lower() for c in text if ord(c) > 127]
        weights = [1.0 if c in _WESTERN_LETTERS else 0.9 if c in _COMMON_LETTERS else 0.0 for c in wide]
        return sum(weights) / len(weights) if weights else 0.0

    scored = [(share(str(m)), -index, m.encoding) for index, m in enumerate(candidates)]
    best = max(scored)
    return codecs.lookup(best[2] if best[0] > 0 else candidates[0].encoding).name


def read_text(path: Path, encoding: str | None = None) -> str:
    return decode(path.read_bytes(), encoding).text


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


def rows(path: Path, parsed: Parsed,
         encoding: str | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data rows with their line numbers; malformed rows are
    problems, not guesses. A guessed encoding is noted in ``parsed.read_as``."""
    try:
        decoded = decode(path.read_bytes(), encoding)
    except BadValue as error:
        parsed.problem("document", 0, "encoding" if encoding else "", str(error))
        return [], []
    if decoded.guessed:
        parsed.read_as.append(f"encoding: read as {decoded.encoding} (detected; not UTF-8). "
                            "If letters look wrong, choose another (--encoding).")
    text = decoded.text
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
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


def _orders(parsed: Parsed, header: list[str], mapping: dict[int, str], data: list[tuple[int, list[str]]],
            chosen: str | None) -> dict[str, str]:
    """How each mapped time column's slashed dates read (field → order):
    the person's choice (``--date-order``), else what the column's values
    show; a column whose every value reads both ways is read day-first (as
    before) with a note naming it; one whose values contradict each other is
    a problem naming it."""
    if chosen is not None and chosen not in DATE_ORDERS:
        parsed.problem("document", 0, "date order", f"{chosen!r} is not one of {', '.join(DATE_ORDERS)}")
        chosen = None
    orders: dict[str, str] = {}
    for column, name in mapping.items():
        if name not in TIME_FIELDS:
            continue
        if chosen:
            orders[name] = chosen
            continue
        order, why = date_order([record[column] for _line, record in data])
        if order:
            orders[name] = order
            parsed.read_as.append(f"column {header[column]!r}: dates {why}")
        elif why.startswith("dates in both orders"):
            parsed.problem("document", 1, header[column], f"column {header[column]!r} has {why}; "
                                                          "say which (--date-order day-first or month-first)")
        elif why:
            orders[name] = "day-first"
            parsed.read_as.append(f"column {header[column]!r}: {why}; read day-first "
                                "(if they are month-first, say so: --date-order month-first)")
    return orders


def _tag_names(text: str) -> list[str]:
    """A tags cell (``vip, damaged; repeat``) as Amends tag names, each once."""
    found: dict[str, str] = {}
    for part in text.replace(";", ",").replace("|", ",").split(","):
        name = " ".join(part.replace(":", "-").replace('"', "").split())[:40].strip()
        if name:
            found.setdefault(name.lower(), name)
    return list(found.values())


def _repeated(parsed: Parsed, section: str, line: int, ref: str, seen: dict[str, int], explicit: bool) -> bool:
    """A second row for the same record: a problem, not a silent overwrite
    of the first (an import would have said "imported 2" and kept one)."""
    first = seen.setdefault(ref, line)
    if first == line:
        return False
    what = f"ref {ref!r} is also on line {first}" if explicit else f"this row repeats line {first}"
    parsed.problem(section, line, "ref", f"{what}; each record appears once in a file")
    return True


def parse_tickets(path: Path, overrides: dict[str, str], *, encoding: str | None = None,
                  dates: str | None = None) -> Parsed:
    parsed = Parsed("tickets", batched=True)  # refs are unique and rows never thread: written in batches
    header, data = rows(path, parsed, encoding)
    mapping = header_mapping(header, TICKET_FIELDS, ALIASES, overrides)
    for column, field in list(mapping.items()):
        if field not in TICKET_FIELDS:
            parsed.problem("document", 1, header[column], f"--map target {field!r} is not one of "
                                                          f"{', '.join(TICKET_FIELDS)}")
            del mapping[column]
    if "subject" not in mapping.values() and header:
        parsed.problem("document", 1, "subject", "no subject column (name one with --map COLUMN=subject)")
        return parsed
    orders = _orders(parsed, header, mapping, data, dates)
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
        category = check("category", lambda: category_value(values.get("category")))  # noqa: B023 (check() calls it at once)
        status = check("status", lambda: status_value(values.get("status") or "open"))  # noqa: B023 (check() calls it at once)
        priority = check("priority", lambda: priority_value(values.get("priority")))  # noqa: B023 (check() calls it at once)
        created = check("created_at", lambda: time_value(values.get("created_at"),  # noqa: B023 (check() calls it at once)
                                                         order=orders.get("created_at", "day-first")))
        updated = check("updated_at", lambda: time_value(values.get("updated_at"), required=False,  # noqa: B023 (check() calls it at once)
                                                         order=orders.get("updated_at", "day-first"))) or created
        email, shown = "", ""
        if values.get("customer_email", "").strip():
            found = check("customer_email", lambda: email_value(values["customer_email"]))  # noqa: B023 (check() calls it at once)
            if found is None:
                continue
            email, shown = found
        customer_ref = values.get("customer_ref", "").strip() or (f"email:{email}" if email else None)
        if customer_ref and email and customer_ref not in customers:
            customers[customer_ref] = CustomerRecord(customer_ref, email,
                                                     values.get("customer_name", "").strip() or shown)
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
                                           messages, None, line, tags=_tag_names(values.get("tags", "")),
                                           mailbox=values.get("mailbox", "").strip() or None))
    parsed.customers = list(customers.values())
    return parsed


def parse_customers(path: Path, overrides: dict[str, str], *, encoding: str | None = None,
                    dates: str | None = None) -> Parsed:
    parsed = Parsed("customers")
    header, data = rows(path, parsed, encoding)
    seen: dict[str, int] = {}
    mapping = header_mapping(header, CUSTOMER_FIELDS, CUSTOMER_ALIASES, overrides)
    if "email" not in mapping.values() and header:
        parsed.problem("document", 1, "email", "no email column (name one with --map COLUMN=email)")
        return parsed
    orders = _orders(parsed, header, mapping, data, dates)
    for line, record in data:
        values = {field: record[column] for column, field in mapping.items()}
        try:
            email, shown = email_value(values.get("email", ""))
        except BadValue as error:
            parsed.problem("customers", line, "email", str(error))
            continue
        subscription = None
        if values.get("plan", "").strip():
            try:
                subscription = _subscription(values, orders)
            except BadValue as error:
                parsed.problem("customers", line, "subscription", str(error))
                continue
        ref = values.get("ref", "").strip() or f"email:{email}"
        # A customer may have several subscriptions (a row each); the same
        # customer with the same subscription twice is the duplicate.
        same = ref if subscription is None else \
            f"{ref} with subscription {subscription.ref or f'{subscription.plan} from {subscription.started_at}'}"
        if _repeated(parsed, "customers", line, same, seen, True):
            continue
        parsed.customers.append(CustomerRecord(ref, email, values.get("name", "").strip() or shown, subscription,
                                               line))
    return parsed


def _subscription(values: dict[str, str], orders: dict[str, str] | None = None) -> SubscriptionRecord:
    """A mapped row's subscription. The interval is ``interval_unit`` ×
    ``interval_count`` when there is a unit, else ``cycle_days`` days;
    statuses as the platforms say them (subscriptions/statuses.py)."""
    orders = orders or {}
    started = time_value(values.get("started_at"), order=orders.get("started_at", "day-first"))
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
    cancelled = time_value(values.get("cancelled_at"), required=False, order=orders.get("cancelled_at", "day-first"))
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
        delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


@dataclass
class Preview:
    """What the mapping dialog shows before anything is imported: the first
    rows as read, how the file was read (encoding, and whether it was a
    guess) and the notes and problems a full parse found (a date column's
    order, an ambiguous one)."""

    header: list[str]
    rows: list[list[str]]
    encoding: str
    guessed: bool
    notes: list[str] = dataclass_field(default_factory=list)
    problems: list[str] = dataclass_field(default_factory=list)


def preview(path: Path, limit: int = 5) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows, for the mapping dialog."""
    parsed = Parsed("tickets")
    header, data = rows(path, parsed)
    return header, [record for _line, record in data[:limit]]


def inspect(path: Path, *, encoding: str | None = None, dates: str | None = None, customers: bool = False,
            overrides: dict[str, str] | None = None, limit: int = 5) -> Preview:
    """The preview with everything guessed about the file named (see
    :class:`Preview`); ``encoding`` and ``dates`` override the guesses."""
    raw = path.read_bytes()
    try:
        decoded = decode(raw, encoding)
    except BadValue as error:
        return Preview([], [], encoding or "", False, [], [str(error)])
    probe = Parsed("customers" if customers else "tickets")
    header, data = rows(path, probe, encoding)
    parse = parse_customers if customers else parse_tickets
    full = parse(path, overrides or {}, encoding=encoding, dates=dates)
    return Preview(header, [record for _line, record in data[:limit]], decoded.encoding, decoded.guessed,
                   full.read_as, [f"line {p.record}: {p.field or '-'}: {p.reason}" for p in full.problems])


def guess_mapping(header: list[str]) -> dict[str, str]:
    """The fields Amends would read each column as (column → field)."""
    mapping = header_mapping(header, TICKET_FIELDS, ALIASES, {})
    return {header[i]: field for i, field in mapping.items()}
