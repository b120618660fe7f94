"""Where the database file lives decides its journal mode.

WAL needs shared memory between the processes that use the file, so it only
works when they all run on one host: on a local disk. On a network filesystem
(NFS, SMB/CIFS, sshfs, ...) we use the rollback journal, which relies on file
locks only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


def journal_mode_for(path: Path) -> str:
    return "DELETE" if is_network_path(path) else "WAL"
