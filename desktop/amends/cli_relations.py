"""``amends insights``, ``replacement-cost``, ``report`` and ``rules``: the
relations side from the command line (the Review figures, what they value
replacements at, the quarterly PDF, the rules that sort new tickets)."""

from __future__ import annotations

import argparse
import os

from amends.cli_args import DB_HELP, Command, Parser, add_period, period, whole
from amends.cli_open import database_path, print_json, with_db
from amends.cli_usage import UsageError
from amends.core.errors import ValidationError
from amends.core.store import Database


def _insights_arguments(p: argparse.ArgumentParser) -> None:
    add_period(p)
    p.add_argument("--churn-window-days", type=whole(1, 3660), default=60, metavar="N",
                   help="a customer churned when cancelled within N days after the first ticket (default 60)")
    p.add_argument("--min-tickets", type=whole(1, 1_000_000_000), default=10, metavar="N",
                   help="flag an uncovered category from N tickets (default 10; a rate that stands out for "
                        "the store flags from 3)")
    p.add_argument("--save-window-days", type=whole(1, 3660), default=60, metavar="N",
                   help="save offers: a customer was retained when still subscribed N days after the ticket "
                        "(default 60)")
    p.add_argument("--json", action="store_true", help="print JSON")


def cmd_insights(args: argparse.Namespace) -> int:
    from amends.core import insights, money, upstream

    chosen = period(args)
    settings = insights.Settings(insights.Thresholds(min_tickets=args.min_tickets),
                                 churn_window_days=args.churn_window_days, save_window_days=args.save_window_days)
    review = with_db(args, lambda db: insights.compute(db, chosen, settings))
    if args.json:
        print_json(review.to_json())
        return 0
    print(f"Period {chosen.label()}")
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
    fixes = with_db(args, lambda db: upstream.measured(db, settings.thresholds.window_days, now=review.as_of))
    if fixes:
        print(f"\nUpstream fixes (rate {settings.thresholds.window_days} days before vs after):")
        for fix in fixes:
            print(f"  {'FLAG' if fix.flag else '    '} {fix.change.scope:<30} {fix.change.what}: {fix.reason}")
    return 0


def _replacement_cost_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("category", nargs="?", metavar="CATEGORY", help="e.g. damaged_shipment (none: list them)")
    p.add_argument("amount", nargs="?", metavar="AMOUNT", help="e.g. 18.50")
    p.add_argument("currency", nargs="?", metavar="CURRENCY", help="e.g. USD")
    p.add_argument("--clear", action="store_true", help="forget the category's cost")


def cmd_replacement_cost(args: argparse.Namespace) -> int:
    from amends.core import costs

    if args.category is None:
        if args.clear:
            raise UsageError("--clear needs a CATEGORY (see 'amends --help')")
        found = with_db(args, costs.replacement_costs)
        for category, cost in sorted(found.items()):
            print(f"{category:<17} {cost.label()}")
        if not found:
            print("No replacement costs set (amends replacement-cost CATEGORY AMOUNT CURRENCY).")
        return 0
    if args.clear == bool(args.amount) or (args.amount and not args.currency):
        raise UsageError("give AMOUNT and CURRENCY (e.g. 18.50 USD), or --clear (see 'amends --help')")
    try:
        cost = with_db(args, lambda db: costs.set_replacement_cost(
            db, args.category, None if args.clear else args.amount, args.currency or ""))
    except ValidationError as error:  # a bad category, amount or currency is a bad argument
        raise UsageError(str(error)) from error
    print(f"{args.category}: {'no cost set' if cost is None else cost.label()}")
    return 0


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument("--force", action="store_true", help="replace an existing file (never a database)")
    add_period(p)


def cmd_report(args: argparse.Namespace) -> int:
    from amends.core import output_files

    chosen = period(args)
    # Refused before Qt starts; checked again when the PDF is put in place.
    out = output_files.refuse_target(args.out, force=args.force, database=database_path(args))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # nothing is shown: no display needed
    from PySide6.QtWidgets import QApplication

    from amends.ui.report import write_report

    app = QApplication.instance() or QApplication(["amends"])  # noqa: F841 (charts need it alive)
    written = with_db(args, lambda db: write_report(db, chosen, out, force=args.force))
    print(f"Wrote the relations report for {chosen.label()} to {written}.")
    return 0


def _rules_arguments(p: argparse.ArgumentParser) -> None:
    """``amends rules list|add|test|remove`` (docs/RULES.md has the JSON shapes)."""
    actions = p.add_subparsers(dest="rules_command", metavar="list|add|test|remove", parser_class=Parser, required=True)

    def action(name: str, help_text: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        a = actions.add_parser(name, help=help_text, description=help_text, parents=list(parents))
        a.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=DB_HELP)
        return a

    a = action("list", "every rule, in the order they run")
    a.add_argument("--json", action="store_true", help="print JSON")
    dates = Parser(add_help=False)
    add_period(dates)
    dates.add_argument("--json", action="store_true", help="print JSON")
    a = action("add", "add a rule at the end of the list (it runs last)", dates)
    a.add_argument("--name", required=True, metavar="NAME")
    a.add_argument("--when", required=True, metavar="QUERY", help="a search, as typed in the inbox (OR, from:, ...)")
    a.add_argument("--set", action="append", required=True, metavar="KEY=VALUE", dest="sets",
                   help="category=C, tag=T (repeatable), priority=N, assignee=NAME")
    a.add_argument("--dry-run", action="store_true", help="only show what it would have matched (--since/--until)")
    a = action("test", "what a rule would have matched among the tickets of a period", dates)
    a.add_argument("name", metavar="NAME")
    a = action("remove", "delete a rule")
    a.add_argument("name", metavar="NAME")


def cmd_rules(args: argparse.Namespace) -> int:
    from amends.core import rules

    if args.rules_command == "list":
        found = with_db(args, rules.all_rules)
        if args.json:
            print_json({"rules": [r.as_dict() for r in found]})
        for r in found if not args.json else []:
            sets = ", ".join(f"{k} {', '.join(v) if isinstance(v, list) else v}" for k, v in r.actions().items())
            print(f"{r.position:>3}. {r.name}{'' if r.enabled else ' (off)'}: when {r.query}  ->  {sets}")
        return 0
    if args.rules_command == "remove":
        def remove(db: Database) -> None:
            rules.remove(db, rules.get(db, args.name).id or 0)
        with_db(args, remove)
        print(f"Removed rule {args.name!r}.")
        return 0
    chosen = period(args)
    if args.rules_command == "test":
        trial = with_db(args, lambda db: rules.trial(db, rules.get(db, args.name), chosen))
    else:
        try:
            sets = rules.parse_set(args.sets)
        except ValidationError as error:
            raise UsageError(str(error)) from None
        rule = rules.check(rules.Rule(args.name, args.when, **sets))
        if not args.dry_run:
            saved = with_db(args, lambda db: rules.add(db, rule))
            if args.json:
                print_json(saved.as_dict())
            else:
                print(f"Added rule {saved.name!r} (number {saved.position}): when {saved.query}")
            return 0
        trial = with_db(args, lambda db: rules.trial(db, rule, chosen))
    if args.json:
        print_json(trial.as_dict())
    else:
        print(f"{trial.rule.name} ({chosen.label()}): {trial.summary}")
    return 0


INSIGHTS = Command("insights", "the Review pane's figures: recurring complaints, offers, cycle-1 churn",
                   _insights_arguments, cmd_insights)
REPLACEMENT_COST = Command("replacement-cost", "what one replacement costs per category (the Review values "
                                               "replacements with it)", _replacement_cost_arguments,
                           cmd_replacement_cost)
REPORT = Command("report", "write the quarterly relations report as a PDF", _report_arguments, cmd_report)
RULES = Command("rules", "the rules that sort new tickets: list, add, test, remove", _rules_arguments, cmd_rules)
