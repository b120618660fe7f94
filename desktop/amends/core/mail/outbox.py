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

from amends.core import audit, clock
from amends.core.errors import MailProblem, NotFound, ValidationError
from amends.core.mail import mailboxes, reference, security
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


def queue_reply(db: Database, message_id: int, account_id: int | None = None) -> int:
    """Queue a reply already stored on its ticket, addressed to the customer,
    threaded after the customer's last mail, from ``account_id`` or else the
    mailbox the ticket came in on, signed with that mailbox's signature."""
    ticket_id = db.scalar("SELECT ticket_id FROM messages WHERE id = ?", (message_id,))
    sender = account(db, account_id) if account_id else (
        mailboxes.for_ticket(db, ticket_id) if ticket_id is not None else account(db))
    if sender is None:
        raise ValidationError([("account", "no mail account is set up (Preferences → Mail)")])
    row = db.one("""SELECT m.id, m.ticket_id, m.body, m.direction, t.subject, c.email FROM messages m
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
    now = clock.now_iso()
    with db.transaction() as conn:
        conn.execute("UPDATE messages SET external_id = ? WHERE id = ?", (header_id, message_id))
        outbox_id = inserted_id(conn.execute(
            "INSERT INTO outbox (ticket_id, message_id, account_id, to_address, subject, body, header_message_id, "
            "in_reply_to, references_header, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["ticket_id"], message_id, sender.id, row["email"], subject, mailboxes.signed(row["body"], sender),
             header_id, inbound,
             " ".join(earlier) or None, now, now)))
        audit.record(conn, db.actor, "ticket", row["ticket_id"], "queue_mail",
                     {"outbox_id": outbox_id, "to": row["email"]}, at=now)
    return outbox_id


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


def deliver_due(db: Database, password: Secret = None, *, now: str | None = None,
                connector: Connect = connect) -> DeliveryReport:
    """Send what is due. A server that is away or refuses leaves the mail
    queued with the reason and the time of the next try."""
    now = now or clock.now_iso()
    report = DeliveryReport()
    due = db.query("SELECT * FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id", (now,))
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
                _failed(db, entry, error, now, report)
            continue
        try:
            for entry in entries:
                try:
                    server.send_message(build(entry, sender))
                except (OSError, smtplib.SMTPException) as error:
                    _failed(db, entry, error, now, report)
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


def _failed(db: Database, entry, error: BaseException, now: str, report: DeliveryReport) -> None:
    attempts = entry["attempts"] + 1
    pause = BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]
    status = "failed" if attempts >= MAX_ATTEMPTS else "queued"
    with db.transaction() as conn:
        conn.execute("UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, status = ? WHERE id = ?",
                     (attempts, f"{type(error).__name__}: {error}"[:500],
                      clock.to_iso(clock.parse_iso(now) + timedelta(minutes=pause)), status, entry["id"]))
    report.error = str(error)
    log.warning("Mail %s to %s not sent (attempt %d, %s): %s", entry["id"], entry["to_address"], attempts, status,
                error)
    if status == "failed":
        report.failed += 1
    else:
        report.waiting += 1


def entries(db: Database, status: str | None = None) -> list[dict]:
    """The Outbox view: queued first, with the reason a mail is waiting."""
    rows = db.query("SELECT * FROM outbox" + (" WHERE status = ?" if status else "") +
                    " ORDER BY status = 'queued' DESC, id DESC LIMIT 500", (status,) if status else ())
    return [dict(r) for r in rows]
