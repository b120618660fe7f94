"""The outbox: a reply is queued when it is written and sent when the SMTP
server takes it. Offline, or refused, it waits and retries with growing
pauses; it carries In-Reply-To and References so that it threads in the
customer's mail program."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from amends.core import audit, clock, signatures, tickets
from amends.core.errors import MailProblem, NotFound, ValidationError
from amends.core.mail import delivery, mailboxes, reference, security
from amends.core.store import Database
from amends.core.store.rowids import inserted_id

#: Minutes to wait after the n-th failed attempt; then the last value.
log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 2, 5, 10, 30, 60)
MAX_ATTEMPTS = 30


#: A mail account is a mailbox (desktop/amends/core/mail/mailboxes.py).
Account = mailboxes.Mailbox
#: One secret for every mailbox, or a function giving each mailbox's own.
Secret = str | None | Callable[[mailboxes.Mailbox], str | None]


def add_account(db: Database, name: str, from_address: str, *, smtp_host: str, smtp_port: int,
                smtp_security: str = "starttls", smtp_user: str | None = None, label: str | None = None,
                signature: str | None = None, default_category: str | None = None,
                default_assignee: str | None = None) -> int:
    """A mailbox that sends (IMAP is added with fetch.set_imap)."""
    return mailboxes.add(db, mailboxes.Mailbox(
        0, label or "", name, from_address, smtp_host, smtp_port, smtp_security, smtp_user, signature=signature,
        default_category=default_category, default_assignee=default_assignee))


def account(db: Database, account_id: int | None = None) -> Account | None:
    """That mailbox, or (no id) the first one in use."""
    if account_id:
        row = db.one("SELECT id FROM mail_accounts WHERE id = ?", (account_id,))
        return mailboxes.get(db, account_id) if row is not None else None
    boxes = mailboxes.all_mailboxes(db)
    return boxes[0] if boxes else None


def queue_reply(db: Database, message_id: int, account_id: int | None = None, *,
                not_before: str | None = None) -> int:
    """Queue a reply already stored on its ticket, addressed to the customer,
    threaded after the customer's last mail, from ``account_id`` or else the
    mailbox the ticket came in on, signed (core/signatures.py: the writer's
    and the mailbox's). ``not_before``: the outbox holds it until then (undo
    send, send later)."""
    ticket_id = db.scalar("SELECT ticket_id FROM messages WHERE id = ?", (message_id,))
    sender = account(db, account_id) if account_id else (
        mailboxes.for_ticket(db, ticket_id) if ticket_id is not None else account(db))
    if sender is None:
        raise ValidationError([("account", "no mail account is set up (Preferences → Mail)")])
    row = db.one("""SELECT m.id, m.ticket_id, m.body, m.direction, m.author, t.subject, c.email FROM messages m
                    JOIN tickets t ON t.id = m.ticket_id LEFT JOIN customers c ON c.id = t.customer_id
                    WHERE m.id = ?""", (message_id,))
    if row is None:
        raise NotFound(f"Message {message_id} does not exist.")
    if row["direction"] != "out":
        raise ValidationError([("message", "only replies are sent; notes stay inside")])
    if not row["email"]:
        raise ValidationError([("customer", "this ticket's customer has no email address")])
    earlier = [r[0] for r in db.query("SELECT external_id FROM messages WHERE ticket_id = ? AND id <> ? "
                                      "AND external_id LIKE '<%>' ORDER BY created_at, id",
                                      (row["ticket_id"], message_id))]
    inbound = db.scalar("SELECT external_id FROM messages WHERE ticket_id = ? AND direction = 'in' "
                        "AND external_id LIKE '<%>' ORDER BY created_at DESC, id DESC LIMIT 1", (row["ticket_id"],))
    header_id = make_msgid(domain=sender.from_address.split("@", 1)[1])
    subject = row["subject"] if row["subject"].lower().startswith("re:") else f"Re: {row['subject']}"
    subject = reference.tagged(subject, row["ticket_id"], reference.template(db))
    body = signatures.signed(row["body"], signatures.for_reply(db, row["ticket_id"], sender, row["author"]))
    now = clock.now_iso()
    with db.transaction() as conn:
        conn.execute("UPDATE messages SET external_id = ? WHERE id = ?", (header_id, message_id))
        conn.execute("DELETE FROM unsent_replies WHERE message_id = ?", (message_id,))
        outbox_id = inserted_id(conn.execute(
            "INSERT INTO outbox (ticket_id, message_id, account_id, to_address, subject, body, header_message_id, "
            "in_reply_to, references_header, next_attempt_at, created_at, not_before) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["ticket_id"], message_id, sender.id, row["email"], subject, body,
             header_id, inbound, " ".join(earlier) or None, now, now, not_before)))
        audit.record(conn, db.actor, "ticket", row["ticket_id"], "queue_mail",
                     {"outbox_id": outbox_id, "to": row["email"], **({"not_before": not_before} if not_before else {})},
                     at=now)
    return outbox_id


def queue_mail(conn, actor: str, *, ticket_id: int, sender: Account, to: str, subject: str, body: str,
               kind: str, in_reply_to: str | None = None, not_before: str | None = None,
               at: str | None = None) -> tuple[int, str]:
    """Queue a mail that is not a reply written by a person (a survey, an
    away reply), inside the caller's transaction; returns (outbox id,
    Message-ID) so that an answer to it can be recognised."""
    at = at or clock.now_iso()
    header_id = make_msgid(domain=sender.from_address.split("@", 1)[1])
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (reference.SETTING,)).fetchone()
    subject = reference.tagged(subject, ticket_id, reference.DEFAULT if row is None else row[0])
    outbox_id = inserted_id(conn.execute(
        "INSERT INTO outbox (ticket_id, account_id, to_address, subject, body, header_message_id, in_reply_to, "
        "references_header, next_attempt_at, created_at, not_before, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ticket_id, sender.id, to, subject, body, header_id, in_reply_to, in_reply_to, at, at, not_before, kind)))
    audit.record(conn, actor, "ticket", ticket_id, "queue_mail", {"outbox_id": outbox_id, "to": to, "kind": kind},
                 at=at)
    return outbox_id, header_id


@dataclass(frozen=True)
class Stored:
    """A reply written on its ticket: queued (``outbox_id``) or recorded as
    not sent (``not_sent``: why, e.g. no mailbox)."""

    message_id: int
    outbox_id: int | None
    not_sent: str | None = None
    not_before: str | None = None


def send_reply(db: Database, ticket_id: int, text: str, *, hold_seconds: float = 0,
               send_at: str | None = None, now: str | None = None) -> Stored:
    """Write a reply and hand it to the outbox, in one transaction. Held for
    ``hold_seconds`` (undo send) or until ``send_at`` (send later). With no
    mailbox, or no address to send to, the reply is kept and recorded as not
    sent, with the reason: it never looks sent."""
    now = now or clock.now_iso()
    if send_at is not None:
        send_at = clock.to_iso(clock.parse_iso(send_at))
        if send_at <= now:
            raise ValidationError([("send_at", f"{send_at} is not in the future")])
    not_before = send_at or (clock.to_iso(clock.parse_iso(now) + timedelta(seconds=hold_seconds))
                             if hold_seconds > 0 else None)
    with db.transaction() as conn:
        message_id = tickets.add_message(db, ticket_id, "out", text, at=now)
        reason = _why_not_sendable(db, ticket_id)
        if reason is not None:
            conn.execute("INSERT INTO unsent_replies (message_id, reason, recorded_at) VALUES (?, ?, ?)",
                         (message_id, reason, now))
            audit.record(conn, db.actor, "ticket", ticket_id, "reply_not_sent",
                         {"message_id": message_id, "reason": reason}, at=now)
            return Stored(message_id, None, reason)
        outbox_id = queue_reply(db, message_id, not_before=not_before)
    return Stored(message_id, outbox_id, None, not_before)


def _why_not_sendable(db: Database, ticket_id: int) -> str | None:
    if mailboxes.for_ticket(db, ticket_id) is None and account(db) is None:
        return delivery.NO_MAILBOX
    if not db.scalar("SELECT c.email FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = ?",
                     (ticket_id,)):
        return "not sent — the customer has no email address"
    return None


def can_send(db: Database, ticket_id: int | None = None) -> bool:
    """Is there a mailbox a reply (on this ticket) would go out from?"""
    if ticket_id is not None and mailboxes.for_ticket(db, ticket_id) is not None:
        return True
    return account(db) is not None


def take_back(db: Database, outbox_id: int, *, now: str | None = None) -> str:
    """Undo send / cancel a scheduled reply: while it is still held, the mail
    and its reply are removed and the reply's text returned (for the
    composer). Once the hold is over the outbox may be sending it, so it is
    refused: the outbox only sends after ``not_before``, and this checks the
    same time inside one write, so a reply is never both taken back and sent."""
    now = now or clock.now_iso()
    with db.transaction() as conn:
        row = conn.execute("SELECT * FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        if row is None:
            raise NotFound(f"Outbox entry {outbox_id} does not exist (already taken back?).")
        if row["status"] != "queued" or not row["not_before"] or row["not_before"] <= now:
            raise ValidationError([("outbox", "too late to take back: the mail is being sent or was sent")])
        text = conn.execute("SELECT body FROM messages WHERE id = ?", (row["message_id"],)).fetchone()
        conn.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))
        if row["message_id"] is not None:
            conn.execute("DELETE FROM messages WHERE id = ?", (row["message_id"],))
            tickets.reindex(conn, row["ticket_id"])
        audit.record(conn, db.actor, "ticket", row["ticket_id"], "mail_taken_back",
                     {"outbox_id": outbox_id, "message_id": row["message_id"]}, at=now)
    return text[0] if text is not None else row["body"]


def reschedule(db: Database, outbox_id: int, send_at: str, *, now: str | None = None) -> None:
    """Move a held (scheduled) mail to another time in the future."""
    now = now or clock.now_iso()
    send_at = clock.to_iso(clock.parse_iso(send_at))
    if send_at <= now:
        raise ValidationError([("send_at", f"{send_at} is not in the future")])
    with db.transaction() as conn:
        row = conn.execute("SELECT status, not_before, ticket_id FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        if row is None:
            raise NotFound(f"Outbox entry {outbox_id} does not exist.")
        if row["status"] != "queued" or not row["not_before"] or row["not_before"] <= now:
            raise ValidationError([("outbox", "only a mail still waiting for its time can be moved")])
        conn.execute("UPDATE outbox SET not_before = ? WHERE id = ?", (send_at, outbox_id))
        audit.record(conn, db.actor, "ticket", row["ticket_id"], "mail_rescheduled",
                     {"outbox_id": outbox_id, "not_before": send_at}, at=now)


def retry(db: Database, outbox_id: int, *, now: str | None = None) -> None:
    """Retry now: a failed (or waiting) mail is due at once, with its tries
    counted afresh. A mail held for later keeps its time."""
    now = now or clock.now_iso()
    with db.transaction() as conn:
        row = conn.execute("SELECT status, ticket_id FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        if row is None:
            raise NotFound(f"Outbox entry {outbox_id} does not exist.")
        if row["status"] == "sent":
            raise ValidationError([("outbox", "this mail was sent already")])
        conn.execute("UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = ? WHERE id = ?",
                     (now, outbox_id))
        audit.record(conn, db.actor, "ticket", row["ticket_id"], "mail_retry", {"outbox_id": outbox_id}, at=now)


def build(entry, sender: Account) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{sender.name} <{sender.from_address}>"
    message["To"] = entry["to_address"]
    message["Subject"] = entry["subject"]
    message["Message-ID"] = entry["header_message_id"]
    message["Date"] = format_datetime(clock.parse_iso(entry["created_at"]))
    if entry["in_reply_to"]:
        message["In-Reply-To"] = entry["in_reply_to"]
    if entry["references_header"]:
        message["References"] = entry["references_header"]
    message.set_content(entry["body"])
    return message


Connect = Callable[[Account, str | None], smtplib.SMTP]


def connect(sender: Account, password: str | None, timeout: float = 20) -> smtplib.SMTP:
    """An SMTP session as the account says: SSL, STARTTLS or plain (local)."""
    if not sender.smtp_host:
        raise smtplib.SMTPException(f"the mail account {sender.name!r} has no SMTP server")
    security.check(sender.smtp_host or "", sender.smtp_security, "smtp_security")
    port = sender.smtp_port or (465 if sender.smtp_security == "ssl" else 587)
    server: smtplib.SMTP
    if sender.smtp_security == "ssl":
        server = smtplib.SMTP_SSL(sender.smtp_host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(sender.smtp_host, port, timeout=timeout)
        if sender.smtp_security == "starttls":
            server.starttls(context=ssl.create_default_context())
    try:
        mailboxes.authenticate_smtp(server, sender, password)
    except BaseException:  # refused, or an OAuth2 sign-in to renew first: do not leave the session open
        server.close()
        raise
    return server


@dataclass
class DeliveryReport:
    sent: int = 0
    waiting: int = 0
    failed: int = 0
    error: str | None = None


#: A queued mail whose hold (undo send, send later) is over.
_RELEASED = "status = 'queued' AND (not_before IS NULL OR not_before <= ?)"


def deliver_due(db: Database, password: Secret = None, *, now: str | None = None,
                connector: Connect = connect, force: bool = False) -> DeliveryReport:
    """Send what is due (``force``: also what waits for its next try). A
    server that is away or refuses leaves the mail queued with the reason in
    plain words and the time of the next try. Nothing is sent before its
    ``not_before``, forced or not: that is what makes undo send safe."""
    now = now or clock.now_iso()
    report = DeliveryReport()
    due = db.query(f"SELECT * FROM outbox WHERE {_RELEASED}" + ("" if force else " AND next_attempt_at <= ?")
                   + " ORDER BY id", (now,) if force else (now, now))
    if not due:
        return report
    by_account: dict[int, list] = {}
    for entry in due:
        by_account.setdefault(entry["account_id"], []).append(entry)
    for account_id, entries in by_account.items():
        sender = account(db, account_id)
        try:
            if sender is None:  # the foreign key keeps it; a file changed by other tools may not
                raise smtplib.SMTPException(f"the mail account {account_id} no longer exists")
            server = connector(sender, password(sender) if callable(password) else password)
        except (OSError, smtplib.SMTPException, MailProblem, ValidationError) as error:
            # MailProblem: an OAuth2 sign-in that must be renewed (SignInRequired) or
            # a sign-in service away; the mail waits, with the reason, and is sent
            # at a later try once the person has signed in again.
            for entry in entries:
                _failed(db, entry, error, now, report, sender)
            continue
        try:
            for entry in entries:
                # Taken back (undo) or moved meanwhile, maybe by another process: not sent.
                if db.one(f"SELECT 1 FROM outbox WHERE id = ? AND {_RELEASED}", (entry["id"], now)) is None:
                    continue
                try:
                    server.send_message(build(entry, sender))
                except (OSError, smtplib.SMTPException) as error:
                    _failed(db, entry, error, now, report, sender)
                    continue
                with db.transaction() as conn:
                    conn.execute("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                                 "last_error = NULL WHERE id = ?", (now, entry["id"]))
                    audit.record(conn, db.actor, "ticket", entry["ticket_id"], "mail_sent",
                                 {"outbox_id": entry["id"], "to": entry["to_address"]}, at=now)
                report.sent += 1
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException) as error:  # the mail went; only the goodbye failed
                log.info("SMTP quit failed: %s", error)
    log.info("Outbox: %d sent, %d waiting to retry, %d failed", report.sent, report.waiting, report.failed)
    return report


def _failed(db: Database, entry, error: BaseException, now: str, report: DeliveryReport,
            sender: Account | None) -> None:
    attempts = entry["attempts"] + 1
    port = (sender.smtp_port or (465 if sender.smtp_security == "ssl" else 587)) if sender is not None else None
    reason = delivery.plain_reason(error, sender.smtp_host if sender is not None else None, port)
    pause = BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]
    status = "failed" if attempts >= MAX_ATTEMPTS else "queued"
    with db.transaction() as conn:
        conn.execute("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, status = ? WHERE id = ?",
                     (attempts, reason[:500],
                      clock.to_iso(clock.parse_iso(now) + timedelta(minutes=pause)), status, entry["id"]))
    report.error = reason
    log.warning("Mail %s to %s not sent (attempt %d, %s): %s (%s: %s)", entry["id"], entry["to_address"], attempts,
                status, reason, type(error).__name__, error)
    if status == "failed":
        report.failed += 1
    else:
        report.waiting += 1


def entries(db: Database, status: str | None = None) -> list[dict]:
    """The Outbox view: queued first, with the reason a mail is waiting."""
    rows = db.query("SELECT * FROM outbox" + (" WHERE status = ?" if status else "") +
                    " ORDER BY status = 'queued' DESC, id DESC LIMIT 500", (status,) if status else ())
    return [dict(r) for r in rows]
