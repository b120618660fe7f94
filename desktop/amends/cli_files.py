"""``amends import``, ``export``, ``backup`` and ``restore``: files in and
out of the database (each refused before anything is written when its
target cannot be used)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from amends.cli_args import Command
from amends.cli_open import database_path, open_db, print_json, with_db
from amends.cli_usage import UsageError
from amends.core import clock, identity
from amends.core.errors import ValidationError


def _import_arguments(p: argparse.ArgumentParser) -> None:
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
    db = open_db(args, create=True)
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
        print_json({"files": [r.as_dict() for r in reports]})
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


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", required=True, choices=["amends", "csv", "json"])
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--query", metavar="Q", help="only tickets matching this search (csv and json)")
    p.add_argument("--force", action="store_true", help="replace an existing file (never a database)")


def cmd_export(args: argparse.Namespace) -> int:
    from amends.core import output_files, tickets
    from amends.core.exporters import amends, tables

    if args.format == "amends" and args.query:
        raise UsageError("--query: the Amends format exports everything (it is lossless)")
    # Refused before the database is even opened; checked again when written.
    out = output_files.refuse_target(args.out, force=args.force, database=database_path(args))
    query = tickets.InboxQuery(status="all", text=args.query) if args.query else None
    if args.format == "amends":
        count = with_db(args, lambda db: amends.write_document(db, out, force=args.force))
    elif args.format == "csv":
        count = with_db(args, lambda db: tables.write_csv(db, out, query, force=args.force))
    else:
        count = with_db(args, lambda db: tables.write_json(db, out, query, force=args.force))
    print(f"Exported {count:,} tickets to {out} ({args.format}).")
    return 0


def _backup_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dest", metavar="DEST", help="a new file, or a folder to put a dated copy in")
    p.add_argument("--force", action="store_true",
                   help="replace an existing file that is not a database (an older backup never is)")


def cmd_backup(args: argparse.Namespace) -> int:
    from amends.core import backups, output_files

    dest = Path(args.dest).expanduser().absolute()
    into_folder = dest.is_dir()
    if into_folder:
        dest = dest / f"{database_path(args).stem}-{clock.now().strftime('%Y%m%dT%H%M%SZ')}.db"
    if not into_folder:  # refused before the database is even opened; a dated name in a folder is never taken
        dest = output_files.refuse_target(dest, force=args.force, database=database_path(args))
    written = with_db(args, lambda db: backups.copy_to(db, dest, force=args.force, unique=into_folder))
    tickets_in = backups.verify(written)
    print(f"Backed up {database_path(args)} to {written} ({tickets_in:,} tickets, integrity ok).")
    return 0


def _restore_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SRC", help="the backup file")
    p.add_argument("--force", action="store_true", help="replace an existing database (a copy is kept first)")


def cmd_restore(args: argparse.Namespace) -> int:
    from amends.core import backups

    source = Path(args.source).expanduser().absolute()
    target = database_path(args).absolute()
    safety = backups.restore(target, source, force=args.force, actor=identity.current_actor())
    kept = f"; the previous file was kept as {safety}" if safety else ""
    print(f"Restored {target} from {source}{kept}.")
    return 0


IMPORT = Command("import", "import files: all or nothing per file, idempotent, every bad record reported",
                 _import_arguments, cmd_import)
EXPORT = Command("export", "export tickets: the lossless Amends format, CSV or JSON", _export_arguments, cmd_export)
BACKUP = Command("backup", "copy the database to DEST, safely while others use it", _backup_arguments, cmd_backup)
RESTORE = Command("restore", "replace the database with a backup (checked first)", _restore_arguments, cmd_restore)
