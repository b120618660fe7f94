"""Looking back at a policy: comparing versions, rolling back, and the
review cadence (every policy is looked at again after its interval)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import timedelta

from amends.core import audit, clock, policies
from amends.core.errors import NotFound, ValidationError
from amends.core.policies import Step
from amends.core.store import Database


@dataclass(frozen=True)
class StepChange:
    """One line of a side-by-side comparison. ``kind`` is ``same``,
    ``changed``, ``added`` (only in the newer) or ``removed``."""

    kind: str
    old: Step | None
    new: Step | None
    old_position: int | None
    new_position: int | None

    def describe(self) -> str:
        # "added" has no old step and "removed" no new one; the others have both.
        old = self.old.describe() if self.old is not None else ""
        new = self.new.describe() if self.new is not None else ""
        if self.kind == "added":
            return f"+ {new}"
        if self.kind == "removed":
            return f"− {old}"
        if self.kind == "changed":
            return f"~ {old} → {new}"
        return f"  {new}"


def compare(old: list[Step] | tuple[Step, ...], new: list[Step] | tuple[Step, ...]) -> list[StepChange]:
    """Step-by-step differences: steps of the same type at the same place in
    the sequence pair up (changed when their parameters differ)."""
    matcher = difflib.SequenceMatcher(a=[s.type for s in old], b=[s.type for s in new], autojunk=False)
    changes: list[StepChange] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(a1, a2), range(b1, b2)):
                kind = "same" if old[i] == new[j] else "changed"
                changes.append(StepChange(kind, old[i], new[j], i, j))
        else:
            for i in range(a1, a2):
                changes.append(StepChange("removed", old[i], None, i, None))
            for j in range(b1, b2):
                changes.append(StepChange("added", None, new[j], None, j))
    return changes


def compare_versions(db: Database, policy_id: int, old_number: int, new_number: int) -> list[StepChange]:
    versions = {v.number: v for v in policies.versions(db, policy_id)}
    for number in (old_number, new_number):
        if number not in versions:
            raise NotFound(f"Policy {policy_id} has no version {number}.")
    return compare(versions[old_number].steps, versions[new_number].steps)


def roll_back(db: Database, policy_id: int, number: int, note: str) -> policies.PolicyVersion:
    """Publish the steps of an earlier version as a new version. Nothing is
    deleted: the versions in between stay in the history."""
    if not note.strip():
        raise ValidationError([("note", "say why you roll back")])
    with db.transaction():
        old = next((v for v in policies.versions(db, policy_id) if v.number == number), None)
        if old is None:
            raise NotFound(f"Policy {policy_id} has no version {number}.")
        policy = policies.get(db, policy_id)
        version = policies.save_draft(db, policy_id, policy.version, name=policy.name, category=policy.category,
                                      segment=policy.segment, plan=policy.plan, steps=list(old.steps))
        return policies.publish(db, policy_id, f"Roll back to v{number}: {note.strip()}", expected_version=version)


# -- review cadence ---------------------------------------------------------

@dataclass(frozen=True)
class ReviewState:
    policy_id: int
    last_reviewed: str          # the last review, or the last publish if never reviewed
    due_at: str
    days_left: int              # negative when overdue

    @property
    def label(self) -> str:
        if self.days_left < 0:
            return f"overdue by {-self.days_left} d"
        if self.days_left <= 14:
            return f"due in {self.days_left} d"
        return f"next {self.due_at[:10]}"

    @property
    def due(self) -> bool:
        return self.days_left <= 14


def review_state(policy: policies.Policy, now: str | None = None) -> ReviewState:
    """When the policy is next due for review: its interval after the last
    review, or after the last publish (a publish is a fresh look)."""
    anchors = [a for a in (policy.last_reviewed_at, policy.published_at, policy.updated_at) if a]
    last = max(anchors[:2]) if anchors[:2] else anchors[-1]
    due = clock.parse_iso(last) + timedelta(days=policy.review_interval_days)
    current = clock.parse_iso(now) if now else clock.now()
    days_left = int((due - current) / timedelta(days=1) // 1)
    return ReviewState(policy.id, last, clock.to_iso(due), days_left)


def mark_reviewed(db: Database, policy_id: int, note: str, *, at: str | None = None) -> None:
    """Record that someone looked at the policy (a note is required)."""
    if not note.strip():
        raise ValidationError([("note", "say what the review found")])
    at = at or clock.now_iso()
    with db.transaction() as conn:
        if conn.execute("SELECT 1 FROM policies WHERE id = ?", (policy_id,)).fetchone() is None:
            raise NotFound(f"Policy {policy_id} does not exist.")
        conn.execute("INSERT INTO policy_reviews (policy_id, reviewed_at, reviewed_by, note) VALUES (?, ?, ?, ?)",
                     (policy_id, at, db.actor, note.strip()))
        conn.execute("UPDATE policies SET last_reviewed_at = ? WHERE id = ?", (at, policy_id))
        audit.record(conn, db.actor, "policy", policy_id, "review", {"note": note.strip()}, at=at)


def set_review_interval(db: Database, policy_id: int, days: int) -> None:
    if not 7 <= days <= 730:
        raise ValidationError([("review interval", "between 7 and 730 days")])
    with db.transaction() as conn:
        before = conn.execute("SELECT review_interval_days FROM policies WHERE id = ?", (policy_id,)).fetchone()
        if before is None:
            raise NotFound(f"Policy {policy_id} does not exist.")
        conn.execute("UPDATE policies SET review_interval_days = ? WHERE id = ?", (days, policy_id))
        audit.record(conn, db.actor, "policy", policy_id, "review_interval",
                     {"before": before[0], "after": days})


@dataclass(frozen=True)
class Review:
    reviewed_at: str
    reviewed_by: str
    note: str


def reviews(db: Database, policy_id: int) -> list[Review]:
    return [Review(r["reviewed_at"], r["reviewed_by"], r["note"]) for r in db.query(
        "SELECT * FROM policy_reviews WHERE policy_id = ? ORDER BY reviewed_at DESC", (policy_id,))]


ACTIVE_SUBSCRIBERS_HINT = 1000


def active_subscribers(db: Database) -> int:
    return db.scalar("SELECT count(DISTINCT customer_id) FROM subscriptions WHERE status = 'active'")


def should_split_roles(db: Database) -> bool:
    """Past about 1,000 active subscribers, one person doing service and
    relations is the bottleneck: time to split the roles."""
    return active_subscribers(db) >= ACTIVE_SUBSCRIBERS_HINT


@dataclass(frozen=True)
class PolicyEvent:
    at: str
    policy: str
    what: str      # "v2 published" / "reviewed" / "upstream fix (theme)"
    by: str
    note: str


def events_between(db: Database, start: str, end: str) -> list[PolicyEvent]:
    """Publishes, reviews (a decision is one) and upstream fixes taking
    effect in [start, end), oldest first: the quarter's policy changes for
    the report. An upstream fix not tied to a policy shows its category."""
    rows = db.query(
        """SELECT v.published_at AS at, p.name AS policy, 'v' || v.number || ' published' AS what,
                  v.published_by AS by, v.note AS note
           FROM policy_versions v JOIN policies p ON p.id = v.policy_id
           WHERE v.published_at >= ? AND v.published_at < ?
           UNION ALL
           SELECT r.reviewed_at, p.name, 'reviewed', r.reviewed_by, r.note
           FROM policy_reviews r JOIN policies p ON p.id = r.policy_id
           WHERE r.reviewed_at >= ? AND r.reviewed_at < ?
           UNION ALL
           SELECT u.effective_at, coalesce(p.name, u.category),
                  'upstream fix' || coalesce(' (' || u.theme || ')', ''), u.recorded_by, u.what
           FROM upstream_changes u LEFT JOIN policies p ON p.id = u.policy_id
           WHERE u.effective_at >= ? AND u.effective_at < ?
           ORDER BY at""", (start, end, start, end, start, end))
    return [PolicyEvent(r["at"], r["policy"], r["what"], r["by"], r["note"]) for r in rows]
