"""Where the database file lives decides its journal mode.

WAL needs shared memory between the processes that use the file, so it only
works when they all run on one host: on a local disk. On a network filesystem
(NFS, SMB/CIFS, sshfs, ...) we use the rollback journal, which relies on file
locks only.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from amends import settings_schema as schema
from amends.core.errors import DatabaseProblem

NETWORK_FSTYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "9p",
    "ceph", "glusterfs", "lustre", "gpfs", "davfs", "fuse.sshfs", "sshfs",
    "fuse.glusterfs", "fuse.cephfs", "fuse.rclone", "fuse.s3fs", "fuse.davfs2",
    "fuse.smbnetfs", "beegfs", "ocfs2", "gfs2", "vboxsf", "prl_fs", "vmhgfs",
    "fuse.vmhgfs-fuse",
})


@dataclass(frozen=True)
class Mount:
    point: str
    fstype: str


def parse_mounts(text: str) -> list[Mount]:
    """Parse a Linux mount table (``/proc/mounts`` format). Octal escapes such
    as ``\\040`` for spaces are decoded."""
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            point = parts[1].encode().decode("unicode_escape") if "\\" in parts[1] else parts[1]
            mounts.append(Mount(point, parts[2]))
    return mounts


def mount_for(path: Path, mounts: list[Mount]) -> Mount | None:
    """The mount holding ``path``: the longest mount point that contains it."""
    target = str(path)
    best: Mount | None = None
    for mount in mounts:
        point = mount.point.rstrip("/") or "/"
        inside = target == point or target.startswith(point if point == "/" else point + "/")
        if inside and (best is None or len(point) >= len(best.point.rstrip("/") or "/")):
            best = mount
    return best


def is_network_path(path: Path, mounts_text: str | None = None) -> bool:
    """True when ``path`` is on a network filesystem, as far as we can tell.
    Unknown platforms count as local (WAL), the common case."""
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    real = Path(os.path.realpath(path))
    mount = mount_for(real, parse_mounts(mounts_text))
    return mount is not None and mount.fstype.lower() in NETWORK_FSTYPES


def parse_macos_mount(text: str) -> list[Mount]:
    """Parse macOS ``mount`` output: ``//me@nas/share on /Volumes/share (smbfs, nodev, ...)``."""
    mounts = []
    for line in text.splitlines():
        if " on " not in line or "(" not in line:
            continue
        _device, _, rest = line.partition(" on ")
        point, _, options = rest.rpartition(" (")
        fstype = options.split(",")[0].strip(" )")
        mounts.append(Mount(point, fstype))
    return mounts


MACOS_NETWORK = frozenset({"smbfs", "nfs", "afpfs", "webdav", "cifs", "macfuse", "osxfuse", "sshfs"})


def is_network_path_macos(path: Path, mount_output: str) -> bool:
    mount = mount_for(Path(os.path.realpath(path)), parse_macos_mount(mount_output))
    return mount is not None and mount.fstype.lower() in MACOS_NETWORK


def is_network_path_windows(path: Path) -> bool:
    """UNC paths (\\\\server\\share) and mapped network drives."""
    text = str(path)
    if text.startswith(("\\\\", "//")):
        return True
    if sys.platform != "win32":  # ctypes.windll exists only there (and mypy knows it)
        return False
    try:
        import ctypes

        drive = os.path.splitdrive(os.path.abspath(text))[0] + "\\"
        return ctypes.windll.kernel32.GetDriveTypeW(drive) == 4  # DRIVE_REMOTE
    except (AttributeError, OSError):
        return False


def on_network(path: Path) -> bool:
    """Network filesystem detection for the platform we run on."""
    if sys.platform == "win32":
        return is_network_path_windows(path)
    if sys.platform == "darwin":
        import subprocess  # here: every database opened on Linux or Windows would import it for nothing

        try:
            output = subprocess.run(["mount"], capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return False
        return is_network_path_macos(path, output)
    return is_network_path(path)


SYNC_FOLDERS = {
    "dropbox": "Dropbox", "onedrive": "OneDrive", "google drive": "Google Drive", "googledrive": "Google Drive",
    "my drive": "Google Drive", "icloud drive": "iCloud Drive", "icloud~": "iCloud Drive",
    "mobile documents": "iCloud Drive", "iclouddrive": "iCloud Drive", "syncthing": "Syncthing",
}
SYNC_MARKERS = {".stfolder": "Syncthing", ".dropbox": "Dropbox", ".dropbox.cache": "Dropbox"}


def sync_folder(path: Path) -> str | None:
    """The sync service whose folder holds ``path`` (Dropbox, OneDrive, Google
    Drive, iCloud, Syncthing), or None. Such folders copy files instead of
    locking them: two people writing there can fork the database."""
    real = Path(os.path.realpath(path))
    for part in real.parts[:-1]:
        lowered = part.lower()
        for key, name in SYNC_FOLDERS.items():
            if (lowered == key or lowered.startswith(key + " ") or lowered.startswith(key + "-")
                         or (key.endswith("~") and key in lowered)):
                return name
    for folder in [real.parent, *real.parent.parents]:
        for marker, name in SYNC_MARKERS.items():
            try:
                if (folder / marker).exists():
                    return name
            except OSError:
                continue
    return None


#: Set to ``wal`` or ``delete`` to choose the journal mode instead of
#: guessing it from the filesystem: to try the network-share mode (rollback
#: journal) on a local disk, as the sharing trials do, or to overrule a
#: guess that is wrong for an unusual filesystem. Every process that opens
#: the file must agree.
JOURNAL_MODE_ENV = "AMENDS_JOURNAL_MODE"
FORCEABLE = ("wal", "delete")


def journal_mode_for(path: Path) -> str:
    """WAL on a local disk, the rollback journal (DELETE) on a network
    filesystem, unless ``AMENDS_JOURNAL_MODE`` says which."""
    forced = schema.environment(schema.AMENDS_JOURNAL_MODE).lower()
    if forced:
        if forced not in FORCEABLE:
            raise DatabaseProblem(f"{JOURNAL_MODE_ENV}={forced!r} is not a journal mode Amends uses; "
                                  f"{path} was not opened.", path=str(path),
                                  hint=f"Set it to one of {', '.join(FORCEABLE)}, or unset it.")
        return forced.upper()
    return "DELETE" if on_network(path) else "WAL"


def is_server_url(target: object) -> bool:
    """Whether ``--db`` / AMENDS_DB names a PostgreSQL server rather than a file.

    Here, not in store/postgres.py, so that opening a file never imports the
    server's store and dialect (tests/cli/test_startup_imports.py)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))
