"""``amends search`` and ``resolve``: the service side from the command
line (finding tickets; resolving one through its policy's checklist)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

from amends.cli_args import Command, finite_number, positive, whole
from amends.cli_open import open_db, print_json
from amends.cli_usage import UsageError
from amends.core.errors import ValidationError

if TYPE_CHECKING:  # imported by the commands that use it (start-up time)
    from amends.core import resolution


def _search_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", metavar="QUERY", help='words and "quoted phrases"; every term must match')
    p.add_argument("--limit", type=whole(1, 1_000_000), default=20, metavar="N",
                   help="at most N results (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")


def cmd_search(args: argparse.Namespace) -> int:
    from amends.core import tags, tickets

    db = open_db(args)
    try:
        try:
            rows, _ = tickets.page(db, tickets.InboxQuery(status="all", text=args.query), limit=args.limit)
        except ValidationError as error:  # the query cannot be read: a bad argument
            raise UsageError(str(error)) from None
        refs = {r["id"]: r["ref"] for r in db.query(
            f"SELECT id, ref FROM tickets WHERE id IN ({','.join('?' * len(rows))})", [r.id for r in rows])} \
            if rows else {}
        labels = {tid: [t.name for t in found] for tid, found in tags.for_tickets(db, [r.id for r in rows]).items()}
    finally:
        db.close()
    if args.json:
        print_json({"query": args.query, "count": len(rows), "tickets": [
            {"id": r.id, "ref": refs.get(r.id), "subject": r.subject, "status": r.status, "category": r.category,
             "priority": r.priority, "assignee": r.assignee, "customer": r.customer,
             "created_at": r.created_at, "updated_at": r.updated_at, "billing_cycle": r.billing_cycle,
             "tags": labels.get(r.id, []), "snoozed_until": r.snoozed_until}
            for r in rows]})
        return 0
    if not rows:
        print(f"No tickets match {args.query!r}.")
    for r in rows:
        extra = "".join(f" [{name}]" for name in labels.get(r.id, []))
        print(f"#{r.id:<8} {r.status:<9} {r.category:<17} {r.updated_at[:10]}  {r.subject}  ({r.customer}){extra}")
    return 0


def _resolve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("ticket", type=positive, metavar="TICKET_ID")
    p.add_argument("--step", action="append", default=[], metavar="N=done|skip:REASON",
                   help="outcome of checklist step N (numbered from 1); repeat for every step")
    p.add_argument("--offer", type=finite_number, metavar="VALUE", help="the save offer made")
    p.add_argument("--override-reason", metavar="TEXT", help="why an offer is outside the approved range")
    p.add_argument("--actor", metavar="NAME", help="who resolves (default: your display name)")


def parse_step(text: str) -> resolution.StepOutcome:
    """``N=done`` or ``N=skip:REASON``, N numbered from 1."""
    from amends.core import resolution

    number, sep, outcome = text.partition("=")
    if not sep or not re.fullmatch(r"[0-9]{1,4}", number.strip()):  # ASCII: "²".isdigit() is True
        raise UsageError(f"--step {text!r} should look like N=done or N=skip:REASON")
    position = int(number) - 1
    if position < 0:
        raise UsageError(f"--step {text!r}: steps are numbered from 1")
    if outcome == "done":
        return resolution.StepOutcome(position, True)
    if outcome.startswith("skip"):
        reason = outcome[4:].lstrip(":").strip()
        return resolution.StepOutcome(position, False, reason or None)
    raise UsageError(f"--step {text!r}: the outcome must be 'done' or 'skip:REASON'")


def cmd_resolve(args: argparse.Namespace) -> int:
    from amends.core import resolution

    outcomes = [parse_step(text) for text in args.step]
    numbers = [o.position for o in outcomes]
    if len(set(numbers)) != len(numbers):
        raise UsageError("--step: a step is given more than once")
    db = open_db(args, actor=args.actor)
    try:
        checklist = resolution.checklist_for(db, args.ticket)
        offer = None
        if args.offer is not None:
            offer = resolution.Offer(args.offer, override_reason=args.override_reason)
        problems = resolution.check(checklist, outcomes, offer)
        if problems:
            lines = [f"amends: ticket {args.ticket} was not resolved: "
                     + "; ".join(f"{f}: {r}" for f, r in problems)]
            if checklist.steps:
                lines.append(f"checklist ({checklist.reason}):")
                lines += [f"  {i}. {s.describe()}" for i, s in enumerate(checklist.steps, start=1)]
            print("\n".join(lines), file=sys.stderr)
            return 1
        resolution_id = resolution.resolve(db, args.ticket, checklist.policy.id if checklist.policy else None,
                                           outcomes, offer, expected_version=checklist.ticket_version)
        followups = db.query("SELECT due_at FROM followups WHERE resolution_id = ?", (resolution_id,))
    finally:
        db.close()
    policy = checklist.reason if checklist.policy else "no policy"
    extra = "".join(f"; follow-up due {f['due_at'][:10]}" for f in followups)
    print(f"Resolved ticket {args.ticket} ({policy}); resolution {resolution_id}{extra}.")
    return 0


SEARCH = Command("search", "full-text search over ticket subjects and messages (newest first)", _search_arguments,
                 cmd_search)
RESOLVE = Command("resolve", "resolve a ticket through its policy's recovery checklist", _resolve_arguments,
                  cmd_resolve)
