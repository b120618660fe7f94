"""Writing output files (exports, reports, backups) without destroying data.

Two rules, for every command and dialog that writes a file a person named:

* :func:`refuse_target` says no before anything is written: to a folder, to
  an existing file unless ``force`` (the CLI's ``--force``, the app's
  overwrite question), and — even with ``force`` — to the open database, its
  ``-wal``/``-shm``/``-journal`` companions, or any SQLite file or companion.
  The open database is recognised by name and inode *without* opening it:
  closing any descriptor of it in this process would drop SQLite's POSIX
  locks (docs/architecture.md, "the POSIX lock trap"). Other files are
  recognised by their first 16 bytes.
* :func:`atomic_output` writes into a temporary file in the target's folder,
  fsyncs it, renames it over the target and fsyncs the folder. A write that
  fails (disk full) or is killed leaves the previous file as it was. On Linux
  the temporary file is anonymous (``O_TMPFILE``) so even ``kill -9`` leaves
  no debris; elsewhere it is a ``tempfile.mkstemp`` file named after the
  target, this host and this process, and the next write to that folder
  removes the ones whose process is gone.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from amends.core.errors import AmendsError
from amends.core.writers import host_tag, process_alive

COMPANIONS = ("-wal", "-shm", "-journal")
SQLITE_HEADER = b"SQLite format 3\x00"
#: First bytes of a WAL file (either byte order) and of a rollback journal.
COMPANION_MAGIC = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83", b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7")
TEMP_SUFFIX = ".amends-partial"
#: Use anonymous temporary files where the system has them (tests turn this
#: off to exercise the named fallback that other systems use).
ANONYMOUS_TEMP = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")
_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class OutputProblem(AmendsError):
    """An output file that cannot or must not be written; nothing was."""

    def __init__(self, message: str, *, path: Path) -> None:
        self.path = path
        super().__init__(message)


PathLike = str | os.PathLike


def refuse_target(path: PathLike, *, force: bool = False, database: PathLike | None = None) -> Path:
    """Return ``path`` as an absolute path if it may be written, or raise
    :class:`OutputProblem` saying why not. ``database`` is the file open in
    this process (never opened here, only compared by name and inode)."""
    target = Path(os.path.abspath(Path(path).expanduser()))
    if os.path.isdir(target):
        raise OutputProblem(f"{target} is a folder; give a file name to write.", path=target)
    if not target.parent.is_dir():
        raise OutputProblem(f"The folder {target.parent} does not exist; nothing was written.", path=target)
    if _is_stream(target):
        return target  # /dev/stdout, a pipe, /dev/null: written as it comes, there is no file to replace
    if os.path.islink(target):
        target = Path(os.path.realpath(target))  # replace the file the link points at, keep the link
    db = None if database is None else Path(os.path.abspath(Path(database).expanduser()))
    if db is not None:
        for protected in [db, *(db.with_name(db.name + suffix) for suffix in COMPANIONS)]:
            if _same_file(target, protected):
                what = ("the open database" if protected == db
                        else f"the open database's {protected.name[len(db.name):]} file")
                raise OutputProblem(f"{target} is {what}; writing there would destroy it. "
                                    "Choose another file name.", path=target)
    for suffix in COMPANIONS:
        base = target.with_name(target.name[:-len(suffix)]) if target.name.endswith(suffix) else None
        if base is None or not base.is_file():
            continue
        # The base may be the open database under another name: compare before reading it.
        if db is not None and _same_file(base, db):
            raise OutputProblem(f"{target} would be a {suffix} file of the open database; writing there would "
                                "damage it. Choose another file name.", path=target)
        if _looks_like_sqlite(base):
            raise OutputProblem(f"{target} belongs to the SQLite database {base.name}; writing there would "
                                "damage it. Choose another file name.", path=target)
    if os.path.lexists(target):
        if not target.is_file():
            raise OutputProblem(f"{target} is not a regular file; nothing was written.", path=target)
        if _looks_like_sqlite(target):
            raise OutputProblem(f"{target} exists already and is an SQLite database; it is never overwritten, "
                                "not even with --force. Choose another file name.", path=target)
        if not force:
            raise OutputProblem(f"{target} exists already; nothing was written. Choose another name, or "
                                "use --force to replace it.", path=target)
    return target


def _is_stream(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:  # does not exist (or a dangling link): not a stream
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links, bind mounts, case-insensitive disks
    except OSError:  # one of them does not exist: then they are not the same file
        return False


def _looks_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as error:
        raise OutputProblem(f"Cannot read {path} to check what it is ({error.strerror}); nothing was written.",
                            path=path) from error
    return head.startswith(SQLITE_HEADER) or head.startswith(COMPANION_MAGIC)


@contextmanager
def atomic_output(path: PathLike, *, force: bool = False, database: PathLike | None = None,
                  binary: bool = False, encoding: str = "utf-8", newline: str | None = None) -> Iterator[IO]:
    """A file object whose content replaces ``path`` only when the block
    ends without an error; otherwise ``path`` is left untouched and nothing
    is left behind. Refuses targets as :func:`refuse_target` does."""
    target = refuse_target(path, force=force, database=database)
    if _is_stream(target):
        try:
            with open(target, "wb" if binary else "w", encoding=None if binary else encoding,
                      newline=None if binary else newline) as stream:
                yield stream
        except OSError as error:
            raise _problem(error, target) from error
        return
    sweep_stale(target)
    mode = _mode_for(target)
    try:
        fd, named = _open_temp(target, mode)
    except OSError as error:
        raise _problem(error, target) from error
    handle = None
    try:
        try:
            handle = open(fd, "wb" if binary else "w", encoding=None if binary else encoding,  # noqa: SIM115
                          newline=None if binary else newline)  # (yielded, then closed below before the rename)
        except BaseException:
            os.close(fd)
            raise
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        # Again, just before replacing: the file may have appeared meanwhile.
        existed = os.path.lexists(refuse_target(target, force=force, database=database))
        if named is None:
            named = _name_anonymous(fd, target, create_only=not existed)
        handle.close()
        handle = None
        if named != target:
            _put_in_place(named, target, create_only=not existed)
        named = None
        _fsync_folder(target.parent)
    except OSError as error:
        raise _problem(error, target) from error
    finally:
        if handle is not None:
            with suppress(OSError):  # already failing: the first error is the one to report
                handle.close()
        if named is not None and named != target:
            with suppress(FileNotFoundError):
                os.unlink(named)


def write_bytes(path: PathLike, data: bytes, *, force: bool = False, database: PathLike | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_output`)."""
    target = refuse_target(path, force=force, database=database)
    with atomic_output(target, force=force, database=database, binary=True) as handle:
        handle.write(data)
    return target


def _problem(error: OSError, target: Path) -> OutputProblem:
    if error.errno in _NO_SPACE:
        return OutputProblem(f"Not enough space on the disk holding {target.parent}; nothing was written "
                             f"to {target}.", path=target)
    if error.errno == errno.EFBIG:
        return OutputProblem(f"{target} would be larger than this system allows; nothing was written.", path=target)
    if isinstance(error, PermissionError) or error.errno == errno.EROFS:
        return OutputProblem(f"Permission denied writing in {target.parent}; nothing was written.", path=target)
    return OutputProblem(f"Could not write {target} ({error.strerror or error}); nothing was written.",
                         path=target)


def _mode_for(target: Path) -> int:
    """Keep a replaced file's permissions; a new file gets the usual ones."""
    try:
        return os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):  # no /proc (macOS, Windows): ask the only other way there is
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp_prefix(target: Path) -> str:
    return f".{target.name}.{host_tag()}.{os.getpid()}."


def _open_temp(target: Path, mode: int) -> tuple[int, Path | None]:
    """A descriptor to write to, and the temporary name (None: anonymous)."""
    if ANONYMOUS_TEMP:
        try:
            fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY, mode)
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                raise
        else:
            try:
                os.fchmod(fd, mode)  # exactly the replaced file's mode, whatever the umask
            except BaseException:
                os.close(fd)
                raise
            return fd, None
    fd, name = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    return fd, Path(name)


def _name_anonymous(fd: int, target: Path, *, create_only: bool) -> Path:
    """Give the anonymous file a name: the target itself when it must not
    exist (atomically: linking fails if someone created it meanwhile),
    otherwise a temporary name to rename over the target."""
    source = f"/proc/self/fd/{fd}"
    if create_only:
        try:
            _link_following(source, target)
        except FileExistsError:
            raise OutputProblem(f"{target} appeared while it was being written; nothing was written to it.",
                                path=target) from None
        return target
    while True:
        name = target.with_name(f"{_temp_prefix(target)}{os.urandom(6).hex()}{TEMP_SUFFIX}")
        try:
            _link_following(source, name)
            return name
        except FileExistsError:
            continue


def _link_following(source: str, dest: Path) -> None:
    """linkat(..., AT_SYMLINK_FOLLOW), which names an O_TMPFILE file through
    /proc. os.link only calls linkat (and honours follow_symlinks) when a
    dir_fd is given; plain link() would link the /proc symlink itself."""
    folder = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(source, dest.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def _put_in_place(named: Path, target: Path, *, create_only: bool) -> None:
    """Rename the finished file onto the target. A target that must not
    exist is linked (which fails if it appeared meanwhile) where the
    filesystem has hard links."""
    if create_only:
        try:
            os.link(named, target)
        except FileExistsError:
            raise OutputProblem(f"{target} appeared while it was being written; nothing was written to it.",
                                path=target) from None
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
                raise
        else:
            os.unlink(named)
            return
    os.replace(named, target)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no folder fsync)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):  # some filesystems cannot, and need not
            raise
    finally:
        os.close(fd)


def sweep_stale(target: Path) -> list[Path]:
    """Remove temporary files of earlier writes to ``target`` whose process
    on this host is gone (killed mid-write where files cannot be anonymous)."""
    removed: list[Path] = []
    prefix = f".{target.name}.{host_tag()}."
    try:
        names = os.listdir(target.parent)
    except OSError:  # the write itself will report the folder's problem
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid_text = name[len(prefix):-len(TEMP_SUFFIX)].split(".", 1)[0]
        if pid_text.isdigit() and process_alive(int(pid_text)) is False:
            with suppress(FileNotFoundError):  # another process swept it first
                os.unlink(target.parent / name)
                removed.append(target.parent / name)
    return removed


