"""Test connection: sign in to a mailbox's IMAP and SMTP servers and say, in
plain words, what is wrong - the server name not found, nothing answering
on that port, the secure handshake failing, the password refused, OAuth
consent missing - rather than a library's exception text. Nothing is
fetched or sent."""

from __future__ import annotations

import imaplib
import logging
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

from amends.core.errors import MailProblem
from amends.core.mail import outbox
from amends.core.mail.fetch import _quoted, open_session
from amends.core.mail.mailboxes import Mailbox
from amends.core.mail.security import InsecureMail

log = logging.getLogger(__name__)

#: The kinds of problem, for callers that act on them (the UI marks the field).
PROBLEMS = ("host-not-found", "refused", "timeout", "tls", "auth", "oauth-consent", "insecure", "folder",
            "not-this-protocol", "network")


@dataclass(frozen=True)
class ProtocolResult:
    protocol: str            # "imap" or "smtp"
    ok: bool
    problem: str | None      # one of PROBLEMS, None when ok
    message: str             # one plain sentence for the person


@dataclass(frozen=True)
class ConnectionReport:
    mailbox: str
    imap: ProtocolResult | None   # None: this mailbox does not fetch
    smtp: ProtocolResult

    @property
    def ok(self) -> bool:
        return self.smtp.ok and (self.imap is None or self.imap.ok)

    @property
    def results(self) -> list[ProtocolResult]:
        return [r for r in (self.imap, self.smtp) if r is not None]


_AUTH_REFUSED = re.compile(r"AUTHENTICATIONFAILED|AUTHENTICATE|LOGIN|credentials|password", re.IGNORECASE)


def _consent(text: str) -> bool:
    lowered = text.lower()
    return "consent" in lowered or "aadsts65001" in lowered


def explain(protocol: str, host: str, port: int, user: str, error: BaseException) -> ProtocolResult:
    """A library's exception as a kind of problem and a plain sentence."""
    where = f"{host}:{port}"
    name = protocol.upper()
    text = str(error)
    kind, message = "network", f"{name} {where}: the connection failed ({type(error).__name__}: {text})."
    if isinstance(error, InsecureMail):
        kind, message = "insecure", f"{name}: {error.problems[0][1]}."
    elif isinstance(error, socket.gaierror):
        kind, message = "host-not-found", (f"{name}: the server name {host!r} was not found - check its spelling "
                                           "and that this computer is online.")
    elif isinstance(error, ConnectionRefusedError):
        kind, message = "refused", (f"{name}: nothing answers on {where} (connection refused) - the port is "
                                    "closed or wrong, or the server is not running.")
    elif isinstance(error, (socket.timeout, TimeoutError)):
        kind, message = "timeout", (f"{name}: no answer from {where} in time - the port may be blocked by a "
                                    "firewall, or wrong.")
    elif isinstance(error, ssl.SSLCertVerificationError):
        kind, message = "tls", (f"{name}: the server's certificate is not trusted for {host!r} "
                                f"({error.verify_message}).")
    elif isinstance(error, ssl.SSLError):
        kind, message = "tls", (f"{name}: the secure (TLS) handshake with {where} failed ({error.reason or text}) - "
                                "this port may expect another security setting (SSL or STARTTLS).")
    elif isinstance(error, smtplib.SMTPNotSupportedError) or "STARTTLS" in text.upper():
        kind, message = "tls", f"{name}: {where} does not offer STARTTLS - try SSL, or another port."
    elif _consent(text):
        kind, message = "oauth-consent", (f"{name}: the sign-in for {user!r} needs consent first - an "
                                          "administrator must allow Amends for this mailbox.")
    elif isinstance(error, smtplib.SMTPAuthenticationError) or (
            isinstance(error, imaplib.IMAP4.error) and not isinstance(error, imaplib.IMAP4.abort)
            and _AUTH_REFUSED.search(text)):
        kind, message = "auth", f"{name}: {where} refused the user name or password for {user!r}."
    elif isinstance(error, (imaplib.IMAP4.error, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError,
                            smtplib.SMTPResponseException)):
        kind, message = "not-this-protocol", (f"{name}: {where} closed the connection or did not answer as an "
                                              f"{name} server should - is this the {name} port?")
    return ProtocolResult(protocol, False, kind, message)


def check_imap(box: Mailbox, secret: str | None, timeout: float = 10) -> ProtocolResult:
    """Sign in and open the folder."""
    host, port = box.imap_host or "", box.imap_port or (993 if box.imap_security == "ssl" else 143)
    try:
        client = open_session(box, secret, timeout)
    except (OSError, imaplib.IMAP4.error, InsecureMail) as error:
        log.info("IMAP test of %s: %s", box.label, error)
        return explain("imap", host, port, box.login, error)
    except MailProblem as error:  # an OAuth2 sign-in to renew (SignInRequired) or its service away
        return ProtocolResult("imap", False, "auth", f"IMAP: {error}")
    try:
        status, _ = client.select(_quoted(box.imap_folder), readonly=True)
        if status != "OK":
            return ProtocolResult("imap", False, "folder", f"IMAP: signed in, but there is no folder "
                                                           f"{box.imap_folder!r} on {host}.")
        return ProtocolResult("imap", True, None, f"IMAP: signed in to {host}:{port} as {box.login!r}; "
                                                  f"the folder {box.imap_folder!r} opens.")
    except (OSError, imaplib.IMAP4.error) as error:
        return explain("imap", host, port, box.login, error)
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error) as error:
            log.info("IMAP logout after the test failed: %s", error)


def check_smtp(box: Mailbox, secret: str | None, timeout: float = 10) -> ProtocolResult:
    """Connect, secure and sign in; send nothing."""
    host, port = box.smtp_host or "", box.smtp_port or (465 if box.smtp_security == "ssl" else 587)
    if box.auth == "password" and box.smtp_user and not secret:
        return ProtocolResult("smtp", False, "auth", f"SMTP: no password is kept for {box.smtp_user!r} - enter it "
                                                     "in Preferences → Mailboxes.")
    try:
        server = outbox.connect(box, secret, timeout)
    except (OSError, smtplib.SMTPException, InsecureMail) as error:
        log.info("SMTP test of %s: %s", box.label, error)
        return explain("smtp", host, port, box.smtp_user or box.from_address, error)
    except MailProblem as error:  # an OAuth2 sign-in to renew (SignInRequired) or its service away
        return ProtocolResult("smtp", False, "auth", f"SMTP: {error}")
    try:
        code, _ = server.noop()
        if code != 250:
            return ProtocolResult("smtp", False, "not-this-protocol", f"SMTP: {host}:{port} answered {code} to a "
                                                                      "plain check.")
        who = (f" as {box.smtp_user or box.login!r} ({box.auth})" if box.auth != "password" else
               f" as {box.smtp_user!r}" if box.smtp_user and secret else " (no sign-in set)")
        return ProtocolResult("smtp", True, None, f"SMTP: connected to {host}:{port}{who}.")
    except (OSError, smtplib.SMTPException) as error:
        return explain("smtp", host, port, box.smtp_user or box.from_address, error)
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException) as error:
            log.info("SMTP quit after the test failed: %s", error)


def check_mailbox(box: Mailbox, imap_secret: str | None, smtp_secret: str | None,
                 timeout: float = 10) -> ConnectionReport:
    """Both servers of a mailbox, each with its own verdict."""
    imap = check_imap(box, imap_secret, timeout) if box.imap_host else None
    return ConnectionReport(box.label, imap, check_smtp(box, smtp_secret, timeout))

