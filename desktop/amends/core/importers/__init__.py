"""Getting tickets in: every file is parsed and validated whole before
anything is written; then it is written in one transaction, or not at all. See docs/FORMAT.md."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from amends.core import audit
from amends.core.errors import Cancelled, ValidationError
from amends.core.importers import amends, csv_files, helpdesks, mail, subscriptions
from amends.core.importers.records import Parsed, RecordProblem
from amends.core.importers.values import BadValue
from amends.core.importers.writer import conflicts, write
from amends.core.store import Database

log = logging.getLogger(__name__)

FORMATS = ("auto", "amends", "csv", "customers", "eml", "mbox", "zendesk", "helpscout", "freshdesk", "gorgias")


class _DryRun(Exception):
    """Carries a dry run's counts out of the transaction it rolls back."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("dry run")
        self.counts = counts


@dataclass
class FileReport:
    path: str
    format: str
    imported: int = 0       # new or changed records, in the format's unit
    unchanged: int = 0
    skipped: int = 0
    errors: list[RecordProblem] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    unit: str = "tickets"
    #: The platform the file was recognised as ('Stripe Billing subscriptions' ...), None for our own formats.
    source: str | None = None
    #: Rows left out on purpose, each with why (not errors: the file is imported).
    notes: list[RecordProblem] = field(default_factory=list)
    #: How the file was read where it had to be guessed (a CSV's encoding, a date column's order).
    read_as: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors or self.written

    def as_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "unit": self.unit, "imported": self.imported,
                "unchanged": self.unchanged, "skipped": self.skipped, "dry_run": self.dry_run,
                "written": self.written, "errors": [e.as_dict() for e in self.errors], "source": self.source,
                "notes": [n.as_dict() for n in self.notes], "read_as": list(self.read_as)}


def detect(path: Path) -> str:
    """The format from the name and the first bytes."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return helpdesks.sniff(amends.read_json(path)) or "amends"
        except (BadValue, OSError):  # unreadable: the parser reports it properly
            return "amends"
    if suffix == ".eml":
        return "eml"
    if suffix in (".mbox", ".mbx"):
        return "mbox"
    head = path.read_bytes()[:4096].decode("utf-8", errors="replace").lower()
    if suffix in (".csv", ".tsv", ".txt"):
        if subscriptions.recognise_file(path) is not None:
            return "customers"
        first = head.splitlines()[0] if head else ""
        return "customers" if "email" in first and ("plan" in first or "cycle" in first) and \
            "subject" not in first else "csv"
    if head.lstrip().startswith("{"):
        return "amends"
    if head.startswith("from "):
        return "mbox"
    if "message-id:" in head or ("from:" in head and "subject:" in head):
        return "eml"
    raise ValidationError([("format", f"cannot tell the format of {path.name}; pass --format")])


@dataclass(frozen=True)
class Recognised:
    """A subscription platform's own export, read but not written: what the
    app names before importing it (such a file skips the mapping dialog, so
    this is the person's one chance to see what Amends took it for)."""

    source: str      # 'Stripe Billing subscriptions' ...
    rows: int        # data rows in the file
    records: int     # what an import would bring, in ``unit``
    unit: str
    problems: int


def recognised(path: str | Path) -> Recognised | None:
    """The platform a CSV file is an export of, with its counts; None for
    any other file (or none there). Reads the file, never the database."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    platform = subscriptions.recognise_file(path)
    if platform is None:
        return None
    parsed = subscriptions.parse(path, platform)
    _header, data = csv_files.rows(path, Parsed(parsed.unit))
    return Recognised(platform.name, len(data), parsed.count(), parsed.unit, len(parsed.problems))


def parse(path: Path, fmt: str, mapping: dict[str, str] | None = None, *, encoding: str | None = None,
          dates: str | None = None) -> Parsed:
    """``encoding`` and ``dates`` (a date order) apply to CSV files only."""
    if fmt == "amends":
        return amends.parse(path)
    if fmt == "csv":
        return csv_files.parse_tickets(path, mapping or {}, encoding=encoding, dates=dates)
    if fmt == "customers":
        platform = None if mapping else subscriptions.recognise_file(path)
        if platform is not None:  # a platform's own export: read as that platform means it
            return subscriptions.parse(path, platform)
        return csv_files.parse_customers(path, mapping or {}, encoding=encoding, dates=dates)
    if fmt in ("eml", "mbox"):
        return mail.parse(path, fmt)
    if fmt in ("zendesk", "helpscout", "freshdesk", "gorgias"):
        return helpdesks.parse(path, fmt)
    raise ValidationError([("format", f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")])


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector paused while a file becomes records and rows:
    a big file is millions of small acyclic objects, and each full collection
    walks all of them again, so parsing 100,000 tickets took twice as long as
    without it (issue 16). Nothing is kept from running: it resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_file(db: Database, path: str | Path, fmt: str = "auto", *, dry_run: bool = False,
                skip_invalid: bool = False, mapping: dict[str, str] | None = None,
                cancelled: Callable[[], bool] | None = None,
                progress: Callable[[int, int], None] | None = None, encoding: str | None = None,
                dates: str | None = None) -> FileReport:
    """Import one file, all or nothing. With problems and no
    ``skip_invalid``, nothing is written and every problem is reported."""
    with _without_cyclic_gc():
        return _import_file(db, path, fmt, dry_run=dry_run, skip_invalid=skip_invalid, mapping=mapping,
                            cancelled=cancelled, progress=progress, encoding=encoding, dates=dates)


def _import_file(db: Database, path: str | Path, fmt: str, *, dry_run: bool, skip_invalid: bool,
                 mapping: dict[str, str] | None, cancelled: Callable[[], bool] | None,
                 progress: Callable[[int, int], None] | None, encoding: str | None,
                 dates: str | None) -> FileReport:
    path = Path(path)
    if not path.is_file():
        raise ValidationError([("file", f"{path} does not exist or is not a file")])
    fmt = detect(path) if fmt == "auto" else fmt
    parsed = parse(path, fmt, mapping, encoding=encoding, dates=dates)
    with db.transaction() as conn:
        parsed.problems.extend(conflicts(conn, parsed))
        for problem in parsed.problems:
            if problem.field.startswith(("policies.versions[", "policies.segment")):
                parsed.bad_records.add(("policies", problem.record))
            elif problem.field == "mailbox":
                parsed.bad_records.add(("tickets", problem.record))
    report = FileReport(str(path), fmt, errors=sorted(parsed.problems, key=lambda p: (p.record, p.field)),
                        dry_run=dry_run, unit=parsed.unit, source=parsed.source, notes=list(parsed.notes),
                        read_as=list(parsed.read_as))
    if parsed.problems and not skip_invalid:
        log.warning("Import of %s (%s) refused: %d problems, nothing written", path, fmt, len(parsed.problems))
        return report
    valid = parsed.without_bad_records() if parsed.problems else parsed
    report.skipped = len({r for r in parsed.bad_records if r[0] != "document"})
    stop = cancelled or (lambda: False)
    report_progress = progress or (lambda done, total: None)
    done = [0]

    def check_cancel() -> None:
        done[0] += 500
        report_progress(min(done[0], len(valid.tickets)), max(1, len(valid.tickets)))
        if stop():
            raise Cancelled("Import cancelled; nothing from the file was imported.")

    # No full copy before the import: it is one transaction (all or nothing),
    # and copying a large file costs far more than importing a small one
    # (benchmarks/bench_backups.py). The daily backup undoes an unwanted import.
    try:
        with db.transaction() as conn:
            counts = write(conn, db.actor, valid, check_cancel)
            if dry_run:
                raise _DryRun(counts)  # everything checked and counted; the transaction rolls back
            audit.record(conn, db.actor, "database", None, "import",
                         {"file": path.name, "format": fmt, "new": counts["new"], "updated": counts["updated"],
                          "messages": counts["messages"], "skipped": report.skipped})
    except _DryRun as rehearsal:
        counts = rehearsal.counts
    report.imported = counts["messages"] if parsed.unit == "messages" else counts["new"] + counts["updated"]
    report.unchanged = counts["unchanged"]
    report.written = not dry_run
    log.info("Import of %s (%s)%s: %d %s new or changed, %d unchanged, %d messages, %d skipped", path, fmt,
             " rehearsed" if dry_run else "", report.imported, parsed.unit, report.unchanged, counts["messages"],
             report.skipped)
    return report
