"""The ``amends`` command: the app launcher and headless commands over the
same core services as the app.

Every failure a person can cause (bad arguments, a missing or broken file,
a rule broken) ends in one line on stderr and a non-zero exit status, never
a traceback. Exit codes: 0 fine, 1 refused or failed, 2 bad arguments,
130 interrupted, 141 the reader of the output went away (``| head``; quietly,
as for tools that SIGPIPE ends).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from amends import __version__, paths
from amends import settings_schema as schema
from amends.cli_usage import UsageError
from amends.core import clock, identity
from amends.core.errors import AmendsError, DatabaseProblem, ValidationError
from amends.core.store import Database
from amends.core.workspace import open_database

if TYPE_CHECKING:  # imported by the commands that use them: `amends` alone starts the app (start-up time)
    from amends.core import resolution
    from amends.core.insights.period import Period

log = logging.getLogger("amends.cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + error
        raise UsageError(f"{message} (see 'amends --help')")


#: Whole numbers SQLite can store; ids and limits above it cannot match anything.
MAX_ID = 2**63 - 1
#: Days the insights dates may name (the import's range: see importers.values).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: ASCII digits (``²`` is not one) between low and high."""

    def read(text: str) -> int:
        if not re.fullmatch(r"\s*-?[0-9]{1,30}\s*", text):
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text.strip()[:40]} is outside {low:,}–{high:,}")
        return value

    return read


_positive = _whole(1, MAX_ID)


def _number(text: str) -> float:
    """A finite number: ``inf`` and ``nan`` would be stored as nonsense."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a finite number")
    return value


def _day(text: str) -> str:
    """``YYYY-MM-DD``, a real day between 1900 and 2999."""
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        day = None
    if day is None:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: dates are YYYY-MM-DD, real days")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"{text}: dates are between {FIRST_DAY} and {LAST_DAY}")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="amends", description="Amends: support console for subscription businesses. "
                                                "With no command, launches the app.")
    parser.add_argument("--version", action="version", version=f"amends {__version__}")
    db_help = ("database file, or a PostgreSQL server as postgresql://user@host:port/dbname "
               "(default: $AMENDS_DB or amends.db in the user data folder)")
    parser.add_argument("--db", metavar="PATH", help=db_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
        return p

    p = command("demo", "fill an empty database with deterministic demo data")
    p.add_argument("--tickets", type=_whole(1, 5_000_000), required=True, metavar="N", help="how many tickets")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")

    p = command("stats", "count tickets, customers and policies")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("check", "check the database's integrity, foreign keys, schema (version and drift: tables, columns, "
                         "indexes, triggers, views, CHECK constraints) and search indexes")
    p.add_argument("--repair", action="store_true",
                   help="back up, then fix what can be fixed safely: missing triggers, indexes, views and search "
                        "indexes (rebuilt); changed columns and constraints are refused")

    p = command("search", "full-text search over ticket subjects and messages (newest first)")
    p.add_argument("query", metavar="QUERY", help='words and "quoted phrases"; every term must match')
    p.add_argument("--limit", type=_whole(1, 1_000_000), default=20, metavar="N",
                   help="at most N results (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("insights", "the Review pane's figures: recurring complaints, offers, cycle-1 churn")
    p.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first day (default: the last full quarter)")
    p.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day, included")
    p.add_argument("--churn-window-days", type=_whole(1, 3660), default=60, metavar="N",
                   help="a customer churned when cancelled within N days after the first ticket (default 60)")
    p.add_argument("--min-tickets", type=_whole(1, 1_000_000_000), default=10, metavar="N",
                   help="flag an uncovered category from N tickets (default 10; a rate that stands out for "
                        "the store flags from 3)")
    p.add_argument("--save-window-days", type=_whole(1, 3660), default=60, metavar="N",
                   help="save offers: a customer was retained when still subscribed N days after the ticket "
                        "(default 60)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("replacement-cost", "what one replacement costs per category (the Review values replacements with it)")
    p.add_argument("category", nargs="?", metavar="CATEGORY", help="e.g. damaged_shipment (none: list them)")
    p.add_argument("amount", nargs="?", metavar="AMOUNT", help="e.g. 18.50")
    p.add_argument("currency", nargs="?", metavar="CURRENCY", help="e.g. USD")
    p.add_argument("--clear", action="store_true", help="forget the category's cost")

    p = command("import", "import files: all or nothing per file, idempotent, every bad record reported")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", default="auto", choices=["auto", "amends", "csv", "customers", "eml", "mbox",
                                                        "zendesk", "helpscout", "freshdesk", "gorgias"],
                   help="the files' format (default: guess from the name and content)")
    p.add_argument("--encoding", metavar="NAME",
                   help="CSV: the files' text encoding, e.g. cp1252, iso-8859-2, shift_jis, utf-16 "
                        "(default: UTF-8, else detected and named in the report)")
    p.add_argument("--date-order", choices=["day-first", "month-first"],
                   help="CSV: how dates like 01/05/2026 read (default: from each column's values)")
    p.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    p.add_argument("--skip-invalid", action="store_true", help="import the valid records, report the others")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="CSV: read COLUMN as FIELD (repeatable; FIELD 'ignore' skips a column)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = command("export", "export tickets: the lossless Amends format, CSV or JSON")
    p.add_argument("--format", required=True, choices=["amends", "csv", "json"])
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--query", metavar="Q", help="only tickets matching this search (csv and json)")
    p.add_argument("--force", action="store_true", help="replace an existing file (never a database)")

    p = command("backup", "copy the database to DEST, safely while others use it")
    p.add_argument("dest", metavar="DEST", help="a new file, or a folder to put a dated copy in")
    p.add_argument("--force", action="store_true",
                   help="replace an existing file that is not a database (an older backup never is)")

    p = command("restore", "replace the database with a backup (checked first)")
    p.add_argument("source", metavar="SRC", help="the backup file")
    p.add_argument("--force", action="store_true", help="replace an existing database (a copy is kept first)")

    p = command("report", "write the quarterly relations report as a PDF")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument("--force", action="store_true", help="replace an existing file (never a database)")
    p.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first day (default: the last full quarter)")
    p.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day, included")

    p = command("resolve", "resolve a ticket through its policy's recovery checklist")
    p.add_argument("ticket", type=_positive, metavar="TICKET_ID")
    p.add_argument("--step", action="append", default=[], metavar="N=done|skip:REASON",
                   help="outcome of checklist step N (numbered from 1); repeat for every step")
    p.add_argument("--offer", type=_number, metavar="VALUE", help="the save offer made")
    p.add_argument("--override-reason", metavar="TEXT", help="why an offer is outside the approved range")
    p.add_argument("--actor", metavar="NAME", help="who resolves (default: your display name)")
    _rules_parser(command("rules", "the rules that sort new tickets: list, add, test, remove"), db_help)

    from amends import cli_mail

    cli_mail.add_commands(command("mail", "mailboxes: list them, fetch new mail, test the connections, "
                                          "sign in (OAuth2)"), _Parser,
                          db_help)
    from amends import cli_move

    cli_move.add_command(sub)
    return parser


def _rules_parser(p: argparse.ArgumentParser, db_help: str) -> None:
    """``amends rules list|add|test|remove`` (docs/RULES.md has the JSON shapes)."""
    actions = p.add_subparsers(dest="rules_command", metavar="list|add|test|remove", parser_class=_Parser, required=True)

    def action(name: str, help_text: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        a = actions.add_parser(name, help=help_text, description=help_text, parents=list(parents))
        a.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
        return a

    a = action("list", "every rule, in the order they run")
    a.add_argument("--json", action="store_true", help="print JSON")
    period = _Parser(add_help=False)
    period.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first day (default: the last full quarter)")
    period.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day, included")
    period.add_argument("--json", action="store_true", help="print JSON")
    a = action("add", "add a rule at the end of the list (it runs last)", period)
    a.add_argument("--name", required=True, metavar="NAME")
    a.add_argument("--when", required=True, metavar="QUERY", help="a search, as typed in the inbox (OR, from:, ...)")
    a.add_argument("--set", action="append", required=True, metavar="KEY=VALUE", dest="sets",
                   help="category=C, tag=T (repeatable), priority=N, assignee=NAME")
    a.add_argument("--dry-run", action="store_true", help="only show what it would have matched (--since/--until)")
    a = action("test", "what a rule would have matched among the tickets of a period", period)
    a.add_argument("name", metavar="NAME")
    a = action("remove", "delete a rule")
    a.add_argument("name", metavar="NAME")


def _database_path(args: argparse.Namespace) -> Path:
    return Path(args.db).expanduser() if args.db else paths.default_database()


def _uses_default(args: argparse.Namespace) -> bool:
    return not args.db and not schema.environment(schema.AMENDS_DB)


def _ensure_default_folder(args: argparse.Namespace) -> None:
    """The user data folder is the app's own: made on first use by every
    command, so that a new user's first ``amends demo`` (or ``stats``) is not
    told to create it."""
    if not _uses_default(args):
        return
    folder = paths.data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseProblem(f"Cannot create the data folder {folder}: {error.strerror}.", path=str(folder),
                              hint="Choose another location with --db.") from error


def _refuse_missing_or_empty(args: argparse.Namespace, path: Path) -> None:
    """A command that reads (stats, check, search …) on a file that is not
    there yet, or is empty, says so and how to make one: an empty file is
    not "missing", and the message names the commands that fill it."""
    where = "" if _uses_default(args) else f"--db {path} "
    how = (f"Create one with 'amends {where}demo --tickets 100' (sample data) or 'amends {where}import FILE', "
           "or start the app.")
    if path.is_file() and path.stat().st_size == 0:  # stat, not open: see the POSIX lock trap in DESIGN.md
        raise DatabaseProblem(f"{path} is an empty file (0 bytes), not an Amends database yet.", path=str(path),
                              hint=how)
    if not path.exists() and path.parent.is_dir():
        first = "No database yet: " if _uses_default(args) else ""
        raise DatabaseProblem(f"{first}{path} does not exist.", path=str(path), hint=how)


def _server_url(args: argparse.Namespace) -> str | None:
    """``--db`` / AMENDS_DB naming a PostgreSQL server (issue 19), else None."""
    from amends.core.store.location import is_server_url

    target = args.db or schema.environment(schema.AMENDS_DB) or ""
    return target if is_server_url(target) else None


def _open(args: argparse.Namespace, *, create: bool = False, actor: str | None = None) -> Database:
    url = _server_url(args)
    if url is None and not create:
        _refuse_missing_or_empty(args, _database_path(args))
    db = open_database(url or _database_path(args), actor or identity.current_actor(), create=create)
    wait = os.environ.get("AMENDS_LOCK_WAIT_SECONDS")
    if wait:
        try:
            seconds = float(wait)
        except ValueError:
            seconds = math.nan
        if not 0 <= seconds <= 86_400:  # NaN too: it compares false
            db.close()
            raise ValidationError([("AMENDS_LOCK_WAIT_SECONDS", f"{wait[:40]!r} is not a number of seconds "
                                                                "from 0 to 86400")])
        db.write_wait_seconds = seconds
    return db


def _with_db(args: argparse.Namespace, work, *, create: bool = False, actor: str | None = None):
    """Open the database, run ``work(db)``, always close it."""
    db = _open(args, create=create, actor=actor)
    try:
        return work(db)
    finally:
        db.close()


def strict_json(data: object) -> object:
    """``data`` with every non-finite number as null: JSON has no NaN or
    Infinity, and a database written before imports refused them may still
    hold one. Everything the CLI prints as JSON goes through this."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: strict_json(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [strict_json(value) for value in data]
    return data


def strict_dumps(data: object, **options) -> str:
    """JSON text with no NaN or Infinity. The common case is checked by
    ``allow_nan=False`` itself; only a document that holds one is copied."""
    try:
        return json.dumps(data, allow_nan=False, **options)
    except ValueError:  # "Out of range float values are not JSON compliant"
        return json.dumps(strict_json(data), allow_nan=False, **options)


def _print_json(data: object) -> None:
    print(strict_dumps(data, indent=2, ensure_ascii=False))


def cmd_demo(args: argparse.Namespace) -> int:
    from amends.core import demo

    summary = _with_db(args, lambda db: demo.generate(db, args.tickets, args.seed), create=True)
    print(f"Added {summary.tickets:,} tickets, {summary.customers:,} customers, {summary.messages:,} messages "
          f"and {summary.resolutions:,} resolutions to {_database_path(args)} in {summary.seconds:.1f} s.")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from amends.core import health

    data = _with_db(args, health.stats)
    if args.json:
        _print_json(data)
    else:
        for key, value in data.items():
            print(f"{key.replace('_', ' ')}: {value:,}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from amends.core import health

    report = _with_db(args, health.repair if args.repair else health.check)
    path = _database_path(args)
    for line in report.fixed:
        print(f"fixed: {line}")
    for line in report.checks:
        print(line)
    for line in report.problems:
        print(f"problem: {line}", file=sys.stderr)
    if args.repair:  # what --repair would not change, and why
        for line in report.refused:
            print(f"not repaired: {line}", file=sys.stderr)
    if report.ok:
        print(f"{path}: healthy")
        return 0
    if args.repair or not report.repairable:  # after a repair, what is left needs a backup
        hint = "restore a backup ('amends restore')"
    else:
        hint = "run 'amends check --repair'"
        if report.refused:
            hint += " (some it cannot fix: it says which, and why)"
    print(f"amends: {path} has {len(report.problems)} problem(s); {hint}", file=sys.stderr)
    return 1


def cmd_search(args: argparse.Namespace) -> int:
    from amends.core import tags, tickets

    db = _open(args)
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
        _print_json({"query": args.query, "count": len(rows), "tickets": [
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
    db = _open(args, actor=args.actor)
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


def _period(args: argparse.Namespace) -> Period:
    """--since and --until as a period; an end before the start is a bad
    argument (exit 2), like a date that is not one."""
    from amends.core import insights

    try:
        return insights.parse(args.since, args.until)
    except ValidationError as error:
        raise UsageError(f"--since/--until: {error.problems[0][1]}") from None


def cmd_rules(args: argparse.Namespace) -> int:
    from amends.core import rules

    if args.rules_command == "list":
        found = _with_db(args, rules.all_rules)
        if args.json:
            _print_json({"rules": [r.as_dict() for r in found]})
        for r in found if not args.json else []:
            sets = ", ".join(f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in r.actions().items())
            print(f"{r.position:>3}. {r.name}{'' if r.enabled else ' (off)'}: when {r.query}  ->  {sets}")
        return 0
    if args.rules_command == "remove":
        def remove(db: Database) -> None:
            rules.remove(db, rules.get(db, args.name).id or 0)
        _with_db(args, remove)
        print(f"Removed rule {args.name!r}.")
        return 0
    period = _period(args)
    if args.rules_command == "test":
        trial = _with_db(args, lambda db: rules.trial(db, rules.get(db, args.name), period))
    else:
        try:
            sets = rules.parse_set(args.sets)
        except ValidationError as error:
            raise UsageError(str(error)) from None
        rule = rules.check(rules.Rule(args.name, args.when, **sets))
        if not args.dry_run:
            saved = _with_db(args, lambda db: rules.add(db, rule))
            if args.json:
                _print_json(saved.as_dict())
            else:
                print(f"Added rule {saved.name!r} (number {saved.position}): when {saved.query}")
            return 0
        trial = _with_db(args, lambda db: rules.trial(db, rule, period))
    if args.json:
        _print_json(trial.as_dict())
    else:
        print(f"{trial.rule.name} ({period.label()}): {trial.summary}")
    return 0


def cmd_insights(args: argparse.Namespace) -> int:
    from amends.core import insights, money, upstream

    period = _period(args)
    settings = insights.Settings(insights.Thresholds(min_tickets=args.min_tickets),
                                 churn_window_days=args.churn_window_days, save_window_days=args.save_window_days)
    review = _with_db(args, lambda db: insights.compute(db, period, settings))
    if args.json:
        _print_json(review.to_json())
        return 0
    print(f"Period {period.label()}")
    print("\nRecurring complaints (flagged first):")
    for row in insights.by_concern(review.recurring):
        mark = "FLAG" if row.flag else "    "
        print(f"  {mark} {row.category:<17} {row.tickets:>7} tickets "
              f"{row.per_1000_active:>9.1f} per 1,000 active  {row.reason}")
    offers = review.offers
    print(f"\nOffers outside the approved range: {len(offers.out_of_range)}")
    for c in offers.consistency:
        print(f"  {c.category:<17} {c.within}/{c.offers} within bounds ({c.score:.0%})")
    churn = review.cycle1_churn
    print(f"\nChurn within {churn.window_days} days of the first ticket:")
    for group in ("cycle1", "later", "cycle1_recovered", "cycle1_not_recovered"):
        g = churn.group(group)
        print(f"  {group:<21} {g.churned:>6}/{g.customers:<6} {g.rate:6.1%} "
              f"(95 % CI {g.ci95[0]:.1%}–{g.ci95[1]:.1%})")
    print("\nRecovery cost (estimated: replacements at the set cost, refunds at one cycle's price):")
    for cost in review.recovery_cost:
        print(f"  {cost.category:<17} {insights.cost_label(cost.to_json())}")
    print(f"\nChecklist completion {review.checklist_completion:.1%}; "
          f"overdue follow-ups {review.followups_overdue:,}")
    print("\nThemes inside each category (tickets, previous period, covered by a rule or policy):")
    for theme in review.themes:
        print(f"  {theme.category:<17} {theme.tickets:>6} (was {theme.previous:>5})  "
              f"{'covered' if theme.covered else 'NOT covered':<11}  {theme.theme}")
    if review.save_offers is not None:
        saved = review.save_offers
        print(f"\nSave offers: still subscribed {saved.window_days} days after the ticket "
              "(95 % Wilson interval; cost per retained customer):")
        for band in saved.bands:
            if band.customers:
                cost = ("-" if band.cost.amount is None
                        else f"{band.cost.amount:,.{money.exponent(band.cost.currency)}f} {band.cost.currency or ''}")
                print(f"  {band.band:<12} {band.retained:>6}/{band.customers:<6} {band.rate:6.1%} "
                      f"({band.ci[0]:.1%}–{band.ci[1]:.1%})  {cost}")
    fixes = _with_db(args, lambda db: upstream.measured(db, settings.thresholds.window_days, now=review.as_of))
    if fixes:
        print(f"\nUpstream fixes (rate {settings.thresholds.window_days} days before vs after):")
        for fix in fixes:
            print(f"  {'FLAG' if fix.flag else '    '} {fix.change.scope:<30} {fix.change.what}: {fix.reason}")
    return 0


def cmd_replacement_cost(args: argparse.Namespace) -> int:
    from amends.core import costs

    if args.category is None:
        if args.clear:
            raise UsageError("--clear needs a CATEGORY (see 'amends --help')")
        found = _with_db(args, costs.replacement_costs)
        for category, cost in sorted(found.items()):
            print(f"{category:<17} {cost.label()}")
        if not found:
            print("No replacement costs set (amends replacement-cost CATEGORY AMOUNT CURRENCY).")
        return 0
    if args.clear == bool(args.amount) or (args.amount and not args.currency):
        raise UsageError("give AMOUNT and CURRENCY (e.g. 18.50 USD), or --clear (see 'amends --help')")
    try:
        cost = _with_db(args, lambda db: costs.set_replacement_cost(
            db, args.category, None if args.clear else args.amount, args.currency or ""))
    except ValidationError as error:  # a bad category, amount or currency is a bad argument
        raise UsageError(str(error)) from error
    print(f"{args.category}: {'no cost set' if cost is None else cost.label()}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from amends.core import output_files

    period = _period(args)
    # Refused before Qt starts; checked again when the PDF is put in place.
    out = output_files.refuse_target(args.out, force=args.force, database=_database_path(args))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # nothing is shown: no display needed
    from PySide6.QtWidgets import QApplication

    from amends.ui.report import write_report

    app = QApplication.instance() or QApplication(["amends"])  # noqa: F841 (charts need it alive)
    written = _with_db(args, lambda db: write_report(db, period, out, force=args.force))
    print(f"Wrote the relations report for {period.label()} to {written}.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from amends.core import importers

    mapping = {}
    for item in args.map:
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise UsageError(f"--map {item!r} should look like COLUMN=FIELD")
        mapping[column.strip()] = target.strip()
    for name in args.files:
        if not Path(name).expanduser().is_file():
            raise ValidationError([("FILE", f"{name} does not exist or is not a file")])
    db = _open(args, create=True)
    reports = []
    try:
        for name in args.files:
            reports.append(importers.import_file(db, Path(name).expanduser(), args.format, dry_run=args.dry_run,
                                                 skip_invalid=args.skip_invalid, mapping=mapping,
                                                 encoding=args.encoding, dates=args.date_order))
    finally:
        db.close()
    failed = any(r.errors and not args.skip_invalid for r in reports)
    if args.json:
        _print_json({"files": [r.as_dict() for r in reports]})
    else:
        for r in reports:
            verb = "would import" if r.dry_run else "imported"
            if r.errors and not args.skip_invalid:
                print(f"{r.path}: nothing imported; {len(r.errors)} problem(s):", file=sys.stderr)
            else:
                source = f" from a {r.source} export" if r.source else ""
                print(f"{r.path}: {verb} {r.imported:,} {r.unit}{source} ({r.unchanged:,} unchanged, "
                      f"{r.skipped:,} skipped)")
            for note in r.read_as:
                print(f"  {r.path}: read as: {note}", file=sys.stderr)
            for e in r.errors:
                where = f"line {e.record}" if r.format in ("csv", "customers", "mbox") else f"record {e.record}"
                print(f"  {r.path}: {where}: {e.field or '-'}: {e.reason}", file=sys.stderr)
            for n in r.notes:
                print(f"  {r.path}: line {n.record}: {n.field or '-'}: {n.reason}", file=sys.stderr)
    return 1 if failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    from amends.core import output_files, tickets
    from amends.core.exporters import amends, tables

    if args.format == "amends" and args.query:
        raise UsageError("--query: the Amends format exports everything (it is lossless)")
    # Refused before the database is even opened; checked again when written.
    out = output_files.refuse_target(args.out, force=args.force, database=_database_path(args))
    query = tickets.InboxQuery(status="all", text=args.query) if args.query else None
    if args.format == "amends":
        count = _with_db(args, lambda db: amends.write_document(db, out, force=args.force))
    elif args.format == "csv":
        count = _with_db(args, lambda db: tables.write_csv(db, out, query, force=args.force))
    else:
        count = _with_db(args, lambda db: tables.write_json(db, out, query, force=args.force))
    print(f"Exported {count:,} tickets to {out} ({args.format}).")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from amends.core import backups, output_files

    dest = Path(args.dest).expanduser().absolute()
    into_folder = dest.is_dir()
    if into_folder:
        dest = dest / f"{_database_path(args).stem}-{clock.now().strftime('%Y%m%dT%H%M%SZ')}.db"
    if not into_folder:  # refused before the database is even opened; a dated name in a folder is never taken
        dest = output_files.refuse_target(dest, force=args.force, database=_database_path(args))
    written = _with_db(args, lambda db: backups.copy_to(db, dest, force=args.force, unique=into_folder))
    tickets_in = backups.verify(written)
    print(f"Backed up {_database_path(args)} to {written} ({tickets_in:,} tickets, integrity ok).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from amends.core import backups

    source = Path(args.source).expanduser().absolute()
    target = _database_path(args).absolute()
    safety = backups.restore(target, source, force=args.force, actor=identity.current_actor())
    kept = f"; the previous file was kept as {safety}" if safety else ""
    print(f"Restored {target} from {source}{kept}.")
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    from amends import cli_mail

    return cli_mail.run(args, lambda work: _with_db(args, work))


def cmd_move(args: argparse.Namespace) -> int:
    from amends import cli_move

    return cli_move.run(args)


COMMANDS = {"move": cmd_move, "mail": cmd_mail, "import": cmd_import, "export": cmd_export, "backup": cmd_backup, "restore": cmd_restore, "report": cmd_report, "insights": cmd_insights, "demo": cmd_demo, "stats": cmd_stats, "check": cmd_check, "search": cmd_search,
            "resolve": cmd_resolve, "replacement-cost": cmd_replacement_cost, "rules": cmd_rules}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    paths.private_umask()  # everything it writes holds customer data
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            from amends.app import run

            url = _server_url(args) if args.db else None
            return run(url or (_database_path(args) if args.db else None))
        _ensure_default_folder(args)
        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # here, so that a reader gone away is met inside the try
        return status
    except BaseException as error:  # noqa: BLE001 (failed() re-raises what it does not say)
        return failed(error)


def failed(error: BaseException) -> int:
    """The exit status for ``error``, said in one line on stderr; called in
    the ``except`` clause that caught it (by main, and by launch.py for the
    app). What is not ours to say (SystemExit, …) is raised again."""
    if isinstance(error, BrokenPipeError):
        _silence_stdout()
        return 141
    if isinstance(error, (UsageError, AmendsError)):
        print(f"amends: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    if isinstance(error, KeyboardInterrupt):
        print("amends: interrupted", file=sys.stderr)
        return 130
    if isinstance(error, Exception):  # the crash handler: a bug, said in one line, details in the log
        where = _log_crash()
        print(f"amends: internal error ({type(error).__name__}: {error}); details in {where}", file=sys.stderr)
        return 1
    raise error


def _silence_stdout() -> None:
    """The reader of our output left (``amends search … | head``): stop
    quietly. What is still buffered goes to /dev/null, or Python would
    complain about the broken pipe once more at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError) as error:  # no real stdout (embedded, captured): nothing to silence
        log.debug("stdout left as it is after a broken pipe: %s", error)


def _log_crash() -> str:
    from amends.core.store import snapshot

    target = paths.log_dir() / "amends-cli-crash.log"
    try:
        snapshot.private_folder(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # tracebacks quote customer data
        os.chmod(target, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(traceback.format_exc() + "\n")
    except OSError:
        return "(the log folder is not writable)"
    return str(target)


if __name__ == "__main__":
    raise SystemExit(main())
