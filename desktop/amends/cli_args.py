"""What every ``amends`` command's arguments are built from: the parser
class (one line of error, exit 2), the argument types that refuse what the
store cannot hold, the ``--db`` option, and :class:`Command`, one command's
name, help, arguments and action (cli.py builds the parser from them).

Light on purpose: `amends` alone builds the parser at every start of the app.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from amends.cli_usage import UsageError
from amends.core.errors import ValidationError

if TYPE_CHECKING:  # imported by the commands that use it (start-up time)
    from amends.core.insights.period import Period


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + error
        raise UsageError(f"{message} (see 'amends --help')")


#: Whole numbers SQLite can store; ids and limits above it cannot match anything.
MAX_ID = 2**63 - 1
#: Days the insights dates may name (the import's range: see importers.values).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)

DB_HELP = ("database file, or a PostgreSQL server as postgresql://user@host:port/dbname "
           "(default: $AMENDS_DB or amends.db in the user data folder)")


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: ASCII digits (``²`` is not one) between low and high."""

    def read(text: str) -> int:
        if not re.fullmatch(r"\s*-?[0-9]{1,30}\s*", text):
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text.strip()[:40]} is outside {low:,}–{high:,}")
        return value

    return read


positive = whole(1, MAX_ID)


def finite_number(text: str) -> float:
    """A finite number: ``inf`` and ``nan`` would be stored as nonsense."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a finite number")
    return value


def day(text: str) -> str:
    """``YYYY-MM-DD``, a real day between 1900 and 2999."""
    try:
        found = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        found = None
    if found is None:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: dates are YYYY-MM-DD, real days")
    if not FIRST_DAY <= found <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"{text}: dates are between {FIRST_DAY} and {LAST_DAY}")
    return text


def add_period(parser: argparse.ArgumentParser) -> None:
    """``--since`` and ``--until`` (insights, report, rules add/test)."""
    parser.add_argument("--since", type=day, metavar="YYYY-MM-DD", help="first day (default: the last full quarter)")
    parser.add_argument("--until", type=day, metavar="YYYY-MM-DD", help="last day, included")


def period(args: argparse.Namespace) -> Period:
    """--since and --until as a period; an end before the start is a bad
    argument (exit 2), like a date that is not one."""
    from amends.core import insights

    try:
        return insights.parse(args.since, args.until)
    except ValidationError as error:
        raise UsageError(f"--since/--until: {error.problems[0][1]}") from None


@dataclass(frozen=True)
class Command:
    """One ``amends`` command: what ``amends --help`` lists, the options it
    takes (after ``--db``), and what runs it (returns the exit status).
    ``own_parser``: a command that makes its whole parser itself (``move``
    names both its ends, so it takes no ``--db``); then help and arguments
    are its own business."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    own_parser: Callable[[argparse._SubParsersAction], None] | None = None

    def add(self, sub: argparse._SubParsersAction) -> None:
        """The command's parser under ``sub``: its help, ``--db``, then its own options."""
        if self.own_parser is not None:
            self.own_parser(sub)
            return
        p = sub.add_parser(self.name, help=self.help, description=self.help)
        p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=DB_HELP)
        self.arguments(p)
