"""Fetching new mail over IMAP: new messages become tickets or join the
conversation they answer (Message-ID, In-Reply-To, References), exactly as
an .mbox import does. The folder is read without changing it (messages stay
unread for other mail programs); the last UID seen is kept per account, and
importing by Message-ID makes a repeated fetch harmless."""

from __future__ import annotations

import imaplib
import logging
import re
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from amends.core import audit
from amends.core.errors import Cancelled, MailProblem, ValidationError
from amends.core.importers import mail
from amends.core.importers.writer import write
from amends.core.mail.security import SECURITY, InsecureMail
from amends.core.mail.security import check as check_security
from amends.core.store import Database

log = logging.getLogger(__name__)

BATCH = 50


@dataclass
class FetchReport:
    messages: int = 0
    skipped: int = 0        # kept for callers; every message is imported now, so this stays 0
    last_uid: int | None = None
    defective: int = 0      # messages kept with a defect noted on them (no Date, no sender, broken MIME ...)
    #: (UID, reason) for what the server listed but did not hand over (deleted meanwhile):
    #: shown to the person, since nothing of it is in the database.
    unreadable: list[tuple[int, str]] = field(default_factory=list)


_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


def arrival(response: bytes) -> datetime | None:
    """The time the server received the message (IMAP INTERNALDATE): the
    date a message without a usable Date header is given."""
    found = _INTERNALDATE.search(response or b"")
    if found is None:
        return None
    try:
        return datetime.strptime(found.group(1).decode("ascii").strip(), "%d-%b-%Y %H:%M:%S %z")
    except (ValueError, UnicodeError):
        return None


@dataclass(frozen=True)
class ImapAccount:
    id: int
    login: str           # the name its password is kept under
    every_minutes: int


def imap_account(db: Database) -> ImapAccount | None:
    """The account mail is fetched for (the first one with an IMAP server)."""
    row = db.one("SELECT id, imap_user, from_address, fetch_minutes FROM mail_accounts "
                 "WHERE imap_host IS NOT NULL ORDER BY id LIMIT 1")
    if row is None:
        return None
    return ImapAccount(row["id"], row["imap_user"] or row["from_address"], row["fetch_minutes"])


def set_imap(db: Database, account_id: int, *, host: str, port: int, security: str = "ssl", user: str,
             folder: str = "INBOX", every_minutes: int = 5) -> None:
    problems = []
    if not host.strip():
        problems.append(("imap_host", "an IMAP server is needed to fetch"))
    if not 0 < port < 65536:
        problems.append(("imap_port", "a port between 1 and 65535"))
    if security not in SECURITY:
        problems.append(("imap_security", "ssl, starttls or none"))
    if not 1 <= every_minutes <= 1440:
        problems.append(("fetch_minutes", "between 1 and 1440 minutes"))
    if problems:
        raise ValidationError(problems)
    check_security(host, security, "imap_security")
    with db.transaction() as conn:
        conn.execute("UPDATE mail_accounts SET imap_host = ?, imap_port = ?, imap_security = ?, imap_user = ?, "
                     "imap_folder = ?, fetch_minutes = ?, version = version + 1 WHERE id = ?",
                     (host, port, security, user, folder, every_minutes, account_id))
        audit.record(conn, db.actor, "mail_account", account_id, "imap",
                     {"imap": f"{host}:{port} ({security})", "folder": folder})


def _connect(row, password: str | None, timeout: float = 20) -> imaplib.IMAP4:
    host, port, security = row["imap_host"], row["imap_port"], row["imap_security"]
    client: imaplib.IMAP4
    try:
        check_security(host, security, "imap_security")
    except InsecureMail as error:
        raise MailProblem(f"Not connecting to {host}: {error.problems[0][1]}. Nothing was fetched.") from error
    try:
        if security == "ssl":
            client = imaplib.IMAP4_SSL(host, port or 993, ssl_context=ssl.create_default_context(), timeout=timeout)
        else:
            client = imaplib.IMAP4(host, port or 143, timeout=timeout)
            if security == "starttls":
                client.starttls(ssl_context=ssl.create_default_context())
        client.login(row["imap_user"], password or "")
        return client
    except (OSError, imaplib.IMAP4.error, socket.timeout) as error:
        log.warning("IMAP %s:%s (%s) unreachable or refused the login: %s", host, port, security, error)
        raise MailProblem(f"Could not reach the mail server {host}:{port} ({error}); nothing was fetched.") from error


def fetch(db: Database, account_id: int, password: str | None, *,
          progress: Callable[[int, int], None] | None = None,
          cancelled: Callable[[], bool] | None = None) -> FetchReport:
    row = db.one("SELECT * FROM mail_accounts WHERE id = ?", (account_id,))
    if row is None or not row["imap_host"]:
        raise ValidationError([("account", "no IMAP server is set up for this account")])
    report = FetchReport(last_uid=row["last_uid"])
    client = _connect(row, password)
    try:
        status, _ = client.select(row["imap_folder"], readonly=True)
        if status != "OK":
            raise MailProblem(f"The folder {row['imap_folder']!r} cannot be opened on {row['imap_host']}.")
        start = (row["last_uid"] or 0) + 1
        status, data = client.uid("search", f"UID {start}:*")  # no charset (imaplib drops a None one)
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) >= start) if status == "OK" else []
        for offset in range(0, len(uids), BATCH):
            if cancelled is not None and cancelled():
                raise Cancelled("Fetching stopped; what was fetched before is kept.")
            batch = uids[offset:offset + BATCH]
            chunks, arrived = [], {}
            for uid in batch:
                status, parts = client.uid("fetch", str(uid), "(INTERNALDATE BODY.PEEK[])")
                item = next((p for p in parts or [] if isinstance(p, tuple)), None)
                if status != "OK" or item is None or not item[1]:
                    report.unreadable.append((uid, f"the server did not hand it over ({status})"))
                    continue
                chunks.append((uid, item[1]))
                if (when := arrival(item[0])) is not None:
                    arrived[uid] = when
            # Reading never refuses a message (odd ones are kept with their defects
            # noted), so one bad message cannot hold the saved position back.
            parsed = mail.parse_messages(chunks, arrived=arrived)
            report.defective += sum(1 for t in parsed.tickets for m in t.messages if m.defects)
            with db.transaction() as conn:
                counts = write(conn, db.actor, parsed)
                conn.execute("UPDATE mail_accounts SET last_uid = ? WHERE id = ?", (batch[-1], account_id))
                audit.record(conn, db.actor, "mail_account", account_id, "fetch",
                             {"messages": counts["messages"], "last_uid": batch[-1]})
            report.messages += counts["messages"]
            report.last_uid = batch[-1]
            if progress is not None:
                progress(offset + len(batch), len(uids))
    except (OSError, imaplib.IMAP4.error) as error:
        log.warning("IMAP %s stopped answering after %d messages: %s", row["imap_host"], report.messages, error)
        raise MailProblem(f"The mail server {row['imap_host']} stopped answering ({error}); what was fetched "
                          "before is kept.") from error
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error) as error:  # what was fetched is kept; only the goodbye failed
            log.info("IMAP logout from %s failed: %s", row["imap_host"], error)
    log.info("Fetched from %s: %d new messages, %d skipped, last UID %s", row["imap_host"], report.messages,
             report.skipped, report.last_uid)
    return report
