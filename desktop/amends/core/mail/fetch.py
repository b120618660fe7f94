"""Fetching new mail over IMAP: new messages become tickets or join the
conversation they answer (Message-ID, In-Reply-To, References), exactly as
an .mbox import does. The folder is read without changing it (messages stay
unread for other mail programs).

Never skipping: the last UID is kept per mailbox folder *with* the folder's
UIDVALIDITY. A UID means nothing under another UIDVALIDITY (the server
renumbered the folder: restored, recreated, migrated), so then the whole
folder is read again, and what is already here (by Message-ID) is left out:
nothing skipped, nothing twice. Messages come in batches (one UID FETCH per
batch, one transaction per batch)."""

from __future__ import annotations

import imaplib
import logging
import re
import select
import ssl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from amends.core import audit, away, clock
from amends.core.errors import Cancelled, MailProblem, ValidationError
from amends.core.importers.records import Parsed
from amends.core.importers.writer import write
from amends.core.mail import mailboxes
from amends.core.mail.fetch_readers import ReadBatch, read_batch
from amends.core.mail.fetch_readers import arrival as arrival  # offered here as before
from amends.core.mail.fetch_readers import fetched_messages as fetched_messages
from amends.core.mail.mailboxes import Mailbox
from amends.core.mail.security import InsecureMail
from amends.core.mail.security import check as check_security
from amends.core.store import Database

log = logging.getLogger(__name__)

#: Messages per UID FETCH round trip (and per transaction).
BATCH = 200


@dataclass
class FetchReport:
    messages: int = 0
    skipped: int = 0        # kept for callers; every message is imported now, so this stays 0
    last_uid: int | None = None
    defective: int = 0      # messages kept with a defect noted on them (no Date, no sender, broken MIME ...)
    #: (UID, reason) for what the server listed but did not hand over (deleted meanwhile):
    #: shown to the person, since nothing of it is in the database.
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    uidvalidity: int | None = None
    #: The server renumbered the folder (a new UIDVALIDITY): it was read again from the start.
    resynced: bool = False
    already_here: int = 0   # messages the server had that were here already (by Message-ID)
    #: The mailboxes that were fetched to the end: their servers answer (the app then waits on them
    #: for new mail: IDLE where offered, else polling; see :func:`wait_for_mail`).
    answered: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ImapAccount:
    id: int
    login: str           # the name its password is kept under
    every_minutes: int


def imap_account(db: Database) -> ImapAccount | None:
    """The first mailbox that fetches (see :func:`imap_mailboxes` for all)."""
    boxes = imap_mailboxes(db)
    return ImapAccount(boxes[0].id, boxes[0].login, boxes[0].fetch_minutes) if boxes else None


def imap_mailboxes(db: Database) -> list[Mailbox]:
    """Every mailbox in use with an IMAP server."""
    return [m for m in mailboxes.all_mailboxes(db) if m.imap_host]


def set_imap(db: Database, account_id: int, *, host: str, port: int, security: str = "ssl", user: str,
             folder: str = "INBOX", every_minutes: int = 5) -> None:
    box = mailboxes.get(db, account_id)
    mailboxes.update(db, replace(box, imap_host=host, imap_port=port, imap_security=security, imap_user=user,
                                 imap_folder=folder, fetch_minutes=every_minutes))


def open_session(box: Mailbox, secret: str | None, timeout: float = 20) -> imaplib.IMAP4:
    """A signed-in IMAP session (SSL, STARTTLS or plain to this machine).
    The errors are the libraries' own (OSError, ssl.SSLError,
    imaplib.IMAP4.error): callers say what they mean for them."""
    host, port, security = box.imap_host or "", box.imap_port, box.imap_security
    check_security(host, security, "imap_security")
    client: imaplib.IMAP4
    if security == "ssl":
        client = imaplib.IMAP4_SSL(host, port or 993, ssl_context=ssl.create_default_context(), timeout=timeout)
    else:
        client = imaplib.IMAP4(host, port or 143, timeout=timeout)
    try:
        if security == "starttls":
            client.starttls(ssl_context=ssl.create_default_context())
        mailboxes.authenticate_imap(client, box, secret)
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: imaplib.IMAP4) -> None:
    try:
        client.shutdown()
    except OSError as error:
        log.info("Closing an IMAP connection failed: %s", error)


def _connect(box: Mailbox, password: str | None, timeout: float = 20) -> imaplib.IMAP4:
    try:
        return open_session(box, password, timeout)
    except InsecureMail as error:
        raise MailProblem(f"Not connecting to {box.imap_host}: {error.problems[0][1]}. "
                          "Nothing was fetched.") from error
    except (TimeoutError, OSError, imaplib.IMAP4.error) as error:
        log.warning("IMAP %s:%s (%s) unreachable or refused the login: %s", box.imap_host, box.imap_port,
                    box.imap_security, error)
        raise MailProblem(f"Could not reach the mail server {box.imap_host}:{box.imap_port} ({error}); "
                          "nothing was fetched.") from error


def uid_set(uids: list[int]) -> str:
    """Sorted UIDs as an IMAP sequence set with ranges: 1:5,9,12:14."""
    parts: list[str] = []
    start = prev = None
    for uid in uids:
        if prev is not None and uid == prev + 1:
            prev = uid
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = uid
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(parts)


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> int | None:
    _, data = client.response("UIDVALIDITY")
    value = next((d for d in data or [] if d), None)
    if value is None:  # not said on SELECT: ask for it
        status, data = client.status(_quoted(folder), "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"") if status == "OK" and data else None
        value = match.group(1) if match else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def folder_state(db: Database, box: Mailbox) -> tuple[int | None, int]:
    """(UIDVALIDITY, last UID) stored for the mailbox's folder."""
    row = db.one("SELECT uidvalidity, last_uid FROM mail_folders WHERE account_id = ? AND folder = ?",
                 (box.id, box.imap_folder))
    return (row["uidvalidity"], row["last_uid"]) if row is not None else (None, 0)


def _only_new(conn, parsed: Parsed) -> int:
    """Leave out what is here already (by Message-ID). A thread whose first
    message is here already is handed on as a reply to it, so the ticket it
    made (maybe triaged since) is added to, never reset. Returns how many
    were left out."""
    ids = [m.external_id for t in parsed.tickets for m in t.messages if m.external_id]
    known: set[str] = set()
    for offset in range(0, len(ids), 500):
        chunk = ids[offset:offset + 500]
        known.update(r[0] for r in conn.execute(
            f"SELECT external_id FROM messages WHERE external_id IN ({','.join('?' * len(chunk))})", chunk))
    if not known:
        return 0
    left_out = 0
    kept = []
    for ticket in parsed.tickets:
        fresh = [m for m in ticket.messages if m.external_id not in known]
        left_out += len(ticket.messages) - len(fresh)
        if not fresh:
            continue
        if len(fresh) < len(ticket.messages):
            here = [m.external_id for m in ticket.messages if m.external_id in known]
            if ticket.messages[0].external_id in known:
                ticket.ref = f"mail:{fresh[0].external_id}"
                ticket.created_at = fresh[0].at
            ticket.references = [*here, *ticket.references]
            ticket.messages = fresh
        kept.append(ticket)
    parsed.tickets = kept
    return left_out


def fetch(db: Database, account_id: int, password: str | None, *,
          progress: Callable[[int, int], None] | None = None,
          cancelled: Callable[[], bool] | None = None, batch_size: int = BATCH) -> FetchReport:
    """Fetch what is new in the mailbox's folder (all of it again, without
    duplicates, when the server's UIDVALIDITY changed)."""
    row = db.one("SELECT id FROM mail_accounts WHERE id = ? AND imap_host IS NOT NULL", (account_id,))
    if row is None:
        raise ValidationError([("account", "no IMAP server is set up for this account")])
    box = mailboxes.get(db, account_id)
    stored_validity, last_uid = folder_state(db, box)
    report = FetchReport(last_uid=last_uid or None)
    client = _connect(box, password)
    try:
        status, _ = client.select(_quoted(box.imap_folder), readonly=True)
        if status != "OK":
            raise MailProblem(f"The folder {box.imap_folder!r} cannot be opened on {box.imap_host}.")
        validity = report.uidvalidity = _uidvalidity(client, box.imap_folder)
        if stored_validity is not None and validity != stored_validity:
            log.warning("IMAP %s %s: UIDVALIDITY changed from %s to %s; reading the whole folder again",
                        box.imap_host, box.imap_folder, stored_validity, validity)
            report.resynced, last_uid = True, 0
        start = last_uid + 1
        status, data = client.uid("search", f"UID {start}:*")  # no charset (imaplib drops a None one)
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) >= start) if status == "OK" else []
        if not uids and validity != stored_validity:
            _save_position(db, box, validity, last_uid, {"uidvalidity": validity})
        with _fetched_ahead(client, uids, batch_size) as batches:
            for offset, (wanted, status, parts) in enumerate(batches):
                if cancelled is not None and cancelled():
                    raise Cancelled("Fetching stopped; what was fetched before is kept.")
                _write_batch(db, box, report, validity, read_batch(wanted, status, parts, clock.now()))
                if progress is not None:
                    progress(min(len(uids), (offset + 1) * batch_size), len(uids))
    except (OSError, imaplib.IMAP4.error) as error:
        log.warning("IMAP %s stopped answering after %d messages: %s", box.imap_host, report.messages, error)
        raise MailProblem(f"The mail server {box.imap_host} stopped answering ({error}); what was fetched "
                          "before is kept.") from error
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error) as error:  # what was fetched is kept; only the goodbye failed
            log.info("IMAP logout from %s failed: %s", box.imap_host, error)
    report.answered.append(box.id)
    log.info("Fetched from %s %s: %d new messages, %d here already, last UID %s%s", box.imap_host,
             box.imap_folder, report.messages, report.already_here, report.last_uid,
             " (after a UIDVALIDITY change)" if report.resynced else "")
    return report


@contextmanager
def _fetched_ahead(client: imaplib.IMAP4, uids: list[int],
                   batch_size: int) -> Iterator[Iterator[tuple[list[int], str, list]]]:
    """(UIDs, status, response) per batch, the next batch's UID FETCH
    already on its way while the caller reads and writes this one: the
    server's work and the wait for it overlap with ours (imaplib lets go of
    the interpreter while it waits on the socket): for 5,000 messages from the
    local Dovecot the fetch waited 0.07-0.18 s for the server instead of
    0.54-0.84 s one batch after the other. One thread alone talks to
    the server meanwhile; at most two batches are held. Leaving early waits
    for the batch on its way, so the session can be closed cleanly after."""
    def one(offset: int) -> tuple[int, list[int], str, list]:
        wanted = uids[offset:offset + batch_size]
        status, parts = client.uid("fetch", uid_set(wanted), "(UID INTERNALDATE BODY.PEEK[])")
        return offset, wanted, status, parts

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap-fetch") as pool:
        def batches() -> Iterator[tuple[list[int], str, list]]:
            ahead: Future | None = pool.submit(one, 0) if uids else None
            while ahead is not None:
                offset, wanted, status, parts = ahead.result()
                following = offset + batch_size
                ahead = pool.submit(one, following) if following < len(uids) else None
                yield wanted, status, parts

        yield batches()


def _write_batch(db: Database, box: Mailbox, report: FetchReport, validity: int | None, read: ReadBatch) -> None:
    """THE function that writes one fetched batch: what is here already left
    out, the mailbox's defaults on new tickets, the messages, the rules and
    the new position, in one transaction."""
    parsed, wanted = read.parsed, read.wanted
    report.unreadable.extend(read.unreadable)
    with db.transaction() as conn:
        report.already_here += _only_new(conn, parsed)
        report.defective += sum(1 for t in parsed.tickets for m in t.messages if m.defects)
        refs = _new_tickets(conn, parsed, box)
        counts = write(conn, db.actor, parsed)
        away.answer_new(db, box, parsed)  # an away reply while the mailbox is away (core/away.py)
        if refs:
            conn.execute(f"UPDATE tickets SET mailbox_id = ? WHERE mailbox_id IS NULL AND ref IN "
                         f"({','.join('?' * len(refs))})", (box.id, *refs))
        _store_position(conn, box, validity, wanted[-1])
        audit.record(conn, db.actor, "mail_account", box.id, "fetch",
                     {"messages": counts["messages"], "last_uid": wanted[-1], "folder": box.imap_folder,
                      **({"uidvalidity": validity, "resync": True} if report.resynced else {})})
    report.messages += counts["messages"]
    report.last_uid = wanted[-1]


def _new_tickets(conn, parsed: Parsed, box: Mailbox) -> list[str]:
    """The threads that will be new tickets get the mailbox's defaults."""
    refs = [t.ref for t in parsed.tickets]
    existing: set[str] = set()
    for offset in range(0, len(refs), 500):
        chunk = refs[offset:offset + 500]
        existing.update(r[0] for r in conn.execute(
            f"SELECT ref FROM tickets WHERE ref IN ({','.join('?' * len(chunk))})", chunk))
    new = [t for t in parsed.tickets if t.ref not in existing]
    for ticket in new:
        ticket.category = box.default_category or ticket.category
        ticket.assignee = box.default_assignee or ticket.assignee
    return [t.ref for t in new]


def _store_position(conn, box: Mailbox, validity: int | None, last_uid: int) -> None:
    conn.execute("INSERT INTO mail_folders (account_id, folder, uidvalidity, last_uid) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (account_id, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, "
                 "last_uid = excluded.last_uid", (box.id, box.imap_folder, validity, last_uid))


def _save_position(db: Database, box: Mailbox, validity: int | None, last_uid: int, detail: dict) -> None:
    with db.transaction() as conn:
        _store_position(conn, box, validity, last_uid)
        audit.record(conn, db.actor, "mail_account", box.id, "fetch", {"messages": 0, **detail})


# -- waiting for new mail: IDLE where the server offers it, else polling -----

def wait_for_mail(box: Mailbox, secret: str | None, seconds: float, *,
                  cancelled: Callable[[], bool] | None = None, poll_seconds: float = 60,
                  since_uid: int | None = None) -> bool:
    """Wait up to ``seconds`` for new mail in the mailbox's folder; True
    when the server said something arrived (IDLE), or - on a server without
    IDLE - when the folder has more messages than at the start (polled
    every ``poll_seconds``). Errors are the libraries' own.

    ``since_uid``, the last UID fetched: a mail that arrived after that fetch
    but before this wait began is already in the folder, and IDLE announces
    only what comes later; the folder's UIDNEXT tells, so it is True at once."""
    client = open_session(box, secret)
    try:
        status, data = client.select(_quoted(box.imap_folder), readonly=True)
        if status != "OK":
            raise MailProblem(f"The folder {box.imap_folder!r} cannot be opened on {box.imap_host}.")
        count = int(data[0] or 0)
        if since_uid is not None and _uid_next(client, box) > since_uid + 1:
            return True
        if "IDLE" in client.capabilities:
            return _idle(client, seconds, cancelled)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (cancelled is not None and cancelled()):
            poll = min(deadline, time.monotonic() + poll_seconds)
            while time.monotonic() < poll:  # in one-second slices, so that cancelling is noticed
                if cancelled is not None and cancelled():
                    return False
                time.sleep(min(1.0, max(0.0, poll - time.monotonic())))
            status, data = client.select(_quoted(box.imap_folder), readonly=True)
            if status == "OK" and int(data[0] or 0) > count:
                return True
        return False
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error) as error:
            log.info("IMAP logout from %s failed: %s", box.imap_host, error)


def _uid_next(client: imaplib.IMAP4, box: Mailbox) -> int:
    """The UID the folder's next mail will get: from SELECT's answer (RFC 3501
    requires it there), else asked with STATUS; 0 when the server says neither."""
    _typ, said = client.response("UIDNEXT")
    if not said or said[0] is None:
        _typ, said = client.status(_quoted(box.imap_folder), "(UIDNEXT)")
        found = re.search(rb"UIDNEXT (\d+)", said[0] or b"") if said else None
        return int(found.group(1)) if found else 0
    return int(said[0])


def _idle(client: imaplib.IMAP4, seconds: float, cancelled: Callable[[], bool] | None) -> bool:
    """RFC 2177 IDLE, waiting in one-second slices so that cancelling is
    noticed (select on the socket: a read that times out would spoil it)."""
    tag = b"AMIDLE"
    client.send(tag + b" IDLE\r\n")
    if not client.readline().startswith(b"+"):
        raise imaplib.IMAP4.error("the server refused IDLE")
    sock = client.socket()
    arrived = False
    deadline = time.monotonic() + min(seconds, 29 * 60)  # servers drop an IDLE after 30 minutes
    while not arrived and time.monotonic() < deadline and not (cancelled is not None and cancelled()):
        readable, _, _ = select.select([sock], [], [], max(0.0, min(1.0, deadline - time.monotonic())))
        if not readable:
            continue
        line = client.readline()
        if not line:
            raise imaplib.IMAP4.abort("the server closed the connection while idling")
        arrived = _NEW_MAIL.match(line) is not None
    client.send(b"DONE\r\n")
    while True:
        line = client.readline()
        if not line or line.startswith(tag + b" "):
            break
        arrived = arrived or _NEW_MAIL.match(line) is not None
    return arrived


_NEW_MAIL = re.compile(rb"\* \d+ (EXISTS|RECENT)")
