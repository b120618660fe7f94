"""The share of customers answered within the reply target, by category and
by the person who answered (insights key ``reply_targets``).

Each wait is replayed from the messages: it starts at the customer's first
message after our last reply and ends at our next reply. A wait counts in
the period when it ended there (answered) or fell due there unanswered
(missed, put on the ticket's assignee; not when the ticket is resolved). Within target = the business time
waited is at most the first-reply target (no reply before) or the next-reply
one. Waits with no target, or still waiting and not yet due, are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from amends.core import clock, targets
from amends.core.business_hours import BusinessHours
from amends.core.insights.period import Period
from amends.core.insights.records import JSON
from amends.core.store import Database

UNASSIGNED = "(unassigned)"


@dataclass(frozen=True, slots=True)
class TargetShare:
    key: str          # a category id, or a person
    answered: int     # waits counted (replied or missed)
    within: int       # replied within the target

    @property
    def share(self) -> float | None:
        return self.within / self.answered if self.answered else None

    def to_json(self, name: str) -> JSON:
        return {name: self.key, "waits": self.answered, "within_target": self.within, "share": self.share}


@dataclass(frozen=True, slots=True)
class ReplyTargets:
    total: TargetShare
    by_category: tuple[TargetShare, ...]
    by_person: tuple[TargetShare, ...]

    def to_json(self) -> JSON:
        return {"waits": self.total.answered, "within_target": self.total.within, "share": self.total.share,
                "by_category": [c.to_json("category") for c in self.by_category],
                "by_person": [p.to_json("person") for p in self.by_person]}


def _disjoint(hours: BusinessHours) -> bool:
    """No two open spans of a day overlap (business_time_between counts an
    overlap twice, so only then is open time at most the clock's time)."""
    for spans in hours.week.values():
        ordered = sorted(spans)
        if any(later[0] < earlier[1] for earlier, later in pairwise(ordered)):
            return False
    return True


def reply_targets(db: Database, period: Period, *, now: str | None = None) -> ReplyTargets:
    """Replay every wait of the tickets with a message in the period (or a
    wait still open) against the file's targets and business hours. A
    resolved ticket without a message in the period adds nothing (no reply
    in the period; nobody waits on it), so only open waits of unresolved
    tickets are added: the partial index tickets_waiting answers that."""
    reply = targets.load(db)
    start, end = period.start, period.end
    hours = reply.hours
    by_clock = _disjoint(hours)
    as_of = min(now or clock.now_iso(), end)
    # One tally per (category, person, met) while replaying; the three views are summed from it at the end.
    tally: Counter[tuple[str, str, bool]] = Counter()

    rows = db.tuples(
        """SELECT m.ticket_id, m.direction, m.created_at, m.author, m.flag, t.category, t.priority, t.assignee,
                  t.status
           FROM messages m JOIN tickets t ON t.id = m.ticket_id
           WHERE m.ticket_id IN (SELECT ticket_id FROM messages WHERE created_at >= ? AND created_at < ?
                                 UNION SELECT id FROM tickets WHERE waiting_since IS NOT NULL AND waiting_since < ?
                                       AND status <> 'resolved')
             AND m.direction IN ('in', 'out') AND t.merged_into IS NULL
           ORDER BY m.ticket_id, m.created_at, m.id""", (period.start, period.end, period.end))
    index = 0
    while index < len(rows):
        ticket_id, category, priority, assignee, status = rows[index][0], *rows[index][5:9]
        waiting: str | None = None
        replied = False
        while index < len(rows) and rows[index][0] == ticket_id:
            _, direction, at, author, flag = rows[index][:5]
            index += 1
            if direction == "in" and flag != "thanks":
                waiting = waiting or at
            elif direction == "out" and waiting is not None:
                minutes = reply.minutes(category, priority, not replied)
                if minutes is not None and start <= at < end:
                    began, answered = clock.parse_iso(waiting), clock.parse_iso(at)
                    limit = timedelta(minutes=minutes)
                    # Open time never exceeds the time on the clock (spans that do not overlap): a reply
                    # within the limit by the clock is within it in business time too, without walking
                    # the opening hours.
                    met = (by_clock and answered - began <= limit) or \
                        hours.business_time_between(began, answered) <= limit
                    tally[(category, author, met)] += 1
                waiting, replied = None, True
            elif direction == "out":
                replied = True
        if waiting is not None and status != "resolved":  # resolved: nobody waits on it any more
            due = reply.due_at(category, priority, waiting, "x" if replied else None)
            if due is not None and start <= due < end and due <= as_of:
                tally[(category, assignee or UNASSIGNED, False)] += 1

    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (category, person, met), n in tally.items():
        for key in (("", ""), ("c", category), ("p", person)):
            counts[key][0] += n
            counts[key][1] += n if met else 0

    def shares(kind: str) -> tuple[TargetShare, ...]:
        found = [TargetShare(key, n, k) for (group, key), (n, k) in counts.items() if group == kind]
        return tuple(sorted(found, key=lambda s: (-s.answered, s.key)))

    total = counts.get(("", ""), [0, 0])
    return ReplyTargets(TargetShare("", total[0], total[1]), shares("c"), shares("p"))
