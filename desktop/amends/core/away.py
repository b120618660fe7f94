"""Away replies: per mailbox, 'off', 'hours' (outside business hours,
core/business_hours.py) or 'on' (on demand: holidays). A customer who
writes then gets one short mail saying when we are back: at most once per
customer per mailbox per day, and never to a machine (auto-replies,
bounces, mailing lists: RFC 3834; see core/mail/automatic.py), never to
one of our own mailboxes (two away replies would answer each other).

Only fetched mail is answered (mail/fetch.py calls :func:`answer_new`
inside its write): importing an old mbox must not mail a thousand people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amends.core import audit, business_hours, clock, signatures
from amends.core.errors import ValidationError
from amends.core.mail import mailboxes, outbox
from amends.core.store import Database

MODES = ("off", "hours", "on")
DEFAULT_TEXT = ("Hello {customer_first_name},\n\nThank you for your mail. We are away from the desk right now; "
                "we read every message and will answer as soon as we are back.\n\n{mailbox_name}\n")
SUBJECT = "We got your mail"


@dataclass(frozen=True)
class Away:
    mailbox_id: int
    mode: str
    text: str  # the reply, with signature placeholders ({customer_first_name}, {mailbox_name} …)


def get(db: Database, mailbox_id: int) -> Away:
    row = db.one("SELECT away_mode, away_text FROM mail_accounts WHERE id = ?", (mailbox_id,))
    if row is None:
        raise ValidationError([("mailbox", f"mailbox {mailbox_id} does not exist")])
    return Away(mailbox_id, row["away_mode"], row["away_text"] or DEFAULT_TEXT)


def set_away(db: Database, mailbox_id: int, mode: str, text: str | None = None) -> None:
    """Switch a mailbox's away reply (Preferences → Mailboxes)."""
    if mode not in MODES:
        raise ValidationError([("away_mode", f"one of {', '.join(MODES)}, not {mode!r}")])
    text = signatures.check(text or "", "away_text") or None
    with db.transaction() as conn:
        if conn.execute("UPDATE mail_accounts SET away_mode = ?, away_text = ?, version = version + 1 WHERE id = ?",
                        (mode, text, mailbox_id)).rowcount == 0:
            raise ValidationError([("mailbox", f"mailbox {mailbox_id} does not exist")])
        audit.record(conn, db.actor, "mail_account", mailbox_id, "away", {"mode": mode})


def is_away(db: Database, mailbox_id: int, at: datetime | None = None) -> bool:
    mode = get(db, mailbox_id).mode
    return mode == "on" or (mode == "hours" and not business_hours.load(db).is_open(at or clock.now()))


def answer_new(db: Database, box: mailboxes.Mailbox, parsed, *, now: datetime | None = None) -> int:
    """The fetch hook: an away reply to each person whose new mail came in
    while this mailbox is away (inside the fetch's transaction). Returns
    how many were queued."""
    now = now or clock.now()
    if not is_away(db, box.id, now):
        return 0
    settings = get(db, box.id)
    day = clock.to_iso(now)[:10]
    ours = {r[0].lower() for r in db.query("SELECT from_address FROM mail_accounts")}
    queued = 0
    for ticket in parsed.tickets:
        for message in ticket.messages:
            if message.direction != "in" or message.flag is not None or message.automatic or not message.external_id:
                continue
            row = db.one("""SELECT m.ticket_id, t.subject, c.email FROM messages m JOIN tickets t ON t.id = m.ticket_id
                            LEFT JOIN customers c ON c.id = t.customer_id WHERE m.external_id = ?""",
                         (message.external_id,))
            if row is None or not row["email"] or row["email"].lower() in ours:
                continue
            with db.transaction() as conn:
                if conn.execute("INSERT OR IGNORE INTO away_replies (account_id, address, day) VALUES (?, ?, ?)",
                                (box.id, row["email"], day)).rowcount == 0:
                    continue  # this person had today's away reply already
                body = signatures.render(settings.text, signatures.values_for(db, row["ticket_id"], box))
                outbox_id, _ = outbox.queue_mail(conn, db.actor, ticket_id=row["ticket_id"], sender=box,
                                                 to=row["email"], subject=f"Re: {row['subject']}", body=body,
                                                 kind="away", in_reply_to=message.external_id,
                                                 at=clock.to_iso(now))
                conn.execute("UPDATE away_replies SET outbox_id = ? WHERE account_id = ? AND address = ? AND day = ?",
                             (outbox_id, box.id, row["email"], day))
            queued += 1
    return queued
