"""Backups made with SQLite's backup API (consistent even while others use
the file), rolling automatic backups, and restoring with a safety copy.

Automatic backups live beside the database in ``<name>.backups/`` so that a
shared file's backups are shared too; once a day (the first instance to start
makes it), before every migration and every import, keeping the last
``keep`` of them (setting ``backups.keep``, default 10).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from amends.core import audit, clock, output_files
from amends.core.errors import AmendsError, DatabaseProblem, ValidationError
from amends.core.store import Database, migrations
from amends.core.store.connection import SQLITE_HEADER

log = logging.getLogger(__name__)

DEFAULT_KEEP = 10
REASONS = ("daily", "import", "manual", "before-restore", "migration")
AUTOMATIC = ("daily", "import", "migration")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: str
    reason: str
    tickets: int | None
    size: int


def folder_for(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".backups")


def keep_setting(db: Database) -> int:
    value = db.scalar("SELECT value FROM settings WHERE key = 'backups.keep'")
    try:
        return max(1, int(value)) if value is not None else DEFAULT_KEEP
    except ValueError:
        return DEFAULT_KEEP


def set_keep(db: Database, keep: int) -> None:
    if not 1 <= keep <= 1000:
        raise ValidationError([("keep", "between 1 and 1000 backups")])
    with db.transaction() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('backups.keep', ?) ON CONFLICT(key) DO UPDATE SET "
                     "value = excluded.value, version = version + 1", (str(keep),))
        audit.record(conn, db.actor, "settings", None, "update", {"after": {"backups.keep": keep}})


def copy_to(db: Database, dest: Path, *, force: bool = False) -> Path:
    """A consistent copy of the live database at ``dest`` (backup API)."""
    output_files.refuse_target(dest, force=force, database=db.path)  # never the db itself, nor any SQLite file
    if not dest.parent.is_dir():
        raise ValidationError([("destination", f"the folder {dest.parent} does not exist")])
    partial = dest.with_name(dest.name + ".partial")
    try:
        target = sqlite3.connect(partial)
        try:
            db.conn.backup(target)
        finally:
            target.close()
        partial.replace(dest)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        reason = "the disk is full" if "full" in str(error).lower() or getattr(error, "errno", None) == 28 \
            else str(error)
        log.warning("Backup to %s failed: %s", dest, reason)
        raise DatabaseProblem(f"Could not write the backup {dest}: {reason}; nothing was changed.", path=str(dest),
                              hint="Free some space and try again." if "full" in reason else "") from error
    return dest


def make(db: Database, reason: str = "manual") -> Path:
    """An automatic-style backup in the backups folder."""
    if reason not in REASONS:
        raise ValidationError([("reason", f"one of {', '.join(REASONS)}")])
    folder = folder_for(db.path)
    folder.mkdir(exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{db.path.stem}-{stamp}-{reason}.db"
    counter = 1
    while path.exists():
        counter += 1
        path = folder / f"{db.path.stem}-{stamp}-{reason}-{counter}.db"
    made = copy_to(db, path)
    log.info("Backup made (%s): %s", reason, made)
    if reason in AUTOMATIC:
        prune(db)
    return made


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Backups in the folder, newest first, with their ticket counts."""
    folder = folder_for(db_path)
    found = []
    for path in sorted(folder.glob("*.db")) if folder.is_dir() else []:
        parts = path.stem.split("-")
        stamp = next((p for p in parts if len(p) == 16 and p[8] == "T"), "")
        reason = next((p for p in parts if p in REASONS or p == "before"), "manual")
        reason = "before-restore" if reason == "before" else reason
        taken = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z" if stamp else ""
        found.append(BackupInfo(path, taken, reason, _ticket_count(path), path.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def _ticket_count(path: Path) -> int | None:
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def rolling(db: Database, *, today: str | None = None) -> Path | None:
    """Once a day: a backup if none was made today; then keep the newest
    ``keep`` automatic backups (manual ones are never pruned)."""
    day = (today or clock.now_iso())[:10].replace("-", "")
    existing = list_backups(db.path)
    made = None
    if not any(b.taken_at.replace("-", "")[:8] == day for b in existing if b.reason == "daily"):
        made = make(db, "daily")
    return made


def prune(db: Database) -> list[Path]:
    keep = keep_setting(db)
    automatic = [b for b in list_backups(db.path) if b.reason in AUTOMATIC]
    removed = []
    for backup in automatic[keep:]:
        backup.path.unlink(missing_ok=True)
        removed.append(backup.path)
    return removed


def verify(source: Path) -> int:
    """Check a backup before restoring it: an Amends database this app can
    read, whose integrity check passes. Returns its ticket count."""
    if not source.is_file():
        raise DatabaseProblem(f"{source} does not exist.", path=str(source))
    with open(source, "rb") as handle:
        if not handle.read(16).startswith(SQLITE_HEADER):
            raise DatabaseProblem(f"{source}: not an Amends database (not an SQLite file).", path=str(source))
    try:
        conn = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            migrations.refuse_if_too_new(version, str(source))
            if version == 0:
                raise DatabaseProblem(f"{source} is not an Amends database.", path=str(source))
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                raise DatabaseProblem(f"{source} is damaged ({result[0]}); it was not restored.", path=str(source))
            return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise DatabaseProblem(f"{source} cannot be read as a database ({error}); it was not restored.",
                              path=str(source)) from error


def restore(target: Path, source: Path, *, force: bool = False, actor: str = "amends") -> Path | None:
    """Replace the database at ``target`` with the backup ``source``. An
    existing target is only overwritten with ``force``, and a copy of it is
    kept first (returned)."""
    verify(source)
    target = target.expanduser().absolute()
    safety = None
    if target.exists():
        if not force:
            raise AmendsError(f"{target} exists; restoring would replace it. Use --force to replace it "
                              "(a copy of it is kept first).")
        from amends.core.workspace import open_database

        current = open_database(target, actor, create=False)
        try:
            safety = make(current, "before-restore")
        finally:
            current.close()
    elif not target.parent.is_dir():
        raise DatabaseProblem(f"The folder {target.parent} does not exist.", path=str(target))
    src = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # page by page, under the target's write lock
    except sqlite3.Error as error:
        raise DatabaseProblem(f"Restoring into {target} failed ({error}).", path=str(target)) from error
    finally:
        src.close()
        dst.close()
    from amends.core.workspace import open_database

    restored = open_database(target, actor, create=False)
    try:
        with restored.transaction() as conn:
            audit.record(conn, actor, "database", None, "restore",
                         {"from": str(source), "safety_copy": str(safety) if safety else None})
    finally:
        restored.close()
    log.info("Restored %s from %s (copy of what it replaced: %s)", target, source, safety or "none")
    return safety
