"""Where each reply stands: queued (held for undo, scheduled, waiting for the
server), sent, failed (with the reason in plain words), or not sent because
no mailbox could send it. A reply must never look sent when it was not: the
bubble and the inbox row read their state from here.

Also the one place a library's exception becomes the sentence a person
reads ("the mail server refused the connection (host:port)"), stored in the
outbox instead of ``ConnectionRefusedError: [Errno 111]``."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass

from amends.core import clock
from amends.core.errors import AmendsError
from amends.core.store import Database

#: Shown for a reply recorded while no mailbox was set up.
NO_MAILBOX = "not sent — no mailbox"

#: What the inbox list marks, worst first ('draft': my reply being written, not sent).
LIST_ORDER = ("failed", "not_sent", "queued", "draft")


@dataclass(frozen=True)
class Delivery:
    """One reply's state. ``state``: 'queued', 'sent', 'failed' or 'not_sent';
    ``held_until``: the outbox will not send before it (undo, send later);
    ``retrying``: a failed mail the outbox tries again at ``next_attempt_at``."""

    message_id: int
    state: str
    outbox_id: int | None = None
    reason: str | None = None
    sent_at: str | None = None
    held_until: str | None = None
    next_attempt_at: str | None = None
    attempts: int = 0

    @property
    def retrying(self) -> bool:
        return self.state == "failed" and self.next_attempt_at is not None

    def words(self, now: str | None = None) -> str:
        """The bubble's line, in plain words."""
        now = now or clock.now_iso()
        if self.state == "sent":
            return f"sent {_hm(self.sent_at)}"
        if self.state == "not_sent":
            return self.reason or NO_MAILBOX
        if self.state == "failed":
            again = f" — trying again at {_hm(self.next_attempt_at)}" if self.retrying else ""
            return f"not sent: {self.reason or 'the mail server did not take it'}{again}"
        if self.held_until and self.held_until > now:
            return f"queued — will be sent at {_hm(self.held_until)}"
        return "queued — sending"


def _hm(iso: str | None) -> str:
    """Said in UTC, and says so (the stored times are UTC)."""
    return (iso or "")[:16].replace("T", " ") + " UTC"


def for_messages(db: Database, message_ids: list[int]) -> dict[int, Delivery]:
    """The state of each of these replies that went to the outbox or could
    not (replies imported from elsewhere have none)."""
    if not message_ids:
        return {}
    marks = ",".join("?" * len(message_ids))
    found: dict[int, Delivery] = {}
    for row in db.query(f"SELECT message_id, reason FROM unsent_replies WHERE message_id IN ({marks})",
                        tuple(message_ids)):
        found[row["message_id"]] = Delivery(row["message_id"], "not_sent", reason=row["reason"])
    for row in db.query(f"SELECT * FROM outbox WHERE message_id IN ({marks}) ORDER BY id", tuple(message_ids)):
        found[row["message_id"]] = from_row(row)
    return found


def from_row(row) -> Delivery:
    """An outbox row as a state: a queued mail whose last try failed is
    'failed' (retrying), so the reason shows at once, not after 30 tries."""
    if row["status"] == "sent":
        return Delivery(row["message_id"], "sent", row["id"], sent_at=row["sent_at"], attempts=row["attempts"])
    if row["status"] == "failed":
        return Delivery(row["message_id"], "failed", row["id"], reason=row["last_error"], attempts=row["attempts"])
    if row["attempts"] and row["last_error"]:
        return Delivery(row["message_id"], "failed", row["id"], reason=row["last_error"],
                        next_attempt_at=row["next_attempt_at"], attempts=row["attempts"],
                        held_until=row["not_before"])
    return Delivery(row["message_id"], "queued", row["id"], held_until=row["not_before"],
                    next_attempt_at=row["next_attempt_at"], attempts=row["attempts"])


def for_tickets(db: Database, ticket_ids: list[int], actor: str | None = None) -> dict[int, str]:
    """Per ticket, the worst state among its replies that are not sent
    ('failed', 'not_sent', 'queued'; with ``actor``, 'draft' for that person's
    reply draft); tickets whose replies all went are absent."""
    if not ticket_ids:
        return {}
    marks = ",".join("?" * len(ticket_ids))
    drafts = "" if actor is None else f"""UNION ALL SELECT ticket_id, 'draft' FROM drafts
                                          WHERE actor = ? AND kind = 'reply' AND ticket_id IN ({marks})"""
    rows = db.query(f"""SELECT ticket_id, CASE WHEN status = 'failed' OR (attempts > 0 AND last_error IS NOT NULL)
                               THEN 'failed' ELSE 'queued' END AS state
                        FROM outbox WHERE kind = 'reply' AND status <> 'sent' AND ticket_id IN ({marks})
                        UNION ALL
                        SELECT m.ticket_id, 'not_sent' FROM unsent_replies u JOIN messages m ON m.id = u.message_id
                        WHERE m.ticket_id IN ({marks}) {drafts}""",
                    tuple(ticket_ids) * 2 + (() if actor is None else (actor, *ticket_ids)))
    worst: dict[int, str] = {}
    for row in rows:
        known = worst.get(row["ticket_id"])
        if known is None or LIST_ORDER.index(row["state"]) < LIST_ORDER.index(known):
            worst[row["ticket_id"]] = row["state"]
    return worst


def plain_reason(error: BaseException, host: str | None, port: int | None) -> str:
    """Why a mail did not go, for a person: what happened and where."""
    where = f"{host or '?'}:{port or '?'}"
    if isinstance(error, ConnectionRefusedError):
        return f"the mail server refused the connection ({where})"
    if isinstance(error, socket.gaierror):
        return f"the mail server's name {host!r} was not found (is this computer online?)"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return f"the mail server did not answer in time ({where})"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the mail server's certificate is not trusted ({where}: {error.verify_message})"
    if isinstance(error, ssl.SSLError):
        return f"the secure connection to the mail server failed ({where}: {error.reason or error})"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"the mail server did not accept the user name or password ({where})"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        addresses = ", ".join(error.recipients)
        return f"the mail server refused the address {addresses} ({where})"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"the mail server refused the sender address {error.sender} ({where})"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"the mail server closed the connection ({where})"
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) \
            else str(error.smtp_error)
        return f"the mail server answered {error.smtp_code}: {text} ({where})"
    if isinstance(error, (AmendsError, smtplib.SMTPException)):
        return str(error)
    if isinstance(error, OSError):
        return f"the mail server could not be reached ({where}: {error.strerror or error})"
    return str(error)
