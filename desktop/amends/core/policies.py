"""Recovery policies: drafts people edit, versions that are published and
then never change, and matching a ticket to the policy that applies.

Publishing copies the draft into a new immutable version (triggers in the
schema refuse any later UPDATE or DELETE), so every resolution keeps
pointing at exactly the checklist it followed.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import asdict, dataclass, field

from amends.core import audit, clock
from amends.core.errors import ConflictError, NotFound, PolicyViolation, ValidationError
from amends.core.store import Database
from amends.core.store.migrations import statements
from amends.core.store.rowids import inserted_id
from amends.core.store.schema import V1
from amends.core.vocabulary import CATEGORIES, OFFER_KINDS, SEGMENTS, STEP_TYPES, category_name

DEFAULT_REVIEW_DAYS = 91


@dataclass
class Step:
    """One checklist step. ``days`` is for check-ins; the offer fields for
    save offers; ``label`` names a custom step (or adds detail to any)."""

    type: str
    label: str = ""
    days: int | None = None
    offer_kind: str | None = None
    offer_min: float | None = None
    offer_max: float | None = None

    def describe(self) -> str:
        name = STEP_TYPES.get(self.type, self.type)
        if self.type == "custom" and self.label:
            return self.label
        if self.type == "check_in" and self.days is not None:
            name = f"Check-in after {self.days} day{'s' if self.days != 1 else ''}"
        elif self.type == "save_offer":
            kind = OFFER_KINDS.get(self.offer_kind or "", self.offer_kind or "offer")
            name = f"Save offer: {kind}, {_num(self.offer_min)}–{_num(self.offer_max)}"
        return f"{name} ({self.label})" if self.label and self.type != "custom" else name

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    def bounds(self) -> tuple[float, float] | None:
        """A save offer's (minimum, maximum); None for a step without both
        (any other step; validation refuses a save offer without them)."""
        if self.offer_min is None or self.offer_max is None:
            return None
        return (self.offer_min, self.offer_max)


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class PolicyVersion:
    id: int
    policy_id: int
    policy_name: str
    number: int
    published_at: str
    published_by: str
    note: str
    steps: tuple[Step, ...]

    def offer_step(self) -> Step | None:
        return next((s for s in self.steps if s.type == "save_offer"), None)


@dataclass
class Policy:
    id: int
    ref: str | None
    name: str
    category: str
    segment: str
    plan: str | None
    review_interval_days: int
    last_reviewed_at: str | None
    draft_dirty: bool
    updated_at: str
    updated_by: str
    version: int  # row version, for optimistic concurrency on the draft
    current_number: int | None = None
    published_at: str | None = None
    draft: list[Step] = field(default_factory=list)
    retired_at: str | None = None  # a review retired it: it matches no ticket (publishing again revives it)

    @property
    def status(self) -> str:
        if self.retired_at is not None:
            return "retired"
        if self.current_number is None:
            return "draft"
        return "published, edited" if self.draft_dirty else "published"


# -- validation -----------------------------------------------------------

#: The largest offer or offer bound: a stored NaN becomes NULL and an infinity
#: makes invalid JSON, so bounds (and offers, see resolution.check) are finite.
MAX_OFFER = 1_000_000


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and abs(value) <= MAX_OFFER

def validate(name: str, category: str, segment: str, steps: list[Step],
             *, require_steps: bool = True) -> list[tuple[str, str]]:
    """Every problem with a policy, as (field, reason); empty when valid.
    A brand-new draft may be empty (``require_steps=False``); a published
    version may not."""
    problems: list[tuple[str, str]] = []
    if not name.strip():
        problems.append(("name", "a policy needs a name"))
    if category not in CATEGORIES:
        problems.append(("category", f"unknown category {category!r}"))
    if segment not in SEGMENTS:
        problems.append(("segment", f"unknown segment {segment!r}"))
    if not steps and require_steps:
        problems.append(("steps", "a policy needs at least one step"))
    offers = 0
    for number, step in enumerate(steps, start=1):
        where = f"step {number}"
        if step.type not in STEP_TYPES:
            problems.append((where, f"unknown step type {step.type!r}"))
            continue
        if step.type == "custom" and not step.label.strip():
            problems.append((where, "a custom step needs a label"))
        if step.type == "check_in" and (not isinstance(step.days, int) or isinstance(step.days, bool)
                                        or not 1 <= step.days <= 365):
            problems.append((where, "a check-in needs a number of days between 1 and 365"))
        if step.type == "save_offer":
            offers += 1
            if step.offer_kind not in OFFER_KINDS:
                problems.append((where, f"offer kind must be one of {', '.join(OFFER_KINDS)}"))
            if step.offer_min is None or step.offer_max is None:
                problems.append((where, "a save offer needs a minimum and a maximum"))
            elif not all(_finite(v) for v in (step.offer_min, step.offer_max)):
                problems.append((where, f"the minimum and maximum are numbers up to {MAX_OFFER:,} "
                                        "(not NaN or Infinity)"))
            else:
                if step.offer_min < 0:
                    problems.append((where, "the minimum offer cannot be negative"))
                if step.offer_min > step.offer_max:
                    problems.append((where, "the minimum offer is above the maximum"))
                if step.offer_kind == "percent_next_cycle" and step.offer_max > 100:
                    problems.append((where, "a percentage offer cannot exceed 100"))
    if offers > 1:
        problems.append(("steps", "a policy can have only one save offer step"))
    return problems


# -- reading --------------------------------------------------------------

_SUMMARY_SQL = """
SELECT p.*, v.number AS current_number, v.published_at AS published_at
FROM policies p
LEFT JOIN policy_versions v
       ON v.policy_id = p.id
      AND v.number = (SELECT max(number) FROM policy_versions WHERE policy_id = p.id)
"""


def _policy(row: sqlite3.Row) -> Policy:
    return Policy(row["id"], row["ref"], row["name"], row["category"], row["segment"], row["plan"],
                  row["review_interval_days"], row["last_reviewed_at"], bool(row["draft_dirty"]),
                  row["updated_at"], row["updated_by"], row["version"],
                  row["current_number"], row["published_at"],
                  retired_at=row["retired_at"])


def _steps(rows) -> list[Step]:
    return [Step(r["type"], r["label"] or "", r["days"], r["offer_kind"], r["offer_min"], r["offer_max"])
            for r in rows]


def list_policies(db: Database) -> list[Policy]:
    """All policies (a store has tens of them, not thousands)."""
    rows = db.query(_SUMMARY_SQL + " ORDER BY p.category, p.segment, p.name")
    return [_policy(r) for r in rows]


def get(db: Database, policy_id: int) -> Policy:
    row = db.one(_SUMMARY_SQL + " WHERE p.id = ?", (policy_id,))
    if row is None:
        raise NotFound(f"Policy {policy_id} does not exist.")
    policy = _policy(row)
    policy.draft = _steps(db.query(
        "SELECT * FROM policy_draft_steps WHERE policy_id = ? ORDER BY position", (policy_id,)))
    return policy


def versions(db: Database, policy_id: int) -> list[PolicyVersion]:
    """Every published version, newest first."""
    rows = db.query("SELECT id FROM policy_versions WHERE policy_id = ? ORDER BY number DESC", (policy_id,))
    return [version(db, r["id"]) for r in rows]


def version(db: Database, version_id: int) -> PolicyVersion:
    row = db.one("SELECT v.*, p.name FROM policy_versions v JOIN policies p ON p.id = v.policy_id "
                 "WHERE v.id = ?", (version_id,))
    if row is None:
        raise NotFound(f"Policy version {version_id} does not exist.")
    steps = _steps(db.query("SELECT * FROM policy_steps WHERE policy_version_id = ? ORDER BY position",
                            (version_id,)))
    return PolicyVersion(row["id"], row["policy_id"], row["name"], row["number"], row["published_at"],
                         row["published_by"], row["note"], tuple(steps))


# -- writing --------------------------------------------------------------

def _write_draft(conn: sqlite3.Connection, policy_id: int, steps: list[Step]) -> None:
    conn.execute("DELETE FROM policy_draft_steps WHERE policy_id = ?", (policy_id,))
    conn.executemany(
        "INSERT INTO policy_draft_steps (policy_id, position, type, label, days, offer_kind, offer_min, offer_max) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(policy_id, i, s.type, s.label, s.days, s.offer_kind, s.offer_min, s.offer_max)
         for i, s in enumerate(steps)])


def _insert_version(conn: sqlite3.Connection, policy_id: int, number: int, at: str, actor: str,
                    note: str, steps: list[Step]) -> int:
    version_id = inserted_id(conn.execute(
        "INSERT INTO policy_versions (policy_id, number, published_at, published_by, note) VALUES (?, ?, ?, ?, ?)",
        (policy_id, number, at, actor, note)))
    conn.executemany(
        "INSERT INTO policy_steps (policy_version_id, position, type, label, days, offer_kind, offer_min, offer_max) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(version_id, i, s.type, s.label, s.days, s.offer_kind, s.offer_min, s.offer_max)
         for i, s in enumerate(steps)])
    audit.record(conn, actor, "policy", policy_id, "publish",
                 {"version": number, "note": note, "steps": [s.as_dict() for s in steps]}, at=at)
    return version_id


def create(db: Database, name: str, category: str, segment: str = "any", steps: list[Step] | None = None,
           *, plan: str | None = None, ref: str | None = None,
           review_interval_days: int = DEFAULT_REVIEW_DAYS) -> int:
    """A new policy with a draft (unpublished until :func:`publish`)."""
    steps = list(steps or [])
    problems = validate(name, category, segment, steps, require_steps=False)
    if problems:
        raise ValidationError(problems)
    now = clock.now_iso()
    with db.transaction() as conn:
        policy_id = inserted_id(conn.execute(
            "INSERT INTO policies (ref, name, category, segment, plan, review_interval_days, created_at, "
            "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ref, name.strip(), category, segment, plan or None, review_interval_days, now, now, db.actor)))
        _write_draft(conn, policy_id, steps)
        audit.record(conn, db.actor, "policy", policy_id, "create",
                     {"name": name, "category": category, "segment": segment,
                      "steps": [s.as_dict() for s in steps]}, at=now)
    return policy_id


def save_draft(db: Database, policy_id: int, expected_version: int, *, name: str, category: str,
               segment: str, steps: list[Step], plan: str | None = None) -> int:
    """Save the draft if nobody else has since ``expected_version``; return
    the new row version."""
    problems = validate(name, category, segment, steps)
    if problems:
        raise ValidationError(problems)
    now = clock.now_iso()
    with db.transaction() as conn:
        row = conn.execute("SELECT version, updated_by FROM policies WHERE id = ?", (policy_id,)).fetchone()
        if row is None:
            raise NotFound(f"Policy {policy_id} does not exist.")
        if row["version"] != expected_version:
            raise ConflictError("Policy", policy_id, by=row["updated_by"])
        conn.execute("UPDATE policies SET name = ?, category = ?, segment = ?, plan = ?, draft_dirty = 1, "
                     "updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ?",
                     (name.strip(), category, segment, plan or None, now, db.actor, policy_id))
        _write_draft(conn, policy_id, steps)
        audit.record(conn, db.actor, "policy", policy_id, "edit_draft",
                     {"name": name, "category": category, "segment": segment, "plan": plan,
                      "steps": [s.as_dict() for s in steps]}, at=now)
        return row["version"] + 1


def _same_scope_published(conn, policy_id: int, category: str, segment: str, plan: str | None):
    return conn.execute(
        "SELECT p.name FROM policies p WHERE p.id <> ? AND p.category = ? AND p.segment = ? "
        "AND p.plan IS ? AND EXISTS (SELECT 1 FROM policy_versions v WHERE v.policy_id = p.id)",
        (policy_id, category, segment, plan)).fetchone()


def publish(db: Database, policy_id: int, note: str, *, expected_version: int | None = None,
            at: str | None = None) -> PolicyVersion:
    """Publish the draft as a new immutable version that supersedes the
    previous one. ``note`` says why; it is required."""
    if not note.strip():
        raise ValidationError([("note", "say why this version is published")])
    at = at or clock.now_iso()
    with db.transaction() as conn:
        policy = conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
        if policy is None:
            raise NotFound(f"Policy {policy_id} does not exist.")
        if expected_version is not None and policy["version"] != expected_version:
            raise ConflictError("Policy", policy_id, by=policy["updated_by"])
        steps = _steps(conn.execute("SELECT * FROM policy_draft_steps WHERE policy_id = ? ORDER BY position",
                                    (policy_id,)).fetchall())
        problems = validate(policy["name"], policy["category"], policy["segment"], steps)
        clash = _same_scope_published(conn, policy_id, policy["category"], policy["segment"], policy["plan"])
        if clash is not None:
            problems.append(("scope", f"the published policy “{clash['name']}” already covers "
                                      f"{category_name(policy['category'])} for {SEGMENTS[policy['segment']].lower()}"
                                      + (f" on plan {policy['plan']}" if policy["plan"] else "")))
        if problems:
            raise PolicyViolation(problems)
        number = conn.execute("SELECT coalesce(max(number), 0) + 1 FROM policy_versions WHERE policy_id = ?",
                              (policy_id,)).fetchone()[0]
        version_id = _insert_version(conn, policy_id, number, at, db.actor, note.strip(), steps)
        conn.execute("UPDATE policies SET draft_dirty = 0, retired_at = NULL, updated_at = ?, updated_by = ?, "
                     "version = version + 1 WHERE id = ?", (at, db.actor, policy_id))
    return version(db, version_id)


# -- matching -------------------------------------------------------------

@dataclass(frozen=True)
class TicketContext:
    """What matching needs to know about a ticket and its customer."""

    category: str
    billing_cycle: int | None
    at_risk: bool = False
    plan: str | None = None

    def segments(self) -> set[str]:
        found = {"any"}
        if self.billing_cycle == 1:
            found.add("first_cycle")
        elif self.billing_cycle is not None:
            found.add("established")
        if self.at_risk:
            found.add("at_risk")
        return found

    @property
    def segment(self) -> str:
        """The customer's own segment, recorded on the resolution."""
        if self.at_risk:
            return "at_risk"
        if self.billing_cycle == 1:
            return "first_cycle"
        return "established" if self.billing_cycle is not None else "unknown"


@dataclass(frozen=True)
class Match:
    version: PolicyVersion | None
    reason: str


def match(db: Database, context: TicketContext) -> Match:
    """The current published policy that applies: the most specific one wins
    (a plan beats no plan, a segment beats "any", "at risk" beats the cycle
    segments). Returns the reason in words, for the ticket view."""
    rows = db.query(
        "SELECT p.id, p.name, p.segment, p.plan, v.id AS version_id, v.number FROM policies p "
        "JOIN policy_versions v ON v.policy_id = p.id "
        " AND v.number = (SELECT max(number) FROM policy_versions WHERE policy_id = p.id) "
        "WHERE p.category = ? AND p.retired_at IS NULL", (context.category,))
    segments = context.segments()
    candidates = [r for r in rows if r["segment"] in segments and (r["plan"] is None or r["plan"] == context.plan)]
    label = category_name(context.category)
    if not candidates:
        return Match(None, f"No published policy covers {label.lower()} for this customer.")

    def specificity(r) -> tuple:
        return (r["plan"] is not None, r["segment"] != "any", r["segment"] == "at_risk", r["version_id"])

    best = max(candidates, key=specificity)
    why = [label]
    if best["segment"] == "first_cycle":
        why.append("customer is in billing cycle 1")
    elif best["segment"] == "established":
        why.append(f"customer is in billing cycle {context.billing_cycle}")
    elif best["segment"] == "at_risk":
        why.append("customer opened 2+ tickets in 60 days")
    else:
        why.append("any customer")
    if best["plan"]:
        why.append(f"plan {best['plan']}")
    return Match(version(db, best["version_id"]), f"{best['name']} v{best['number']}: " + ", ".join(why))


# -- defaults -------------------------------------------------------------

DEFAULTS: list[tuple[str, str, str, list[Step]]] = [
    ("Damaged shipment", "damaged_shipment", "any",
     [Step("apology"), Step("replacement"), Step("check_in", days=7),
      Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=15)]),
    ("Late or lost delivery", "late_delivery", "any",
     [Step("apology"), Step("custom", label="Check the carrier's tracking"), Step("replacement"),
      Step("check_in", days=5)]),
    ("Wrong or missing item", "wrong_item", "any",
     [Step("apology"), Step("replacement"), Step("save_offer", offer_kind="account_credit", offer_min=0, offer_max=10)]),
    ("Billing problem", "billing", "any",
     [Step("apology"), Step("refund", label="refund the wrong charge"), Step("check_in", days=3)]),
    ("Cancellation request", "cancellation", "any",
     [Step("custom", label="Ask why they are leaving"),
      Step("save_offer", offer_kind="percent_next_cycle", offer_min=0, offer_max=25), Step("survey")]),
    ("First-cycle cancellation", "cancellation", "first_cycle",
     [Step("apology"), Step("custom", label="Ask why they are leaving"),
      Step("save_offer", offer_kind="percent_next_cycle", offer_min=10, offer_max=30),
      Step("check_in", days=7), Step("survey")]),
    ("Skip or pause", "skip_pause", "any",
     [Step("custom", label="Confirm the skipped or paused cycle"), Step("check_in", days=14)]),
    ("Product quality", "product_quality", "any",
     [Step("apology"), Step("escalate", label="to the product team"), Step("replacement"),
      Step("save_offer", offer_kind="free_addon", offer_min=0, offer_max=1), Step("survey")]),
    ("Other", "other", "any", [Step("apology"), Step("survey")]),
]


def default_ref(category: str, segment: str) -> str:
    """The stable external id of a shipped default policy."""
    return f"default-{category}" + ("" if segment == "any" else f"-{segment}")


def remove_all(conn: sqlite3.Connection, *, with_audit: bool = False) -> None:
    """Remove every policy, published versions included, lifting the
    immutability triggers for this one transaction. Only for a database
    without tickets, whose shipped defaults are placeholders: the demo and an
    import into a new file replace them. ``with_audit`` also drops their
    audit entries, so that a replaced history reads as one story."""
    prefixes = ("CREATE TRIGGER policy_", "CREATE TRIGGER audit_log_") if with_audit else ("CREATE TRIGGER policy_",)
    triggers = [s for s in statements(V1) if s.startswith(prefixes)]
    for trigger in triggers:
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger.split()[2]}")
    if with_audit:
        conn.execute("DELETE FROM audit_log WHERE entity = 'policy'")
    for table in ("policy_steps", "policy_versions", "policy_draft_steps", "policies"):
        conn.execute(f"DELETE FROM {table}")
    for trigger in triggers:
        conn.execute(trigger)


def seed_defaults(conn: sqlite3.Connection, actor: str, at: str | None = None) -> None:
    """Write the default policy set, one per category, as published v1.
    Runs inside the transaction that creates a new database."""
    at = at or clock.now_iso()
    for name, category, segment, steps in DEFAULTS:
        policy_id = inserted_id(conn.execute(
            "INSERT INTO policies (ref, name, category, segment, draft_dirty, created_at, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, 0, ?, ?, ?)", (default_ref(category, segment), name, category, segment, at, at,
                                                actor)))
        _write_draft(conn, policy_id, steps)
        _insert_version(conn, policy_id, 1, at, actor, "Default policy shipped with Amends", steps)
