"""Opening, creating, refusing and migrating database files."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from amends.core import health, policies
from amends.core.errors import DatabaseProblem, SchemaTooNew
from amends.core.store import Database, location, migrations
from amends.core.store.schema import CURRENT_VERSION, SCRIPTS
from amends.core.vocabulary import CATEGORIES
from amends.core.workspace import open_database

from tests.conftest import ACTOR, make_ticket
from tests.helpers import read_only


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_has_schema_wal_and_default_policies(db):
    assert db.schema_version == CURRENT_VERSION
    assert db.journal_mode == "wal"
    assert db.scalar("PRAGMA foreign_keys") == 1
    assert db.scalar("PRAGMA busy_timeout") > 0
    covered = {p.category for p in policies.list_policies(db) if p.current_number == 1}
    assert covered == set(CATEGORIES), "a new database has a published default policy for every category"
    damaged = next(p for p in policies.list_policies(db) if p.category == "damaged_shipment")
    steps = policies.versions(db, damaged.id)[0].steps
    assert [s.type for s in steps] == ["apology", "replacement", "check_in", "save_offer"]
    assert steps[2].days == 7 and (steps[3].offer_min, steps[3].offer_max) == (0, 15)


def test_plain_table_names_for_other_tools(db):
    names = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in ("customers", "subscriptions", "tickets", "messages", "policies", "policy_versions",
                  "policy_steps", "resolutions", "resolution_steps", "followups", "audit_log"):
        assert table in names
    columns = {r[1] for r in db.query("PRAGMA table_info(tickets)")}
    assert {"id", "subject", "status", "category", "priority", "assignee", "customer_id", "created_at",
            "updated_at", "resolved_at", "billing_cycle", "version"} <= columns


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.db"
    open_database(path, ACTOR).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode = DELETE")
    raw.execute(f"PRAGMA user_version = {CURRENT_VERSION + 5}")
    raw.close()
    before = digest(path)
    with pytest.raises(SchemaTooNew, match="newer Amends"):
        open_database(path, ACTOR)
    assert digest(path) == before
    assert not Path(str(path) + "-wal").exists()


def test_not_a_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 50)
    before = digest(path)
    with pytest.raises(DatabaseProblem, match="not an Amends database"):
        open_database(path, ACTOR)
    assert digest(path) == before


def test_someone_elses_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE recipes (name TEXT)")
    raw.commit()
    raw.close()
    before = digest(path)
    with pytest.raises(DatabaseProblem, match="not an Amends one"):
        open_database(path, ACTOR)
    assert digest(path) == before


def test_missing_folder_and_missing_file(tmp_path):
    with pytest.raises(DatabaseProblem, match="does not exist"):
        open_database(tmp_path / "nowhere" / "a.db", ACTOR)
    with pytest.raises(DatabaseProblem, match="does not exist"):
        open_database(tmp_path / "absent.db", ACTOR, create=False)
    assert not (tmp_path / "absent.db").exists()


def test_migration_backs_up_first_then_moves_forward(db, db_path):
    make_ticket(db)
    following = CURRENT_VERSION + 1
    scripts = {**SCRIPTS, following: "CREATE TABLE later_table (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"}
    start = migrations.migrate(db.conn, db_path, scripts=scripts)
    assert start == CURRENT_VERSION
    assert db.schema_version == following
    backups = list(db_path.parent.glob(f"amends.db.pre-v{following}-*.bak"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
    assert old.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1
    old.close()
    # forward only: running again changes nothing and makes no new backup
    migrations.migrate(db.conn, db_path, scripts=scripts)
    assert len(list(db_path.parent.glob("*.bak"))) == 1


def test_failed_migration_rolls_back(db, db_path):
    scripts = {**SCRIPTS, CURRENT_VERSION + 1: "CREATE TABLE ok_table (x);\nCREATE TABLE tickets (x);"}  # 2nd fails
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(db.conn, db_path, scripts=scripts)
    assert db.schema_version == CURRENT_VERSION
    assert db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'ok_table'") == 0


def _open_in_process(path: str, barrier) -> None:
    barrier.wait()
    open_database(path, "process").close()


def test_two_processes_creating_one_file_at_once(tmp_path):
    """Real processes race to create the same new file: one creates the
    schema, the other waits and finds it; the defaults are seeded once."""
    path = tmp_path / "race.db"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_open_in_process, args=(str(path), barrier)) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    db = open_database(path, ACTOR)
    assert db.scalar("SELECT count(*) FROM policies") == len(policies.DEFAULTS)
    assert health.check(db).ok


def test_published_versions_and_audit_log_cannot_be_rewritten(db):
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        db.conn.execute("UPDATE policy_steps SET offer_max = 99")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        db.conn.execute("DELETE FROM policy_versions")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute("DELETE FROM audit_log")


def test_transaction_rolls_back_on_error(db):
    before = db.scalar("SELECT count(*) FROM tickets")
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO tickets (subject, created_at, updated_at) VALUES ('x', 'a', 'a')")
        raise RuntimeError("boom")
    assert db.scalar("SELECT count(*) FROM tickets") == before


def test_read_only_file_opens_read_only(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "a.db"
    database = open_database(path, ACTOR)
    make_ticket(database)
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.conn.execute("PRAGMA journal_mode = DELETE")
    database.close()
    with read_only(path):
        ro = Database.open(path, ACTOR)
        assert ro.readonly
        assert ro.scalar("SELECT count(*) FROM tickets") == 1
        with pytest.raises(DatabaseProblem, match="read-only"), ro.transaction():
            pass
        ro.close()


MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /mnt/team nfs4 rw,relatime 0 0
//nas/share /media/nas\\040drive cifs rw 0 0
user@host:/srv /home/me/remote fuse.sshfs rw 0 0
tmpfs /tmp tmpfs rw 0 0
"""


@pytest.mark.parametrize("path, network", [
    ("/home/me/amends.db", False),
    ("/mnt/team/amends.db", True),
    ("/mnt/teamwork/amends.db", False),
    ("/media/nas drive/support/amends.db", True),
    ("/home/me/remote/amends.db", True),
    ("/tmp/amends.db", False),
])
def test_network_filesystems_are_detected_from_the_mount_table(path, network):
    assert location.is_network_path(Path(path), MOUNTS) is network


MACOS_MOUNT = """\
/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)
//ana@nas.local/support on /Volumes/support (smbfs, nodev, nosuid, mounted by ana)
nas:/export on /Volumes/nfs share (nfs, asynchronous)
"""


@pytest.mark.parametrize("path, network", [
    ("/Users/ana/amends.db", False),
    ("/Volumes/support/amends.db", True),
    ("/Volumes/nfs share/amends.db", True),
])
def test_macos_mounts(path, network):
    assert location.is_network_path_macos(Path(path), MACOS_MOUNT) is network


def test_windows_unc_paths_are_network():
    assert location.is_network_path_windows(Path("//server/share/amends.db"))


@pytest.mark.parametrize("folder, service", [
    ("Dropbox/shop", "Dropbox"), ("OneDrive - Shop Ltd/support", "OneDrive"), ("Google Drive/My Drive", "Google Drive"),
    ("Library/Mobile Documents/com~apple~CloudDocs", "iCloud Drive"), ("work/local", None),
])
def test_sync_folders_are_recognised(tmp_path, folder, service):
    target = tmp_path / folder / "amends.db"
    assert location.sync_folder(target) == service


def test_syncthing_marker(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / ".stfolder").mkdir()
    assert location.sync_folder(tmp_path / "shared" / "sub" / "amends.db") == "Syncthing"


def test_a_closed_database_is_a_known_problem(db_path):
    db = open_database(db_path, ACTOR)
    db.close()
    with pytest.raises(DatabaseProblem, match="closed"):
        db.scalar("SELECT 1")
    with pytest.raises(DatabaseProblem, match="closed"), db.transaction():
        pass


def test_closing_checkpoints_even_while_another_connection_stays_open(tmp_path):
    """SQLite checkpoints by itself only when the *last* connection closes; a
    connection left open elsewhere in the process (a worker still finishing)
    must not leave the closed one's writes only in ``-wal``."""
    path = tmp_path / "amends.db"
    db = open_database(path, ACTOR)
    lingering = sqlite3.connect(path)
    lingering.execute("SELECT count(*) FROM tickets").fetchall()
    ids = [make_ticket(db, subject=f"Ticket {i}") for i in range(20)]
    db.close()
    alone = tmp_path / "copy" / "amends.db"
    alone.parent.mkdir()
    # the .db file alone, as mailed; copied by another process, since this
    # one still has a connection to it (the POSIX lock trap)
    subprocess.run([sys.executable, "-c", "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])",
                    str(path), str(alone)], check=True)
    lingering.close()
    copy = sqlite3.connect(alone)
    try:
        assert {r[0] for r in copy.execute("SELECT id FROM tickets")} == set(ids)
    finally:
        copy.close()


def test_closing_twice_is_harmless(db_path):
    db = open_database(db_path, ACTOR)
    db.close()
    db.close()


@pytest.mark.parametrize("forced, expected", [("delete", "delete"), ("DELETE", "delete"), ("wal", "wal")])
def test_the_journal_mode_can_be_forced(tmp_path, monkeypatch, forced, expected):
    """The network-share mode (rollback journal) can be tried on a local disk."""
    monkeypatch.setenv(location.JOURNAL_MODE_ENV, forced)
    db = open_database(tmp_path / "amends.db", ACTOR)
    try:
        assert db.journal_mode == expected
        assert db.scalar("PRAGMA journal_mode") == expected
    finally:
        db.close()


def test_a_bad_forced_journal_mode_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv(location.JOURNAL_MODE_ENV, "memory")
    with pytest.raises(DatabaseProblem, match="AMENDS_JOURNAL_MODE='memory'"):
        open_database(tmp_path / "amends.db", ACTOR)
    assert not (tmp_path / "amends.db").exists()


PACKAGE = Path(__file__).resolve().parents[2] / "desktop" / "amends"
#: Modules that open the database; none may touch its files except through SQLite.
STORE_MODULES = ("core/store/connection.py", "core/store/migrations.py", "core/workspace.py", "core/health.py",
                 "app.py")
FILE_APIS = {"open", "read_bytes", "read_text", "write_bytes", "write_text", "copy", "copy2", "copyfile", "mmap"}


def _calls(source: str) -> list[tuple[int, str]]:
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                found.append((node.lineno, func.id))  # open(), copyfile() imported bare
            elif isinstance(func, ast.Attribute) and (func.attr != "open" or (
                    isinstance(func.value, ast.Name) and func.value.id in ("os", "io", "builtins"))):
                found.append((node.lineno, func.attr))  # path.read_bytes(), shutil.copy(), os.open(); not Database.open()
    return found


def test_nothing_outside_sqlite_opens_the_database_files():
    """The POSIX lock trap (see tests/e2e/test_lock_trap.py for the real-process
    proof): the modules that open the database never read or copy files with
    file APIs, and no dialog uses Qt's static file dialogs, which read every
    file they list (the database, its -wal and -shm) to guess its type."""
    offenders = [f"{module}:{line} {name}()" for module in STORE_MODULES
                 for line, name in _calls((PACKAGE / module).read_text(encoding="utf-8")) if name in FILE_APIS]
    assert offenders == []
    static = [f"{path.relative_to(PACKAGE)}:{number}" for path in PACKAGE.rglob("*.py")
              if path.name != "file_dialogs.py" for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
              if "QFileDialog.get" in line]
    assert static == [], "use amends.ui.common.file_dialogs instead of QFileDialog.get…"
