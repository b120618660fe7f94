"""The review pack of one policy for one quarter: every figure a keep /
change / retire decision needs, in one place (the Policies pane's "Review
this policy" page and one page per reviewed policy in the PDF report).

Its tickets are those *resolved in the period under a version of this
policy* (resolutions.policy_version_id), each resolution counted once.
Checklist completion: resolutions with every step done. Offers against
bounds: per person, the offers made and how many fell outside the bounds
recorded on their resolution. Recovery cost: as the Review prices it
(resolutions.py), for these resolutions only. Churn of the customers it
covered: each customer once, at their first resolution under the policy in
the period (day 0): churned when a subscription was in force at day 0 and
none is at day 0 + ``window_days``; left out when no subscription was in
force at day 0 or the window has not ended. Satisfaction: the survey steps
done against the survey steps its checklists had (Amends records that a
survey was sent, not its score). Themes: its category's (themes.py).
Proposals: open ones naming the policy or its category. History: its
versions, decisions, reviews and the upstream fixes of its category, each
fix measured before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from amends.core import clock, policies, policy_decisions, policy_history, proposals, upstream
from amends.core.insights.numbers import rate
from amends.core.insights.period import Period
from amends.core.insights.records import ChurnRate, SkippedStep
from amends.core.insights.resolutions import recovery_money
from amends.core.insights.themes import Theme, themes
from amends.core.store import Database

_UNDER = "r.policy_version_id IN (SELECT id FROM policy_versions WHERE policy_id = :policy)"
_IN_PERIOD = "r.resolved_at >= :start AND r.resolved_at < :end"


@dataclass(frozen=True)
class ActorOffers:
    actor: str
    count: int
    min: float
    median: float
    max: float
    out_of_range: int


@dataclass(frozen=True)
class PolicyPack:
    policy: policies.Policy
    period: Period
    window_days: int
    tickets: int
    resolutions: int
    complete: int
    skipped: tuple[SkippedStep, ...]
    bounds: policies.Step | None
    offers: tuple[ActorOffers, ...]
    cost: tuple[dict[str, float], bool, int]   # currency -> amount, estimated, unpriced
    churn: ChurnRate
    churn_excluded: int
    surveys_done: int
    surveys_asked: int
    themes: tuple[Theme, ...]
    proposals: tuple[proposals.Proposal, ...]
    versions: tuple[policies.PolicyVersion, ...]
    decisions: tuple[policy_decisions.Decision, ...]
    reviews: tuple[policy_history.Review, ...]
    upstream: tuple[upstream.Measured, ...]

    @property
    def completion(self) -> float:
        return self.complete / self.resolutions if self.resolutions else 0.0


def _params(policy_id: int, period: Period) -> dict[str, object]:
    return {"policy": policy_id, "start": period.start, "end": period.end}


def _churn(db: Database, policy_id: int, period: Period, window_days: int,
           now: str) -> tuple[list[int], list[int], int]:
    """(first tickets of the customers counted, of those who churned, left out)."""
    cutoff = clock.to_iso(clock.parse_iso(now) - timedelta(days=window_days))
    rows = db.tuples(
        f"""WITH firsts AS (
                SELECT t.customer_id, min(r.resolved_at) AS day0, min(r.ticket_id) AS ticket_id
                FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
                WHERE {_UNDER} AND {_IN_PERIOD} AND t.customer_id IS NOT NULL GROUP BY t.customer_id
            ), ends AS (
                SELECT *, strftime('%Y-%m-%dT%H:%M:%SZ', day0, :window) AS deadline FROM firsts
            )
            SELECT e.ticket_id, e.day0,
                   (SELECT count(*) FROM subscriptions s WHERE s.customer_id = e.customer_id
                    AND s.started_at <= e.day0 AND (s.cancelled_at IS NULL OR s.cancelled_at > e.day0)),
                   (SELECT count(*) FROM subscriptions s WHERE s.customer_id = e.customer_id
                    AND s.started_at <= e.deadline AND (s.cancelled_at IS NULL OR s.cancelled_at > e.deadline))
            FROM ends e ORDER BY e.ticket_id""",
        {**_params(policy_id, period), "window": f"+{int(window_days)} days"})
    counted, churned, left_out = [], [], 0
    for ticket_id, day0, at_start, at_end in rows:
        if not at_start or day0 > cutoff:
            left_out += 1
            continue
        counted.append(ticket_id)
        if not at_end:
            churned.append(ticket_id)
    return counted, churned, left_out


def pack(db: Database, policy_id: int, period: Period, *, window_days: int = 60,
         now: str | None = None) -> PolicyPack:
    now = now or clock.now_iso()
    policy = policies.get(db, policy_id)
    params = _params(policy_id, period)
    tickets, total, complete = db.tuples(
        f"SELECT count(DISTINCT r.ticket_id), count(*), coalesce(sum(r.steps_skipped = 0), 0) FROM resolutions r "
        f"WHERE {_UNDER} AND {_IN_PERIOD}", params)[0]
    skipped = tuple(SkippedStep(*r) for r in db.tuples(
        f"""SELECT r.actor, s.type, s.reason, count(*) AS n FROM resolutions r
            JOIN resolution_steps s ON s.resolution_id = r.id
            WHERE {_UNDER} AND {_IN_PERIOD} AND s.outcome = 'skipped'
            GROUP BY r.actor, s.type, s.reason ORDER BY r.actor, n DESC, s.type""", params))
    values: dict[str, list[float]] = {}
    outside: dict[str, int] = {}
    for actor, value, in_bounds in db.tuples(
            f"SELECT r.actor, r.offer_value, r.offer_in_bounds FROM resolutions r "
            f"WHERE {_UNDER} AND {_IN_PERIOD} AND r.offer_value IS NOT NULL ORDER BY r.actor, r.id", params):
        values.setdefault(actor, []).append(value)
        outside[actor] = outside.get(actor, 0) + (in_bounds == 0)
    offers = tuple(ActorOffers(a, len(v), min(v), median(v), max(v), outside[a]) for a, v in values.items())
    done, asked = db.tuples(
        f"""SELECT coalesce(sum(s.outcome = 'done'), 0), count(*) FROM resolutions r
            JOIN resolution_steps s ON s.resolution_id = r.id
            WHERE {_UNDER} AND {_IN_PERIOD} AND s.type = 'survey'""", params)[0]
    counted, churned, left_out = _churn(db, policy_id, period, window_days, now)
    current = policies.versions(db, policy_id)
    bounds = current[0].offer_step() if current else None
    return PolicyPack(
        policy, period, window_days, tickets, total, complete, skipped, bounds, offers,
        recovery_money(db, period, policy_id).get(policy.category, ({}, False, 0)),
        rate(len(churned), len(counted)), left_out, done, asked,
        tuple(t for t in themes(db, period) if t.category == policy.category),
        tuple(p for p in proposals.list_proposals(db, "open")
              if p.policy_id == policy_id or (p.policy_id is None and p.category == policy.category)),
        tuple(current), tuple(policy_decisions.decisions(db, policy_id)),
        tuple(policy_history.reviews(db, policy_id)),
        tuple(upstream.measure(db, c, now=now) for c in upstream.changes(db, policy.category)))


def ticket_ids(db: Database, policy_id: int, period: Period, what: str = "covered", *, window_days: int = 60,
               now: str | None = None) -> list[int]:
    """The tickets behind a figure of the pack: ``covered`` (resolved under
    it), ``incomplete`` (a step skipped), ``out_of_range`` (an offer outside
    its bounds), ``churn`` (customers counted) or ``churned``."""
    params = _params(policy_id, period)
    extra = {"covered": "", "incomplete": " AND r.steps_skipped > 0", "out_of_range": " AND r.offer_in_bounds = 0"}
    if what in extra:
        return [r[0] for r in db.tuples(f"SELECT DISTINCT r.ticket_id FROM resolutions r WHERE {_UNDER} "
                                        f"AND {_IN_PERIOD}{extra[what]} ORDER BY r.ticket_id", params)]
    if what in ("churn", "churned"):
        counted, churned, _ = _churn(db, policy_id, period, window_days, now or clock.now_iso())
        return counted if what == "churn" else churned
    raise ValueError(f"unknown figure {what!r}")
