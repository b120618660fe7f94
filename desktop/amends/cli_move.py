"""``amends move --from SOURCE --to TARGET``: a database file to a PostgreSQL
server, or a server's database to a new file (issue 19 point 5; the work is
in core/store/move.py). Kept out of cli.py like the mail commands.

A progress bar on stderr (a redrawn line on a terminal, a line per table
otherwise); the summary on stdout. Exit 0 moved and verified, 1 refused or
failed (the target is as it was: a server database left empty, a new file
not left behind), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time

from amends.core import identity

WIDTH = 30


def add_command(sub: argparse._SubParsersAction) -> None:
    text = ("copy a whole database to another place: a file to a PostgreSQL server (postgresql://user@host/db, "
            "an empty database) or a server's database to a new file; verified before it is kept")
    p = sub.add_parser("move", help=text, description=text)
    p.add_argument("--from", dest="source", required=True, metavar="SOURCE",
                   help="the database to copy: a file, or postgresql://…")
    p.add_argument("--to", dest="target", required=True, metavar="TARGET",
                   help="where to: postgresql://… (an empty database) or a new file")


def _check(value: str, option: str) -> str:
    from amends.cli_usage import UsageError

    if not value.strip():
        raise UsageError(f"{option}: give a file or a postgresql:// URL")
    from amends.core.store import postgres

    if "://" in value and not postgres.is_url(value):
        raise UsageError(f"{option}: {value.split('://')[0]}:// is not a database Amends knows; "
                         "use a file or a postgresql:// URL")
    return value


class Bar:
    """rows/tables on stderr: redrawn in place on a terminal (at most 10 times a
    second), else one line per finished table (logs stay readable)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = 0.0
        self.table = ""

    def __call__(self, table: str, rows: int, done: int, whole: int, tables: int, all_tables: int) -> None:
        if table == "verify":  # (rows done: rows of the target read back and compared so far)
            if tables == 0:
                self._line(f"verifying {whole:,} rows in {all_tables} tables …", end=not self.tty)
            elif self.tty:
                self._line(f"verifying rows: table {tables + 1}/{all_tables}, {done:,}/{whole:,} rows")
            return
        if table == "export":  # (rows: records of the two exports compared so far)
            if self.tty:
                self._line(f"verifying the exports: {rows:,} records equal so far")
            elif rows % 100_000 == 0:
                print(f"verifying the exports: {rows:,} records equal so far", file=sys.stderr, flush=True)
            return
        if not self.tty:  # a line when a table starts and every 100,000 rows
            if table != self.table or (rows and rows % 100_000 == 0):
                self.table = table
                print(f"moving: table {tables + 1}/{all_tables} ({table}), {done:,}/{whole:,} rows",
                      file=sys.stderr, flush=True)
            return
        now = time.monotonic()
        if now - self.shown < 0.1 and done < whole:
            return
        self.shown = now
        filled = int(WIDTH * done / whole) if whole else WIDTH
        self._line(f"[{'#' * filled}{'.' * (WIDTH - filled)}] {tables + 1}/{all_tables} tables, "
                   f"{done:,}/{whole:,} rows  {table}")

    def end(self) -> None:
        """Leave the redrawn line (a terminal) so that what follows starts on its own."""
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _line(self, text: str, end: bool = False) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[K" + text + ("\n" if end else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    from amends.cli_usage import UsageError
    from amends.core.store import move, postgres
    from amends.core.workspace import open_database

    if args.db:
        raise UsageError("move: name the databases with --from and --to, not --db")
    source, target = _check(args.source, "--from"), _check(args.target, "--to")
    move.refuse_target(target)  # before the source is even opened (or upgraded)
    move.refuse_source(source)
    db = open_database(source, identity.current_actor(), create=False)
    bar = Bar()
    try:
        report = move.move(db, target, identity.current_actor(), progress=bar)
    finally:
        db.close()
        bar.end()
    print(f"Moved {report.rows:,} rows in {len(report.tables)} tables from {postgres.redact(source)} to "
          f"{postgres.redact(target)} in {report.copy_seconds:.1f} s ({report.rows_per_second:,.0f} rows/s); "
          f"verified (row counts, every row, the exports) in {report.verify_seconds:.1f} s.")
    print("verify: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.phases.items()),
          file=sys.stderr)
    return 0
