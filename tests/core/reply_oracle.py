"""The Review's reply-target figures replayed from the messages: the code of
insights/reply_targets.py before schema 7 (V7REPLY), kept as the oracle that
the waits kept by triggers (reply_waits) are checked against
(tests/core/test_reply_waits.py). Slow at a million tickets (it reads every
message of every ticket with one in the period); right by construction."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise

from amends.core import clock, targets
from amends.core.business_hours import BusinessHours
from amends.core.insights.period import Period
from amends.core.store import Database

UNASSIGNED = "(unassigned)"


def _disjoint(hours: BusinessHours) -> bool:
    """No two open spans of a day overlap (business_time_between counts an
    overlap twice, so only then is open time at most the clock's time)."""
    for spans in hours.week.values():
        ordered = sorted(spans)
        if any(later[0] < earlier[1] for earlier, later in pairwise(ordered)):
            return False
    return True


def tally(db: Database, period: Period, *, now: str | None = None) -> Counter[tuple[str, str, bool]]:
    """Replay every wait of the tickets with a message in the period (or a
    wait still open) against the file's targets and business hours. A
    resolved ticket without a message in the period adds nothing (no reply
    in the period; nobody waits on it), so every unresolved ticket is
    replayed too. (The code before picked those by tickets.waiting_since
    through the partial index tickets_waiting; but waiting_since, recomputed,
    counts only customer messages after the second of our last reply, and the
    replay below opens a wait at a message of that very second with a later
    id: such a wait was missed in a period without the ticket's messages and
    counted in one with them. Found by test_reply_waits' property test.)"""
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
                                 UNION SELECT id FROM tickets WHERE status <> 'resolved')
             AND m.direction IN ('in', 'out') AND t.merged_into IS NULL
           ORDER BY m.ticket_id, m.created_at, m.id""", (period.start, period.end))
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

    return tally
