"""What the inbox model merges into the pages it reads: the due check-ins
of resolved tickets (listed in Active where the sort puts them) and, after
a bounded reload, the tickets already listed (skipped when paging on).
Plain functions over rows, apart from the model's Qt side (kept under 500
lines)."""

from __future__ import annotations

from array import array

from amends.core import tickets


def place_checkins(query: tickets.InboxQuery, rows: list[tickets.TicketRow], checkins: list[tickets.TicketRow],
                   at_end: bool) -> tuple[list[tickets.TicketRow], list[tickets.TicketRow]]:
    """``rows`` with the check-ins that sort among them (all of them at the
    end), in the query's order, and the check-ins left for later pages."""
    descending = query.sort not in tickets.ASCENDING
    names = [c.removeprefix("t.") for c in tickets.SORTS[query.sort]]

    def key(row: tickets.TicketRow) -> tuple:
        return tuple((row.waiting_since or "~") if n == tickets.WAITING_KEY else getattr(row, n) for n in names)

    if at_end or not rows:
        placed, left = checkins, []
    else:
        last = key(rows[-1])
        placed = [r for r in checkins if (key(r) >= last if descending else key(r) <= last)]
        left = [r for r in checkins if r not in placed]
    return sorted(rows + placed, key=key, reverse=descending), left


def not_listed(rows: list[tickets.TicketRow], ids: array, listed: bytearray | None
               ) -> tuple[list[tickets.TicketRow], bytearray]:
    """``rows`` less the tickets listed already (a change sorted a kept row
    past the loaded ones), each then marked listed in the bitmap by id (made
    from ``ids`` the first time: 1 bit a ticket, 125 KB for a million)."""
    if listed is None:
        listed = bytearray((max(ids, default=0) >> 3) + 1)
        for ticket_id in ids:
            listed[ticket_id >> 3] |= 1 << (ticket_id & 7)
    fresh = []
    for row in rows:
        at, bit = row.id >> 3, 1 << (row.id & 7)
        if at >= len(listed):
            listed.extend(bytes(at - len(listed) + 1))
        elif listed[at] & bit:
            continue
        listed[at] |= bit
        fresh.append(row)
    return fresh, listed
