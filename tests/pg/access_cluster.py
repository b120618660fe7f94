"""A PostgreSQL cluster of one test module's own (issue 19 point 6), for what
the shared session server cannot do: passwords (scram for every role but the
superuser), TLS (``ssl=on`` with a certificate made here by openssl), and
being stopped and started again under a running app.

Built on tests/pg_cluster.py (the unprivileged ``amends-pg`` user, a free
port, the data folder in a temporary folder)."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import pg_cluster


@dataclass
class OwnCluster(pg_cluster.Cluster):
    """A cluster whose options are kept, so that it can be stopped and started again."""

    options: str = ""
    certs: dict[str, Path] = field(default_factory=dict)

    def pg_ctl(self, *words: str) -> subprocess.CompletedProcess:
        return subprocess.run(pg_cluster._as_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), *words]),
                              capture_output=True, text=True, check=False, timeout=120)

    def stop_fast(self) -> None:
        """``pg_ctl stop -m fast``: the server ends every session, as a restart or a crash does."""
        done = self.pg_ctl("-m", "fast", "-w", "stop")
        assert done.returncode == 0, done.stderr

    def start_again(self) -> None:
        done = self.pg_ctl("-l", str(self.root / "log"), "-w", "-o", self.options, "start")
        assert done.returncode == 0, done.stderr
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if subprocess.run([str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                              capture_output=True, check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("the test PostgreSQL did not start")

    def admin(self, sql: str) -> None:
        """Run SQL as the superuser (the DBA's part: roles, grants)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def server_url(self, user: str, dbname: str = "postgres", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}" + (f"?{query}" if query else "")


def _openssl(*words: str, cwd: Path) -> None:
    subprocess.run(["openssl", *words], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA, the server's certificate for 127.0.0.1 signed by it, and an
    unrelated CA (the "wrong CA" a client may be given)."""
    for name in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN=Amends test {name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=folder)
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
             "-out", "server.csr", cwd=folder)
    (folder / "san.ext").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.ext", "-out", "server.crt", cwd=folder)
    return {name: folder / f"{name}.crt" for name in ("ca", "other-ca", "server")} | {"key": folder / "server.key"}


def start_own(bindir: Path, *, ssl: bool = False) -> OwnCluster:
    """initdb + start: trust for the superuser, scram-sha-256 passwords for everyone else."""
    root = Path(tempfile.mkdtemp(prefix="amends-pg-own-"))
    os.chmod(root, 0o777)
    user = pg_cluster.USER if os.geteuid() == 0 else (os.environ.get("USER") or "postgres")
    data = root / "data"
    subprocess.run(pg_cluster._as_user([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user,
                                        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                   check=True, capture_output=True, timeout=120)
    hba = (f"local all all trust\nhost all {user} 127.0.0.1/32 trust\n"
           "host all all 127.0.0.1/32 scram-sha-256\n")
    hba_file = root / "pg_hba.conf"
    hba_file.write_text(hba)
    port = pg_cluster._free_port()
    options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               f"-c hba_file={hba_file} -c password_encryption=scram-sha-256")
    certs: dict[str, Path] = {}
    if ssl:
        folder = root / "certs"
        folder.mkdir()
        certs = make_certificates(folder)
        for made in certs.values():  # readable by the server's user whatever umask this process has
            os.chmod(made, 0o644)  # (Amends makes its own files private: a umask of 077 may be in force)
        if os.geteuid() == 0:  # the server refuses a key another user owns
            shutil.chown(certs["key"], pg_cluster.USER)
            os.chmod(folder, 0o755)
        os.chmod(certs["key"], 0o600)
        options += f" -c ssl=on -c ssl_cert_file={certs['server']} -c ssl_key_file={certs['key']}"
    for path in (hba_file,):
        os.chmod(path, 0o644)
    cluster = OwnCluster(bindir=bindir, root=root, port=port, user=user, options=options, certs=certs)
    cluster.start_again()
    return cluster


_shared: OwnCluster | None = None


def shared(bindir: Path) -> OwnCluster:
    """One ssl=on, password cluster for every test module of the session that
    needs one (tests/pg/test_pg_access.py, tests/ui/shell/test_connect_server.py):
    started once (initdb is most of the cost), stopped and deleted at exit.
    Each module makes its own database on it."""
    global _shared
    if _shared is None:
        _shared = start_own(bindir, ssl=True)
        atexit.register(_shared.stop)
    return _shared

