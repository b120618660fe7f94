"""What every importer produces: plain records in Amends' own terms, plus
every problem found, so that a file is validated whole before anything is
written."""

from __future__ import annotations

from dataclasses import dataclass, field

from amends.core.attachments import Incoming
from amends.core.policies import Step

MAX_REASON = 300


@dataclass(frozen=True)
class RecordProblem:
    """``record``: line number (CSV, mbox) or 1-based position in its list
    (JSON); ``field``: where in the record; ``reason``: what is wrong."""

    record: int
    field: str
    reason: str

    def as_dict(self) -> dict:
        return {"record": self.record, "field": self.field, "reason": self.reason}


@dataclass
class SubscriptionRecord:
    """``ref``: the platform's subscription id, prefixed with the platform
    (re-importing an updated export updates it). Without one, a subscription
    is known by its customer, plan and start. No interval unit: counted in
    ``cycle_days``."""

    plan: str
    started_at: str
    cycle_days: int
    status: str = "active"
    cancelled_at: str | None = None
    ref: str | None = None
    interval_unit: str | None = None
    interval_count: int | None = None
    status_original: str | None = None
    price_minor: int | None = None   # per cycle, all units, in the currency's smallest unit
    currency: str | None = None
    quantity: int | None = None


@dataclass
class CustomerRecord:
    ref: str
    email: str
    name: str = ""
    subscription: SubscriptionRecord | None = None
    record: int = 0
    #: More subscriptions of the same customer (platform exports: one row each).
    subscriptions: list[SubscriptionRecord] = field(default_factory=list)

    def all_subscriptions(self) -> list[SubscriptionRecord]:
        return ([self.subscription] if self.subscription else []) + self.subscriptions


@dataclass
class VersionRecord:
    version: int
    published_at: str
    published_by: str
    note: str
    steps: list[Step]


@dataclass
class PolicyRecord:
    ref: str
    name: str
    category: str
    segment: str
    versions: list[VersionRecord] = field(default_factory=list)
    plan: str | None = None
    record: int = 0


@dataclass
class MessageRecord:
    direction: str
    author: str
    at: str
    body: str
    external_id: str | None = None
    html: str | None = None  # sanitised HTML (mail), shown instead of the text when present
    #: What was wrong with a mail when it came in (kept anyway): short sentences.
    defects: list[str] = field(default_factory=list)
    flag: str | None = None  # 'bounce': a delivery failure report; never reopens or counts as the customer's
    attachments: list[Incoming] = field(default_factory=list)  # files, kept by sha256 (amends.core.attachments)
    automatic: str | None = None  # a machine sent it (auto-reply, list, bounce): never answered automatically


@dataclass
class StepOutcomeRecord:
    index: int
    type: str
    outcome: str
    reason: str | None


@dataclass
class OfferRecord:
    kind: str | None
    value: float
    override_reason: str | None = None


@dataclass
class ResolutionRecord:
    at: str
    actor: str
    policy_ref: str | None
    policy_version: int | None
    steps: list[StepOutcomeRecord] = field(default_factory=list)
    offer: OfferRecord | None = None


@dataclass
class TicketRecord:
    ref: str
    subject: str
    category: str = "other"
    status: str = "open"
    priority: int = 1
    assignee: str | None = None
    created_at: str = ""
    updated_at: str = ""
    customer_ref: str | None = None
    messages: list[MessageRecord] = field(default_factory=list)
    resolution: ResolutionRecord | None = None
    record: int = 0
    #: Message-IDs this thread's first message refers to (mail threading).
    references: list[str] = field(default_factory=list)
    #: Added to the ticket's tags (never removed by an import).
    tags: list[str] = field(default_factory=list)
    snoozed_until: str | None = None
    merged_into: str | None = None  # the ref of the ticket this one was merged into
    #: The mailbox it came in on, by name or address (a CSV's mailbox column); the writer finds its id.
    mailbox: str | None = None


@dataclass
class Parsed:
    """One file, parsed and checked. ``unit`` names what ``imported`` counts
    (tickets, customers or messages)."""

    unit: str = "tickets"
    customers: list[CustomerRecord] = field(default_factory=list)
    policies: list[PolicyRecord] = field(default_factory=list)
    tickets: list[TicketRecord] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    bad_records: set[tuple[str, int]] = field(default_factory=set)  # (section, record) with a problem
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, colour) of the exchange format's tags
    saved_replies: list[tuple[str, str, str | None]] = field(default_factory=list)  # (name, body, step type)
    #: (Message-ID of our mail that bounced, reason): that outbox entry is marked failed.
    bounced: list[tuple[str, str]] = field(default_factory=list)
    #: The platform whose export this was recognised as ('Stripe subscriptions' ...), for the preview.
    source: str | None = None
    #: Rows left out on purpose, each said (they do not make the file refused).
    notes: list[RecordProblem] = field(default_factory=list)
    #: How the file was read where it had to be guessed (a CSV's encoding, a date column's order): shown, never silent.
    read_as: list[str] = field(default_factory=list)
    #: Every ticket field is the file's own (the lossless exchange format): rules leave its tickets alone.
    complete: bool = False
    #: Its records never read each other's rows while written (unique refs, no mail threading):
    #: the writer batches the new tickets (importers/writer.py, _Pending). True for complete files too.
    batched: bool = False

    def problem(self, section: str, record: int, field_name: str, reason: str) -> None:
        if len(reason) > MAX_REASON:  # a reason quoting a 200 KB cell would bury the report
            reason = reason[:MAX_REASON - 1] + "…"
        self.problems.append(RecordProblem(record, field_name[:MAX_REASON], reason))
        self.bad_records.add((section, record))

    def count(self) -> int:
        if self.unit == "customers":
            return len(self.customers)
        if self.unit == "subscriptions":
            return sum(len(c.all_subscriptions()) for c in self.customers)
        if self.unit == "messages":
            return sum(len(t.messages) for t in self.tickets)
        return len(self.tickets)

    def without_bad_records(self) -> Parsed:
        """Only the valid records (``--skip-invalid``)."""
        keep = Parsed(self.unit, problems=list(self.problems), tags=list(self.tags),
                      saved_replies=list(self.saved_replies), bounced=list(self.bounced), source=self.source,
                      notes=list(self.notes), read_as=list(self.read_as), complete=self.complete,
                      batched=self.batched)
        keep.customers = [c for c in self.customers if ("customers", c.record) not in self.bad_records]
        keep.policies = [p for p in self.policies if ("policies", p.record) not in self.bad_records]
        keep.tickets = [t for t in self.tickets if ("tickets", t.record) not in self.bad_records]
        return keep
