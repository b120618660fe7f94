"""Backups made with SQLite's backup API (consistent even while others use
the file), rolling automatic backups, and restoring with a safety copy.

Automatic backups live beside the database in ``<name>.backups/`` so that a
shared file's backups are shared too; once a day (the first instance to start
makes it), keeping the last ``keep`` of them (setting ``backups.keep``,
default 10). Upgrades keep a ``.pre-vN`` copy beside the file. Imports make
no copy of their own: each is one transaction, all or nothing, and a full
copy of a large file costs far more than the import (see
``benchmarks/bench_backups.py``); the daily backup is what an unwanted import
is undone from. Every copy is complete or absent and readable by the user
only (see ``store/snapshot.py``).
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from amends.core import audit, clock, output_files
from amends.core.errors import AmendsError, Busy, DatabaseProblem, ValidationError
from amends.core.store import Database, migrations, snapshot
from amends.core.store.connection import SQLITE_HEADER

log = logging.getLogger(__name__)

DEFAULT_KEEP = 10
REASONS = ("daily", "import", "manual", "before-restore", "migration", "repair")
AUTOMATIC = ("daily", "import", "migration")
#: settings key bumped by every restore, in the restore's own transaction.
GENERATION_KEY = "restore.generation"


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


def _on_server(db: Database) -> bool:
    return getattr(db.conn, "dialect", "sqlite") != "sqlite"


def _refuse_server(db: Database) -> None:
    """A database on a PostgreSQL server has no file to copy (and its ``path`` is
    its URL): say so, instead of writing a folder named after the URL."""
    if _on_server(db):
        raise DatabaseProblem(f"{db.location} is a server database: the server backs it up (pg_dump or the server's own "
                              "backups); Amends' backups are copies of a database file.", path=db.location,
                              hint="Ask whoever runs the server, or use pg_dump.")


def copy_to(db: Database, dest: Path, *, force: bool = False, unique: bool = False) -> Path:
    """A consistent copy of the live database at ``dest`` (backup API),
    complete or absent, 0600, with no ``-wal``/``-shm`` beside it. Never the
    database itself nor any SQLite file; another existing file only with
    ``force``. With ``unique``, a taken name becomes ``<stem>-2.db`` …"""
    _refuse_server(db)
    if unique:
        dest = Path(dest).expanduser().absolute()  # a free name is chosen below: nothing is replaced
    else:
        dest = output_files.refuse_target(dest, force=force, database=db.path)
        force = force and dest.exists()
    if not dest.parent.is_dir():
        raise ValidationError([("destination", f"the folder {dest.parent} does not exist")])
    return _write(db, dest, unique=unique, replace=force)


def _write(db: Database, dest: Path, *, unique: bool, replace: bool = False) -> Path:
    _clean(dest.parent)
    try:
        return snapshot.write_copy(db.conn, dest, unique=unique, replace=replace)
    except FileExistsError as error:
        raise ValidationError([("destination", f"{dest} exists already; choose a new file name")]) from error
    except (OSError, sqlite3.Error) as error:
        reason = "the disk is full" if "full" in str(error).lower() or getattr(error, "errno", None) == 28 \
            else str(error)
        log.warning("Backup to %s failed: %s", dest, reason)
        raise DatabaseProblem(f"Could not write the backup {dest}: {reason}; nothing was changed.", path=str(dest),
                              hint="Free some space and try again." if "full" in reason else "") from error


def _clean(folder: Path) -> None:
    """Debris of killed copies goes at the next backup or start; failing to
    remove it must not stop the backup itself."""
    try:
        for path in snapshot.clean_debris(folder):
            log.info("removed %s, left by a backup that was interrupted", path)
    except OSError as error:
        log.warning("could not remove what an interrupted backup left in %s: %s", folder, error)


def make(db: Database, reason: str = "manual") -> Path:
    """An automatic-style backup in the backups folder. Several processes
    making one in the same second each get their own file."""
    if reason not in REASONS:
        raise ValidationError([("reason", f"one of {', '.join(REASONS)}")])
    _refuse_server(db)
    folder = snapshot.private_folder(folder_for(db.path))
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    made = _write(db, folder / f"{db.path.stem}-{stamp}-{reason}.db", unique=True)
    log.info("Backup made (%s): %s", reason, made)
    if reason in AUTOMATIC:
        prune(db)
    return made


def clean(db_path: Path) -> None:
    """At start: remove what killed backups, upgrades and restores left
    (partial files, their journals) and fold away ``-wal``/``-shm`` pairs
    that readers of old backups left in the backups folder."""
    db_path = Path(db_path).absolute()
    _clean(db_path.parent)
    folder = folder_for(db_path)
    if not folder.is_dir():
        return
    _clean(folder)
    for side in sorted([*folder.glob("*.db-wal"), *folder.glob("*.db-shm")]):
        backup = side.with_name(side.name[:-4])
        if not side.exists():
            continue  # the pair was folded away with its sibling
        if not backup.exists():
            side.unlink(missing_ok=True)
            continue
        try:
            conn = sqlite3.connect(backup, timeout=0, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = DELETE")  # folds the WAL in, removes both files
            finally:
                conn.close()
        except sqlite3.Error as error:  # in use right now: next time
            log.info("left %s in place (%s)", side, error)


def _scan(db_path: Path) -> list[tuple[Path, str, str, int]]:
    """(path, taken_at, reason, size) for each backup, newest first. A file
    removed meanwhile (another process pruning) is simply not listed."""
    folder = folder_for(Path(db_path).absolute())
    found = []
    for path in sorted(folder.glob("*.db")) if folder.is_dir() else []:
        parts = path.stem.split("-")
        stamp = next((p for p in parts if len(p) == 16 and p[8] == "T"), "")
        reason = next((p for p in parts if p in REASONS or p == "before"), "manual")
        reason = "before-restore" if reason == "before" else reason
        taken = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z" if stamp else ""
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            continue
        found.append((path, taken, reason, size))
    return sorted(found, key=lambda b: (b[1], b[0].name), reverse=True)


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Backups in the folder, newest first, with their ticket counts."""
    return [BackupInfo(path, taken, reason, _ticket_count(path), size) for path, taken, reason, size in _scan(db_path)]


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)


def _ticket_count(path: Path) -> int | None:
    try:
        conn = _read_only(path)
        try:
            return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def rolling(db: Database, *, today: str | None = None) -> Path | None:
    """Once a day: a backup if none was made today; then keep the newest
    ``keep`` automatic backups (manual ones are never pruned). Run at start,
    so it also clears what interrupted copies left behind. Nothing on a server
    (it backs its databases up itself)."""
    if _on_server(db):
        return None
    clean(db.path)
    day = (today or clock.now_iso())[:10].replace("-", "")
    existing = _scan(db.path)
    made = None
    if not any(taken.replace("-", "")[:8] == day for _, taken, reason, _ in existing if reason == "daily"):
        made = make(db, "daily")
    return made


def prune(db: Database) -> list[Path]:
    keep = keep_setting(db)
    automatic = [path for path, _, reason, _ in _scan(db.path) if reason in AUTOMATIC]
    removed = []
    for path in automatic[keep:]:
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def verify(source: Path) -> int:
    """Check a backup before restoring it: an Amends database this app can
    read, whose integrity check passes. Returns its ticket count."""
    source = Path(source).expanduser().absolute()
    if not source.is_file():
        raise DatabaseProblem(f"{source} does not exist.", path=str(source))
    with open(source, "rb") as handle:
        if not handle.read(16).startswith(SQLITE_HEADER):
            raise DatabaseProblem(f"{source}: not an Amends database (not an SQLite file).", path=str(source))
    try:
        conn = _read_only(source)
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


# -- restore ---------------------------------------------------------------

def generation(db: Database) -> int:
    """How many times this file was restored: bumped in the very transaction
    that copies a backup in, so an open window can tell its file was replaced
    under it (see :class:`ReplacementWatch`)."""
    value = db.scalar("SELECT value FROM settings WHERE key = ?", (GENERATION_KEY,))
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def last_restore(db: Database) -> audit.AuditEntry | None:
    """Who restored this file, when and from which backup: what a window
    says when :class:`ReplacementWatch` fires."""
    row = db.one("SELECT id, at, actor, entity, entity_id, action, change FROM audit_log "
                 "WHERE entity = 'database' AND action = 'restore' ORDER BY id DESC LIMIT 1")
    if row is None:
        return None
    return audit.AuditEntry(row["id"], row["at"], row["actor"], row["entity"], row["entity_id"], row["action"],
                            json.loads(row["change"]) if row["change"] else None)


class ReplacementWatch:
    """What an open window polls (every second is fine): ``replaced()`` is
    True once after someone restored a backup into this file, from this
    process or another. It reads ``PRAGMA data_version`` (free) and the
    generation only when that moved. After True, drop everything held from
    the file (pages, versions, undo stack, drafts being edited) and reload."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._data_version = db.data_version()
        self._generation = generation(db)

    def replaced(self) -> bool:
        version = self.db.data_version()
        if version == self._data_version:
            return False
        self._data_version = version
        current = generation(self.db)
        if current == self._generation:
            return False
        self._generation = current
        return True


def restore(target: Path, source: Path, *, force: bool = False, actor: str = "amends",
            wait_seconds: float = 30.0) -> Path | None:
    """Replace the database at ``target`` with the backup ``source``. An
    existing target is only overwritten with ``force``, and a copy of it is
    kept first (returned).

    Why it is built this way: the backup is first staged in a private
    temporary copy (upgraded to this app's schema, given the target's page
    size, with the restore's audit entry and a bumped restore generation),
    then copied into the target page by page through SQLite's backup API in
    *one* write transaction on the target. The safety copy is taken once that
    transaction holds the write lock, so nothing anyone committed before is
    lost, and nothing can be committed in between. Killed at any moment, the
    target is either untouched or fully restored with its audit entry. The
    target is written in place (never renamed over), so other open
    connections see the restored data and the bumped generation.
    """
    source = Path(source).expanduser().absolute()
    target = Path(target).expanduser().absolute()
    verify(source)
    if target.exists():
        if not force:
            raise AmendsError(f"{target} exists; restoring would replace it. Use --force to replace it "
                              "(a copy of it is kept first).")
    elif not target.parent.is_dir():
        raise DatabaseProblem(f"The folder {target.parent} does not exist.", path=str(target))
    clean(target)
    work = snapshot.private_workdir(target.parent, "restore")
    try:
        staged = _stage(source, work / target.name, actor)
        safety = None
        if target.exists():
            safety = _copy_in(target, staged, source, actor, wait_seconds)
        else:
            _create(target, staged, source, actor)
        log.info("Restored %s from %s (copy of what it replaced: %s)", target, source, safety or "none")
        return safety
    finally:
        try:
            shutil.rmtree(work)
        except OSError as error:
            log.warning("could not remove the restore's temporary folder %s: %s", work, error)


def _stage(source: Path, staged: Path, actor: str) -> Path:
    """A private copy of the backup, brought up to this app's schema."""
    from amends.core.workspace import open_database

    try:
        src = _read_only(source)
        try:
            snapshot.write_copy(src, staged)
        finally:
            src.close()
    except (OSError, sqlite3.Error) as error:
        raise DatabaseProblem(f"Could not read the backup {source} ({error}); nothing was restored.",
                              path=str(source)) from error
    open_database(staged, actor, create=False).close()  # upgrades an older backup
    return staged


def _note_restore(conn: sqlite3.Connection, actor: str, source: Path, safety: Path | None, previous: int) -> None:
    """The restore's own traces, written into the staged copy so that they
    arrive in the target in the same transaction as the data."""
    staged_generation = conn.execute("SELECT value FROM settings WHERE key = ?", (GENERATION_KEY,)).fetchone()
    try:
        before = int(staged_generation[0]) if staged_generation and staged_generation[0] is not None else 0
    except ValueError:
        before = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                     "value = excluded.value, version = version + 1", (GENERATION_KEY, str(max(before, previous) + 1)))
        audit.record(conn, actor, "database", None, "restore",
                     {"from": str(source), "safety_copy": str(safety) if safety else None})
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _copy_in(target: Path, staged: Path, source: Path, actor: str, wait_seconds: float) -> Path:
    from amends.core.workspace import open_database

    # Opened before any other connection to the target in this process (the
    # open reads the file's header), and upgraded if it is older.
    current = open_database(target, actor, create=False)
    try:
        staging = sqlite3.connect(staged, isolation_level=None)
        try:
            staging.execute("PRAGMA journal_mode = DELETE")  # a WAL file cannot change its page size
            page_size = current.scalar("PRAGMA page_size")
            if staging.execute("PRAGMA page_size").fetchone()[0] != page_size:
                # A WAL file cannot take pages of another size: re-page the copy.
                staging.execute(f"PRAGMA page_size = {int(page_size)}")
                staging.execute("VACUUM")
            return _backup_into(current, staging, target, source, actor, wait_seconds)
        finally:
            staging.close()
    finally:
        current.close()


def _backup_into(current: Database, staging: sqlite3.Connection, target: Path, source: Path, actor: str,
                 wait_seconds: float) -> Path:
    dest = sqlite3.connect(target, isolation_level=None, timeout=0.2)
    safety: list[Path] = []
    moved = [time.monotonic()]  # when the copy last made progress

    def step(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):  # another writer (or reader) is in the way
            if time.monotonic() - moved[0] > wait_seconds:
                raise Busy(f"{target}: another user kept the database busy; nothing was restored.",
                           path=str(target), hint="Try again in a moment.")
            return
        moved[0] = time.monotonic()
        if safety or status != sqlite3.SQLITE_OK:  # done (committed) or already under way
            return
        # The first step succeeded: this transaction now holds the target's
        # write lock until it commits. What the safety copy reads is
        # everything committed before the restore, and nothing can follow.
        safety.append(make(current, "before-restore"))
        _note_restore(staging, actor, source, safety[0], generation(current))

    try:
        # Steps of about 1 MB, but the first must not be the last: the safety
        # copy is taken between the first step and the commit.
        total = staging.execute("PRAGMA page_count").fetchone()[0]
        pages = max(1, min((1 << 20) // int(current.scalar("PRAGMA page_size")), (total - 1) // 2))
        staging.backup(dest, pages=pages, progress=step, sleep=0.05)
    except sqlite3.Error as error:
        raise DatabaseProblem(f"Restoring into {target} failed ({error}); it was not changed.",
                              path=str(target)) from error
    finally:
        dest.close()
    if not safety:  # a bug: the first step was the last (every Amends file has dozens of pages)
        raise DatabaseProblem(f"Restoring into {target} finished without a safety copy.", path=str(target))
    return safety[0]


def _create(target: Path, staged: Path, source: Path, actor: str) -> None:
    """No database there yet: publish the staged copy under the name."""
    staging = sqlite3.connect(staged, isolation_level=None)
    try:
        staging.execute("PRAGMA journal_mode = DELETE")
        _note_restore(staging, actor, source, None, 0)
        snapshot.write_copy(staging, target)
    except FileExistsError as error:
        raise AmendsError(f"{target} was created meanwhile; nothing was restored. Use --force to replace it.") \
            from error
    except (OSError, sqlite3.Error) as error:
        raise DatabaseProblem(f"Restoring into {target} failed ({error}); nothing was written.",
                              path=str(target)) from error
    finally:
        staging.close()
