"""The Amends exchange format (JSON, lossless): see docs/FORMAT.md and
docs/amends-format.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

from amends.core import attachments, billing, replies, tags
from amends.core.attachments import Incoming
from amends.core.errors import ValidationError
from amends.core.importers.records import (
    CustomerRecord,
    MessageRecord,
    OfferRecord,
    Parsed,
    PolicyRecord,
    ResolutionRecord,
    StepOutcomeRecord,
    SubscriptionRecord,
    TicketRecord,
    VersionRecord,
)
from amends.core.importers.values import (
    BadValue,
    category_value,
    email_value,
    json_problems,
    number_value,
    priority_value,
    status_value,
    text_value,
    time_value,
    whole_value,
)
from amends.core.policies import MAX_OFFER, Step, validate
from amends.core.vocabulary import MESSAGE_DIRECTIONS, OFFER_KINDS, SEGMENTS, STEP_TYPES, SUBSCRIPTION_STATUSES

FORMAT_VERSION = 1
MAX_CYCLE_DAYS = 3660  # a billing cycle of up to ten years
MAX_VERSION = 1_000_000


def read_json(path: Path) -> object:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return json.loads(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
        except json.JSONDecodeError as error:
            raise BadValue(f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
        except RecursionError:
            raise BadValue("the JSON is nested too deeply to read") from None
        except ValueError as error:  # a number of thousands of digits (Python's int limit)
            raise BadValue(f"not usable JSON: {error}") from None
    raise BadValue("the file is not UTF-8 or UTF-16 text")


def read_checked(path: Path, parsed: Parsed) -> object | None:
    """The JSON document, or None after reporting why it cannot be used:
    unreadable, or holding text that is not Unicode or numbers that are not
    finite anywhere (each reported where it is). Such a file is refused
    whole, even with ``--skip-invalid``."""
    try:
        doc = read_json(path)
    except BadValue as error:
        parsed.problem("document", 0, "", str(error))
        return None
    found = json_problems(doc)
    for record, where, reason in found:
        parsed.problem("document", record, where, reason)
    return None if found else doc


def parse(path: Path) -> Parsed:
    parsed = Parsed("tickets", complete=True, batched=True)  # a lossless copy: rules do not re-sort it
    doc = read_checked(path, parsed)
    if doc is None:
        return parsed
    if not isinstance(doc, dict) or doc.get("format") != "amends":
        parsed.problem("document", 0, "format", 'not an Amends exchange document ("format": "amends" missing)')
        return parsed
    if doc.get("version") != FORMAT_VERSION:
        parsed.problem("document", 0, "version", f"version {doc.get('version')!r} is not supported (only 1)")
        return parsed
    for section in ("customers", "policies", "tickets"):
        if not isinstance(doc.get(section, []), list):
            parsed.problem("document", 0, section, "must be a list")
    if parsed.problems:
        return parsed
    refs: dict[str, set[str]] = {"customers": set(), "policies": set(), "tickets": set()}
    for number, item in enumerate(doc.get("customers", []), start=1):
        _customer(parsed, number, item, refs["customers"])
    for number, item in enumerate(doc.get("policies", []), start=1):
        _policy(parsed, number, item, refs["policies"])
    _one_per_scope(parsed)
    versions = {(p.ref, v.version): v for p in parsed.policies for v in p.versions}
    for number, item in enumerate(doc.get("tickets", []), start=1):
        _ticket(parsed, number, item, refs, versions)
    for ticket in parsed.tickets:
        if ticket.merged_into is not None and ticket.merged_into not in refs["tickets"]:
            parsed.problem("tickets", ticket.record, "tickets.merged_into",
                           f"no ticket with ref {ticket.merged_into!r} in this file")
    _tags(parsed, doc.get("tags", []))
    _saved_replies(parsed, doc.get("saved_replies", []))
    return parsed


def _objects(parsed: Parsed, section: str, items: object, needs: str):
    """The optional top-level lists: (position, object) for each entry that is
    an object; anything else is reported where it stands."""
    if not isinstance(items, list):
        parsed.problem("document", 0, section, "must be a list")
        return
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield number, item
        else:
            parsed.problem(section, number, section, f"must be an object with {needs}")


def _tags(parsed: Parsed, items: object) -> None:
    """Optional: the tags with their colours (tickets name them)."""
    for number, item in _objects(parsed, "tags", items, "name and colour"):
        try:
            name = tags.check_name(str(item.get("name") or ""))
        except ValidationError as error:
            parsed.problem("tags", number, "tags.name", error.problems[0][1])
            continue
        colour = item.get("colour")
        if not isinstance(colour, str) or not tags.COLOUR.fullmatch(colour):
            parsed.problem("tags", number, "tags.colour", "a colour is #rrggbb")
            continue
        parsed.tags.append((name, colour))


def _saved_replies(parsed: Parsed, items: object) -> None:
    """Optional: the team's saved replies."""
    for number, item in _objects(parsed, "saved_replies", items, "name and body"):
        if item.get("step") is not None and not isinstance(item["step"], str):
            parsed.problem("saved_replies", number, "saved_replies.step", "must be a step type or null")
            continue
        if not isinstance(item.get("body"), str):
            parsed.problem("saved_replies", number, "saved_replies.body", "must be text")
            continue
        try:
            name = replies.check(str(item.get("name") or ""), str(item.get("body") or ""), item.get("step"))
        except ValidationError as error:
            for field_name, reason in error.problems:
                parsed.problem("saved_replies", number, f"saved_replies.{field_name}", reason)
            continue
        parsed.saved_replies.append((name, str(item["body"]), item.get("step")))


def _is_one(value: object, choices) -> bool:
    """``value in choices`` for any JSON value (a list or object is simply
    not one of them, instead of a TypeError)."""
    return isinstance(value, str) and value in choices


def _list(parsed: Parsed, section: str, number: int, name: str, value: object) -> list:
    """An optional list field: missing or null is empty; anything else
    that is not a list is reported."""
    if value is None:
        return []
    if not isinstance(value, list):
        parsed.problem(section, number, name, "must be a list")
        return []
    return value


def _check(parsed: Parsed, section: str, number: int, name: str, read):
    try:
        return read()
    except BadValue as error:
        parsed.problem(section, number, name, str(error))
        return None


def _ref(parsed: Parsed, section: str, number: int, item: dict, seen: set[str]) -> str | None:
    ref = item.get("ref")
    if not isinstance(ref, str) or not ref.strip():
        parsed.problem(section, number, f"{section}.ref", "every record needs a ref (its external id)")
        return None
    if ref in seen:
        parsed.problem(section, number, f"{section}.ref", f"ref {ref!r} appears twice")
        return None
    seen.add(ref)
    return ref


def _customer(parsed: Parsed, number: int, item: object, seen: set[str]) -> None:
    if not isinstance(item, dict):
        parsed.problem("customers", number, "customers", "must be an object")
        return
    ref = _ref(parsed, "customers", number, item, seen)
    email = _check(parsed, "customers", number, "customers.email",
                   lambda: text_value(item.get("email"), required=True, name="email"))
    if email:
        given = email
        email = _check(parsed, "customers", number, "customers.email", lambda: email_value(given)[0])
    name = _check(parsed, "customers", number, "customers.name", lambda: text_value(item.get("name"), name="name"))
    many = item.get("subscriptions")
    subscription = None
    subscriptions: list[SubscriptionRecord] = []
    if many is not None:  # every subscription (then "subscription" repeats one of them)
        if not isinstance(many, list):
            parsed.problem("customers", number, "customers.subscriptions", "must be a list or absent")
        else:
            for index, entry in enumerate(many, start=1):
                found = _subscription(parsed, number, entry, f"customers.subscriptions[{index}]")
                if found is not None:
                    subscriptions.append(found)
    elif item.get("subscription") is not None:
        subscription = _subscription(parsed, number, item["subscription"], "customers.subscription")
    if ref and email:
        parsed.customers.append(CustomerRecord(ref, email, name or "", subscription, number, subscriptions))


def _subscription(parsed: Parsed, number: int, sub: object, where: str) -> SubscriptionRecord | None:
    """One subscription object; its optional fields (interval, price, the
    platform's id and status word) as the exporter writes them."""
    if not isinstance(sub, dict):
        parsed.problem("customers", number, where, "must be an object")
        return None
    plan = _check(parsed, "customers", number, f"{where}.plan",
                  lambda: text_value(sub.get("plan"), required=True, name="plan"))
    started = _check(parsed, "customers", number, f"{where}.started_at", lambda: time_value(sub.get("started_at")))
    cycle = _check(parsed, "customers", number, f"{where}.cycle_days",
                   lambda: whole_value(sub.get("cycle_days"), name="cycle_days", low=1, high=MAX_CYCLE_DAYS))
    status = sub.get("status", "active")
    if not _is_one(status, SUBSCRIPTION_STATUSES):
        parsed.problem("customers", number, f"{where}.status", f"must be one of {', '.join(SUBSCRIPTION_STATUSES)}")
    cancelled = _check(parsed, "customers", number, f"{where}.cancelled_at",
                       lambda: time_value(sub.get("cancelled_at"), required=False))
    unit = sub.get("interval_unit")
    if unit is not None and not _is_one(unit, billing.UNITS):
        parsed.problem("customers", number, f"{where}.interval_unit", f"must be one of {', '.join(billing.UNITS)}")

    def whole(name: str) -> int | None:
        value = sub.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        parsed.problem("customers", number, f"{where}.{name}", "must be a whole number")
        return None

    def text(name: str) -> str | None:
        value = sub.get(name)
        if value is None or isinstance(value, str):
            return value
        parsed.problem("customers", number, f"{where}.{name}", "must be text")
        return None

    count = whole("interval_count")
    if unit is not None and not (count is not None and count > 0):
        parsed.problem("customers", number, f"{where}.interval_count", "must be a whole number above 0")
    ref, original, price, currency, quantity = (text("ref"), text("status_original"), whole("price_minor"),
                                                text("currency"), whole("quantity"))
    if not (plan and started and isinstance(cycle, int)):
        return None
    return SubscriptionRecord(plan, started, cycle, status, cancelled, ref, unit, count, original, price, currency,
                              quantity)


def _steps(parsed: Parsed, number: int, where: str, items: object) -> list[Step]:
    steps: list[Step] = []
    if not isinstance(items, list):
        parsed.problem("policies", number, where, "must be a list of steps")
        return steps
    for index, raw in enumerate(items):
        if not isinstance(raw, dict) or not _is_one(raw.get("type"), STEP_TYPES):
            parsed.problem("policies", number, f"{where}[{index}].type", f"must be one of {', '.join(STEP_TYPES)}")
            continue
        kind = raw.get("offer_kind")
        if kind is not None and not _is_one(kind, OFFER_KINDS):
            parsed.problem("policies", number, f"{where}[{index}].offer_kind", f"must be one of {', '.join(OFFER_KINDS)}")
            continue
        try:
            days = None if raw.get("days") is None else whole_value(raw.get("days"), name="days", low=0, high=3650)
            steps.append(Step(raw["type"], text_value(raw.get("label", "") or "", name="label"), days, kind,
                              None if raw.get("min") is None else number_value(raw.get("min"), name="minimum"),
                              None if raw.get("max") is None else number_value(raw.get("max"), name="maximum")))
        except BadValue as error:
            parsed.problem("policies", number, f"{where}[{index}]", str(error))
    return steps


def _policy(parsed: Parsed, number: int, item: object, seen: set[str]) -> None:
    if not isinstance(item, dict):
        parsed.problem("policies", number, "policies", "must be an object")
        return
    ref = _ref(parsed, "policies", number, item, seen)
    name = _check(parsed, "policies", number, "policies.name",
                  lambda: text_value(item.get("name"), required=True, name="name"))
    category = _check(parsed, "policies", number, "policies.category", lambda: category_value(item.get("category")))
    segment = item.get("segment", "any")
    if not _is_one(segment, SEGMENTS):
        parsed.problem("policies", number, "policies.segment", f"must be one of {', '.join(SEGMENTS)}")
        segment = None
    plan = item.get("plan")
    if plan is not None and not isinstance(plan, str):
        parsed.problem("policies", number, "policies.plan", "must be text or null")
    versions = []
    raw_versions = item.get("versions", [])
    if not isinstance(raw_versions, list):
        parsed.problem("policies", number, "policies.versions", "must be a list")
        raw_versions = []
    # The lambda given to _check below runs at once, in this iteration (B023 is a false alarm).
    for index, raw in enumerate(raw_versions):
        where = f"policies.versions[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("version"), int) or isinstance(raw["version"], bool) \
                or not 1 <= raw["version"] <= MAX_VERSION:
            parsed.problem("policies", number, f"{where}.version", f"must be a whole number from 1 to {MAX_VERSION}")
            continue
        at = _check(parsed, "policies", number, f"{where}.published_at", lambda: time_value(raw.get("published_at")))  # noqa: B023
        steps = _steps(parsed, number, f"{where}.steps", raw.get("steps"))
        for field_name, reason in validate(name or "x", category or "other", segment or "any", steps):
            parsed.problem("policies", number, f"{where}.{field_name}", reason)
        if at:
            versions.append(VersionRecord(raw["version"], at, str(raw.get("published_by") or "import"),
                                          str(raw.get("note") or ""), steps))
    numbers = [v.version for v in versions]
    if numbers != sorted(set(numbers)):
        parsed.problem("policies", number, "policies.versions", "version numbers must increase without repeats")
    if ref and name and category and segment in SEGMENTS:
        parsed.policies.append(PolicyRecord(ref, name, category, segment, versions, plan, number))


def _one_per_scope(parsed: Parsed) -> None:
    """Two published policies for the same category, segment and plan would
    both match the same tickets, and neither could ever be published again
    (publish refuses a clash): the second one is a problem."""
    first: dict[tuple, PolicyRecord] = {}
    for policy in parsed.policies:
        if not policy.versions:
            continue  # a draft covers nothing yet
        other = first.setdefault(scope_of(policy), policy)
        if other is not policy:
            parsed.problem("policies", policy.record, "policies.segment",
                           f"{policy.ref!r} covers the same category, segment and plan as {other.ref!r} "
                           f"(record {other.record}); one published policy per scope")


def scope_of(policy: PolicyRecord) -> tuple[str, str, str | None]:
    return (policy.category, policy.segment, policy.plan)


def _ticket(parsed: Parsed, number: int, item: object, refs: dict[str, set[str]], versions: dict) -> None:
    if not isinstance(item, dict):
        parsed.problem("tickets", number, "tickets", "must be an object")
        return
    ref = _ref(parsed, "tickets", number, item, refs["tickets"])
    check = lambda name, read: _check(parsed, "tickets", number, f"tickets.{name}", read)  # noqa: E731
    subject = check("subject", lambda: text_value(item.get("subject"), required=True, name="subject"))
    category = check("category", lambda: category_value(item.get("category")))
    status = check("status", lambda: status_value(item.get("status")))
    priority = check("priority", lambda: priority_value(item.get("priority")))
    created = check("created_at", lambda: time_value(item.get("created_at")))
    updated = check("updated_at", lambda: time_value(item.get("updated_at"), required=False)) or created
    customer = item.get("customer")
    if customer is not None and (not isinstance(customer, str) or customer not in refs["customers"]):
        parsed.problem("tickets", number, "tickets.customer", f"no customer with ref {customer!r} in this file")
    assignee = item.get("assignee")
    if assignee is not None and not isinstance(assignee, str):
        parsed.problem("tickets", number, "tickets.assignee", "must be text or null")
    messages = []
    # The lambdas given to check() below run at once, in this iteration (B023 is a false alarm).
    # The hot loop of a big import: no closures, and a field's name is only made for a problem.
    for index, raw in enumerate(_list(parsed, "tickets", number, "tickets.messages", item.get("messages"))):
        if not isinstance(raw, dict) or not _is_one(raw.get("direction"), MESSAGE_DIRECTIONS):
            parsed.problem("tickets", number, f"tickets.messages[{index}].direction", "must be in, out or note")
            continue
        try:
            at: str | None = time_value(raw.get("at"))
        except BadValue as error:
            parsed.problem("tickets", number, f"tickets.messages[{index}].at", str(error))
            at = None
        try:
            body: str | None = text_value(raw.get("body"), required=True, name="body")
        except BadValue as error:
            parsed.problem("tickets", number, f"tickets.messages[{index}].body", str(error))
            body = None
        raw_files = raw.get("attachments")
        files = _files(parsed, number, f"tickets.messages[{index}]", raw_files) if raw_files is not None else []
        if at and body is not None:
            messages.append(MessageRecord(raw["direction"], str(raw.get("author") or "unknown"), at, body,
                                          attachments=files))
    resolution = _resolution(parsed, number, item.get("resolution"), refs, versions)
    if resolution is not None and status != "resolved":
        parsed.problem("tickets", number, "tickets.status", "a ticket with a resolution must be resolved")
    ticket_tags = []
    raw_tags = item.get("tags") or []
    if not isinstance(raw_tags, list):
        parsed.problem("tickets", number, "tickets.tags", "must be a list of tag names")
        raw_tags = []
    for index, name in enumerate(raw_tags):
        try:
            ticket_tags.append(tags.check_name(name if isinstance(name, str) else ""))
        except ValidationError as error:
            parsed.problem("tickets", number, f"tickets.tags[{index}]", error.problems[0][1])
    snoozed = check("snoozed_until", lambda: time_value(item.get("snoozed_until"), required=False))
    merged_into = item.get("merged_into")
    if merged_into is not None and (not isinstance(merged_into, str) or merged_into == ref):
        parsed.problem("tickets", number, "tickets.merged_into", "must be the ref of another ticket, or null")
        merged_into = None
    if ref and subject and category and status and priority is not None and created:
        parsed.tickets.append(TicketRecord(ref, subject, category, status, priority, assignee, created, updated,
                                           customer, messages, resolution, number, tags=ticket_tags,
                                           snoozed_until=snoozed, merged_into=merged_into))


def _files(parsed: Parsed, number: int, where: str, raw: object) -> list[Incoming]:
    """A message's files; a wrong size or SHA-256 is a problem of its ticket."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        parsed.problem("tickets", number, f"{where}.attachments", "must be a list of files")
        return []
    files = []
    for index, entry in enumerate(raw):
        item, problems = attachments.from_exchange(entry, f"{where}.attachments[{index}]")
        for field_name, reason in problems:
            parsed.problem("tickets", number, field_name, reason)
        if item is not None:
            files.append(item)
    return files


def _resolution(parsed: Parsed, number: int, raw: object, refs: dict, versions: dict) -> ResolutionRecord | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        parsed.problem("tickets", number, "tickets.resolution", "must be an object or null")
        return None
    at = _check(parsed, "tickets", number, "tickets.resolution.at", lambda: time_value(raw.get("at")))
    policy_ref, version_number = raw.get("policy"), raw.get("policy_version")
    version = None
    if policy_ref is not None:
        if isinstance(policy_ref, str) and isinstance(version_number, int):
            version = versions.get((policy_ref, version_number))
        if version is None:
            parsed.problem("tickets", number, "tickets.resolution.policy_version",
                           f"policy {policy_ref!r} has no version {version_number!r} in this file")
    steps = []
    for index, step in enumerate(_list(parsed, "tickets", number, "tickets.resolution.steps", raw.get("steps"))):
        where = f"tickets.resolution.steps[{index}]"
        if not isinstance(step, dict) or not _is_one(step.get("outcome"), ("done", "skipped")) or \
                not _is_one(step.get("type"), STEP_TYPES) or not isinstance(step.get("index"), int) or \
                not 0 <= step["index"] < 1000:
            parsed.problem("tickets", number, where, "needs index (0–999), a step type and outcome done or skipped")
            continue
        if step.get("reason") is not None and not isinstance(step["reason"], str):
            parsed.problem("tickets", number, f"{where}.reason", "must be text or null")
            continue
        if step["outcome"] == "skipped" and not str(step.get("reason") or "").strip():
            parsed.problem("tickets", number, f"{where}.reason", "a skipped step needs a reason")
        steps.append(StepOutcomeRecord(step["index"], step["type"], step["outcome"], step.get("reason")))
    if version is not None and [s.index for s in steps] != list(range(len(version.steps))):
        parsed.problem("tickets", number, "tickets.resolution.steps",
                       f"must have one outcome for each of the policy version's {len(version.steps)} steps")
    offer = None
    if raw.get("offer") is not None:
        data = raw["offer"]
        if not isinstance(data, dict):
            parsed.problem("tickets", number, "tickets.resolution.offer", "must be an object or null")
        else:
            value = _check(parsed, "tickets", number, "tickets.resolution.offer.value",
                           lambda: number_value(data.get("value"), name="offer value"))
            kind = data.get("kind")
            if kind is not None and not _is_one(kind, OFFER_KINDS):
                parsed.problem("tickets", number, "tickets.resolution.offer.kind",
                               f"must be one of {', '.join(OFFER_KINDS)}")
            if value is not None and not 0 <= value <= MAX_OFFER:
                parsed.problem("tickets", number, "tickets.resolution.offer.value",
                               f"an offer is between 0 and {MAX_OFFER:,}")
                value = None
            reason = data.get("override_reason")
            if reason is not None and not isinstance(reason, str):
                parsed.problem("tickets", number, "tickets.resolution.offer.override_reason", "must be text or null")
            elif value is not None:
                offer = OfferRecord(kind, value, reason)
    if at is None:
        return None
    return ResolutionRecord(at, str(raw.get("actor") or "import"), policy_ref, version_number, steps, offer)
