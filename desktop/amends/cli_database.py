"""``amends demo``, ``stats`` and ``check``: the database itself (filled
with demo data, counted, checked and repaired by the doctor)."""

from __future__ import annotations

import argparse
import sys

from amends.cli_args import Command, whole
from amends.cli_open import database_path, print_json, with_db


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tickets", type=whole(1, 5_000_000), required=True, metavar="N", help="how many tickets")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")


def cmd_demo(args: argparse.Namespace) -> int:
    from amends.core import demo

    summary = with_db(args, lambda db: demo.generate(db, args.tickets, args.seed), create=True)
    print(f"Added {summary.tickets:,} tickets, {summary.customers:,} customers, {summary.messages:,} messages "
          f"and {summary.resolutions:,} resolutions to {database_path(args)} in {summary.seconds:.1f} s.")
    return 0


def _stats_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def cmd_stats(args: argparse.Namespace) -> int:
    from amends.core import health

    data = with_db(args, health.stats)
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            print(f"{key.replace('_', ' ')}: {value:,}")
    return 0


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repair", action="store_true",
                   help="back up, then fix what can be fixed safely: missing triggers, indexes, views and search "
                        "indexes (rebuilt); changed columns and constraints are refused")


def cmd_check(args: argparse.Namespace) -> int:
    from amends.core import health

    report = with_db(args, health.repair if args.repair else health.check)
    path = database_path(args)
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


DEMO = Command("demo", "fill an empty database with deterministic demo data", _demo_arguments, cmd_demo)
STATS = Command("stats", "count tickets, customers and policies", _stats_arguments, cmd_stats)
CHECK = Command("check", "check the database's integrity, foreign keys, schema (version and drift: tables, columns, "
                         "indexes, triggers, views, CHECK constraints) and search indexes", _check_arguments, cmd_check)
