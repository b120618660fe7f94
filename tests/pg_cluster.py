"""A throwaway PostgreSQL cluster for the tests (issue 19).

CI runs as root and ``initdb`` refuses root, so the cluster belongs to an
unprivileged user (``amends-pg``, made with ``useradd`` when missing); its
data folder and unix socket live in a temporary folder, it listens on a free
local port, and it is stopped and deleted when the session ends. When the
PostgreSQL binaries are missing, root tries ``apt-get install -y postgresql``
(as tests/mail/conftest.py does for dovecot); only if that fails too are the
PostgreSQL tests skipped, with a message saying so.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER = "amends-pg"


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def find_or_install() -> tuple[Path | None, str]:
    """The folder holding initdb/pg_ctl, or None and why not."""
    bindir = _bindir()
    if bindir is not None:
        return bindir, ""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None, "PostgreSQL is not installed (no initdb) and cannot be installed here (not root or no apt-get)"
    from tests.helpers import one_installer

    with one_installer():  # another xdist worker may be installing it right now
        if _bindir() is not None:
            return _bindir(), ""
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        result = subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], capture_output=True, text=True,
                                env=env, timeout=600, check=False)
        if result.returncode != 0:  # a fresh machine's package lists may be missing or stale
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env, timeout=600, check=False)
            result = subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], capture_output=True, text=True,
                                    env=env, timeout=600, check=False)
    bindir = _bindir()
    if bindir is None:
        return None, f"PostgreSQL could not be installed: apt-get said {result.stderr.strip()[-300:]!r}"
    return bindir, ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if subprocess.run(["id", "-u", USER], capture_output=True, check=False).returncode != 0:
        from tests.helpers import one_installer

        with one_installer():
            if subprocess.run(["id", "-u", USER], capture_output=True, check=False).returncode != 0:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                               check=True, capture_output=True)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", USER, "--", *argv]
    return ["su", USER, "-s", "/bin/sh", "-c", " ".join(argv)]


@dataclass
class Cluster:
    """One running server; ``url`` reaches its superuser over TCP."""

    bindir: Path
    root: Path
    port: int
    user: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        subprocess.run(_as_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                       capture_output=True, check=False, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start(bindir: Path) -> Cluster:
    """initdb + pg_ctl start in a new temporary folder; fsync off (a test server)."""
    root = Path(tempfile.mkdtemp(prefix="amends-pg-"))
    os.chmod(root, 0o777)
    user = USER if os.geteuid() == 0 else (os.environ.get("USER") or "postgres")
    data = root / "data"
    subprocess.run(_as_user([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user,
                             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                   check=True, capture_output=True, timeout=120)
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " \
              f"-c full_page_writes=off -c max_connections=200"
    subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
                             "-o", options, "start"]), check=True, capture_output=True, timeout=120)
    cluster = Cluster(bindir=bindir, root=root, port=port, user=user)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                          capture_output=True, check=False).returncode == 0:
            return cluster
        time.sleep(0.1)
    cluster.stop()
    raise RuntimeError("the test PostgreSQL did not start")
