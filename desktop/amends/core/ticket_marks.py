"""Whether the ticket a window shows may have changed (issue 19: live refresh
within 100 ms).

Every change by anyone makes each window re-read its inbox page; re-reading
the *open ticket* too (conversation, customer, policy, files: tens of ms)
after every change was most of the time another window took to show a
change. A :class:`TicketMark` is taken before the ticket is read; the next
change re-reads it only if the mark moved.

What the ticket view shows, and what moves the mark:

* the ticket and the customer's other tickets (the sidebar lists them):
  their count, the sum of their ``version`` and the newest ``updated_at``;
* everything audited about those tickets (replies, notes, tags, resolutions,
  follow-ups …): how many audit entries they have — a count, not the newest
  id, because on a server two writers of different tickets commit side by
  side and a smaller id can appear after a larger one;
* anything audited that is not a ticket (a customer, a policy published, a
  proposal filed …), since the mark was taken: the ticket is re-read.
  Writers of such rows hold the whole database's write lock
  (store/postgres.py), so their entries appear in id order.
"""

from __future__ import annotations

from dataclasses import dataclass

from amends.core.store import Database


@dataclass(frozen=True)
class TicketMark:
    ticket_id: int
    #: (tickets, sum of versions, newest updated_at, audit entries) of the ticket and its customer's tickets
    state: tuple
    #: the newest audit id when the mark was taken (what came after it is looked at)
    audit_id: int


_STATE = """
WITH shown AS (
    SELECT id, version, updated_at FROM tickets WHERE id = ?
    UNION
    SELECT t.id, t.version, t.updated_at FROM tickets t
    WHERE t.customer_id = (SELECT customer_id FROM tickets WHERE id = ?)
)
SELECT count(*), coalesce(sum(version), 0), max(updated_at),
       (SELECT count(*) FROM audit_log a WHERE a.entity = 'ticket' AND a.entity_id IN (SELECT id FROM shown))
FROM shown
"""


def mark(db: Database, ticket_id: int) -> TicketMark:
    """Take the mark; do it *before* reading the ticket, so a change made while
    it is read moves the mark and is read at the next look."""
    audit_id = int(db.scalar("SELECT coalesce(max(id), 0) FROM audit_log"))
    row = db.one(_STATE, (ticket_id, ticket_id))
    return TicketMark(ticket_id, tuple(row) if row is not None else (), audit_id)


def changed(db: Database, before: TicketMark) -> tuple[bool, TicketMark]:
    """Whether what the ticket view shows of ``before.ticket_id`` may have
    changed since ``before`` was taken, and the mark as it is now."""
    now = mark(db, before.ticket_id)
    if now.state != before.state:
        return True, now
    elsewhere = db.scalar("SELECT 1 FROM audit_log WHERE id > ? AND entity <> 'ticket' LIMIT 1", (before.audit_id,))
    return elsewhere is not None, now
