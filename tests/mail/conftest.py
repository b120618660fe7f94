"""A real IMAP server for the mail tests: Debian's Dovecot, installed by the
test itself when missing (as root, like CI), started on a free loopback port
with its own configuration, and stopped afterwards. Two users (two
mailboxes: support and billing), any folders, and ``doveadm`` to change
what the server reports (UIDVALIDITY)."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from amends.core.mail import oauth

from tests.helpers import one_installer
from tests.mail.oauth_idp import IdentityProvider, XOAuth2Only, client_for, serve

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{base}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
{extra}
"""
USERS = {"support": "imap-secret", "billing": "billing-secret"}


def _dovecot() -> tuple[str | None, str]:
    """Dovecot's binary (installed with apt-get where it is missing and we
    are root), or None and why not, in words a skip can say."""
    found = shutil.which("dovecot") or (Path("/usr/sbin/dovecot").exists() and "/usr/sbin/dovecot")
    if found:
        return found, ""
    if os.geteuid() != 0:
        return None, "Dovecot is not installed and cannot be installed here (not root)"
    if not shutil.which("apt-get"):
        return None, "Dovecot is not installed and cannot be installed here (no apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = subprocess.CompletedProcess([], 0, "", "")
    with one_installer():  # another xdist worker may be installing it right now
        if not (shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists()):
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
            install = subprocess.run(["apt-get", "install", "-y", "-qq", "dovecot-imapd"], capture_output=True,
                                     text=True, env=env)
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if found:
        return found, ""
    said = (install.stderr or install.stdout or "").strip().splitlines()
    return None, f"Dovecot is not installed and apt-get install dovecot-imapd failed: {said[-1] if said else '?'}"


class ImapServer:
    def __init__(self, port: int, user: str, password: str, base: Path | None = None) -> None:
        self.port, self.user, self.password, self.base = port, user, password, base
        self.users = dict(USERS)

    def client(self, user: str | None = None) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(user or self.user, self.users[user or self.user])
        return client

    def append(self, raw: bytes, when: datetime | None = None, *, folder: str = "INBOX",
               user: str | None = None) -> None:
        """Put a message in a folder; ``when`` sets its arrival time (INTERNALDATE)."""
        client = self.client(user)
        status, data = client.append(folder, None, imaplib.Time2Internaldate(when) if when else None,
                                     raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        assert status == "OK", data
        client.logout()

    def append_many(self, messages: list[bytes], *, folder: str = "INBOX", user: str | None = None) -> None:
        """Many messages over one connection (the benchmark's 5,000)."""
        client = self.client(user)
        for raw in messages:
            status, data = client.append(folder, None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            assert status == "OK", data
        client.logout()

    def fill_inbox(self, messages: list[bytes], user: str | None = None) -> None:
        """Many messages at once, written into the user's Maildir as a mail
        server's delivery does (an IMAP APPEND each waits for a disk sync)."""
        client = self.client(user)
        client.select("INBOX")  # the Maildir exists once the folder was opened
        client.logout()
        new = self.base / "mail" / (user or self.user) / "new"
        owner = pwd.getpwnam("dovecot")
        stamp = int(time.time())
        for n, raw in enumerate(messages):
            target = new / f"{stamp}.M{n}P{os.getpid()}.amends-bench"
            target.write_bytes(raw.replace(b"\r\n", b"\n"))
            os.chown(target, owner.pw_uid, owner.pw_gid)

    def create(self, folder: str, user: str | None = None) -> None:
        client = self.client(user)
        assert client.create(folder)[0] == "OK"
        client.logout()

    def delete(self, folder: str, user: str | None = None) -> None:
        client = self.client(user)
        assert client.delete(folder)[0] == "OK"
        client.logout()

    def uidvalidity(self, folder: str = "INBOX", user: str | None = None) -> int:
        client = self.client(user)
        _status, data = client.status(folder, "(UIDVALIDITY)")
        client.logout()
        return int(data[0].split(b"UIDVALIDITY ")[1].split(b")")[0])

    def doveadm(self, *args: str) -> None:
        """Run doveadm against this server (e.g. to give a folder a new UIDVALIDITY)."""
        binary = shutil.which("doveadm") or "/usr/bin/doveadm"
        done = subprocess.run([binary, "-c", str(self.base / "dovecot.conf"), *args], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr


def start_dovecot(extra: str = ""):
    binary, why = _dovecot()
    if binary is None:
        pytest.skip(why)
    try:
        owner = pwd.getpwnam("dovecot")
    except KeyError:
        pytest.skip("the dovecot user is missing")
    base = Path(tempfile.mkdtemp(prefix="amends-imap-"))
    base.chmod(0o755)
    for folder in ("run", "state", "mail"):
        (base / folder).mkdir()
    os.chown(base / "mail", owner.pw_uid, owner.pw_gid)
    (base / "users").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in USERS.items()))
    (base / "users").chmod(0o644)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (base / "dovecot.conf").write_text(CONFIG.format(base=base, uid=owner.pw_uid, gid=owner.pw_gid, port=port,
                                                     extra=extra))
    proc = subprocess.Popen([binary, "-c", str(base / "dovecot.conf"), "-F"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                proc.kill()
                pytest.fail(f"Dovecot did not start: {log[-800:]}")
            time.sleep(0.05)
    return proc, ImapServer(port, "support", USERS["support"], base)


def stop_dovecot(proc: subprocess.Popen, server: ImapServer) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture
def imap_server():
    proc, server = start_dovecot()
    try:
        yield server
    finally:
        stop_dovecot(proc, server)


@pytest.fixture
def imap_server_without_idle():
    """The same server, not offering IDLE (so mail is waited for by polling)."""
    proc, server = start_dovecot("imap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n")
    try:
        yield server
    finally:
        stop_dovecot(proc, server)


# -- OAuth2 (H11): a local identity provider, Dovecot and SMTP that take XOAUTH2 only --

@pytest.fixture
def idp():
    provider = IdentityProvider()
    server = serve(provider)
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def provider(idp):
    found = oauth.provider(oauth.GENERIC, client_for(idp))
    yield found
    oauth.sign_out(found, "support")   # tokens live in the process's session store: none left for the next test


@pytest.fixture
def oauth_imap(idp, tmp_path):
    """Dovecot taking XOAUTH2, its oauth2 passdb asking the provider about each token."""
    ext = tmp_path / "oauth2.conf.ext"
    ext.write_text(f"introspection_mode = post\nintrospection_url = {idp.base}/introspect\n"
                   "username_attribute = username\nactive_attribute = active\nactive_value = true\n")
    ext.chmod(0o644)
    for folder in (tmp_path, *tmp_path.parents):
        if folder.stat().st_mode & 0o005 != 0o005:
            folder.chmod(folder.stat().st_mode | 0o005)  # the auth process runs as another user
    extra = ("auth_mechanisms = plain login xoauth2 oauthbearer\nauth_failure_delay = 0\n"
             f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {ext}\n}}\n")
    proc, server = start_dovecot(extra)
    try:
        yield server
    finally:
        stop_dovecot(proc, server)


@pytest.fixture
def oauth_smtp(idp):
    handler = XOAuth2Only(idp)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port, auth_required=True,
                            auth_require_tls=False, auth_exclude_mechanism=["LOGIN", "PLAIN"])
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
