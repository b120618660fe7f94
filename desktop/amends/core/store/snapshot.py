"""Whole-database copies that are either complete or absent, private to the
user, and leave nothing beside them.

Why each piece:

- A copy is written to a *partial* file first and only then published under
  its real name, with a hard link (or an exclusive placeholder where links do
  not exist), so a name is never taken twice: several processes making a
  backup in the same second each get their own file instead of writing into
  one another's.
- The partial's name carries the host and process id that writes it
  (``<name>.<host>.<pid>.<random>.partial``): a later start can tell a killed
  writer's debris (its process is gone) from a copy being written right now
  by someone else, and removes only the former.
- The copy is switched to ``journal_mode = DELETE`` before it is published:
  a copy of a WAL database is otherwise itself in WAL mode, and every reader
  that opens it leaves a ``-wal``/``-shm`` pair beside it.
- Files are created 0600 and folders 0700 (customer data), whatever the
  process umask, so library use is as safe as the app and the CLI.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from amends.core.writers import host_tag, process_alive

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PARTIAL_SUFFIX = ".partial"
#: Debris written from another host is only removed when it is this old:
#: we cannot ask another machine whether its process is still alive.
FOREIGN_DEBRIS_SECONDS = 24 * 3600
_SIDE_FILES = ("-journal", "-wal", "-shm")


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and missing parents) readable by the user only.
    An existing folder keeps its mode: a team may share it on purpose."""
    folder = Path(folder)
    if not folder.is_dir():
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return folder


def make_private(path: Path) -> None:
    """0600 for a file the core just created (and its SQLite side files)."""
    for candidate in (Path(path), *(Path(f"{path}{side}") for side in _SIDE_FILES)):
        try:
            os.chmod(candidate, PRIVATE_FILE)
        except FileNotFoundError:
            continue


def _owner_tag() -> str:
    return f"{host_tag()}.{os.getpid()}."


def private_workdir(parent: Path, purpose: str) -> Path:
    """A 0700 temporary folder beside ``parent``'s files, named so that
    :func:`clean_debris` removes it once its process is gone."""
    return Path(tempfile.mkdtemp(prefix=f".amends-{purpose}.{_owner_tag()}", suffix=PARTIAL_SUFFIX, dir=parent))


def _candidates(dest: Path, unique: bool) -> Iterator[Path]:
    yield dest
    if unique:
        for counter in range(2, 10_000):
            yield dest.with_name(f"{dest.stem}-{counter}{dest.suffix}")


def write_copy(conn: sqlite3.Connection, dest: Path, *, unique: bool = False, replace: bool = False) -> Path:
    """Copy the database behind ``conn`` (SQLite backup API: consistent while
    others write) to ``dest``; return the path written.

    ``unique``: when ``dest`` is taken, use ``<stem>-2<suffix>``, ``-3`` …
    instead of failing with :class:`FileExistsError`. ``replace``: put the
    copy over an existing ``dest`` (atomically; the caller checked it may).
    Raises ``OSError`` or ``sqlite3.Error`` on failure, after removing the
    partial file.
    """
    dest = Path(dest).absolute()
    fd, name = tempfile.mkstemp(prefix=f"{dest.name}.{_owner_tag()}", suffix=PARTIAL_SUFFIX, dir=dest.parent)
    os.close(fd)
    partial = Path(name)
    try:
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            conn.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")  # no -wal/-shm for whoever opens the copy
        finally:
            target.close()
        make_private(partial)
        if replace:
            os.replace(partial, dest)
            return dest
        return _publish(partial, dest, unique)
    finally:
        _remove_with_side_files(partial)


def _publish(partial: Path, dest: Path, unique: bool) -> Path:
    """Give the finished copy its name without ever replacing another file."""
    for candidate in _candidates(dest, unique):
        try:
            os.link(partial, candidate)
            return candidate
        except FileExistsError:
            continue
        except OSError:  # no hard links here (some network or FAT filesystems)
            try:
                fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
            except FileExistsError:
                continue
            os.close(fd)
            os.replace(partial, candidate)
            return candidate
    raise FileExistsError(f"{dest} exists")


def _remove_with_side_files(path: Path) -> None:
    for candidate in (path, *(Path(f"{path}{side}") for side in _SIDE_FILES)):
        candidate.unlink(missing_ok=True)


def _writer_gone(name: str, host: str, pid_text: str, age: float) -> bool:
    if host != host_tag():
        return age > FOREIGN_DEBRIS_SECONDS
    if not pid_text.isdigit():
        return False
    alive = process_alive(int(pid_text))
    if alive is None:  # this platform cannot tell: wait as for another host's
        return age > FOREIGN_DEBRIS_SECONDS
    return not alive


def clean_debris(folder: Path) -> list[Path]:
    """Remove what killed copies left in ``folder`` (partial files, their
    journals, unfinished restore folders) whose writer is gone. Copies being
    written right now by a live process are left alone."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for entry in folder.iterdir():
        base = entry.name
        for side in _SIDE_FILES:
            if base.endswith(PARTIAL_SUFFIX + side):
                base = base[: -len(side)]
        if not base.endswith(PARTIAL_SUFFIX):
            continue
        parts = base[: -len(PARTIAL_SUFFIX)].split(".")
        if len(parts) < 4:
            continue
        host, pid_text = parts[-3], parts[-2]
        try:
            age = now - entry.lstat().st_mtime
        except FileNotFoundError:
            continue
        if not _writer_gone(base, host, pid_text, age):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=False)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed
