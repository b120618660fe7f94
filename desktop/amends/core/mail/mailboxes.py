"""Several mailboxes (hello@, billing@ ...): each one is an address with its
own display name, signature, default category and assignee, its own IMAP
folder and SMTP server. A ticket remembers the mailbox it came in on, so
its replies go out from the address the customer wrote to.

Signing in lives in ONE place per protocol (:func:`authenticate_imap`,
:func:`authenticate_smtp`), keyed by the mailbox's ``auth`` kind, so that a
new kind (OAuth2) is added there and nowhere else."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from amends.core import audit, clock
from amends.core.errors import ConflictError, NotFound, ValidationError
from amends.core.mail import oauth_settings, security
from amends.core.mail.security import SECURITY
from amends.core.store import Database
from amends.core.store.rowids import inserted_id
from amends.core.vocabulary import CATEGORIES

if TYPE_CHECKING:  # imported where a session is opened: the inbox reads mailboxes at start-up, not servers
    import imaplib
    import smtplib
# oauth.py (the sign-in flow: a loopback HTTP server, requests, authlib) likewise,
# in the two authenticate functions: reading a mailbox needs only its saved settings.

#: How a mailbox signs in. OAuth2 kinds are added here (and in the two
#: authenticate functions); the table does not restrict the column.
AUTH: tuple[str, ...] = ("password", *oauth_settings.KINDS)
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


@dataclass(frozen=True)
class Mailbox:
    id: int
    label: str                   # the short name people filter by: mailbox:billing
    name: str                    # display name in From
    from_address: str
    smtp_host: str | None
    smtp_port: int | None
    smtp_security: str
    smtp_user: str | None
    imap_host: str | None = None
    imap_port: int | None = None
    imap_security: str = "ssl"
    imap_user: str | None = None
    imap_folder: str = "INBOX"
    fetch_minutes: int = 5
    signature: str | None = None
    default_category: str | None = None
    default_assignee: str | None = None
    auth: str = "password"
    version: int = 1
    oauth: oauth_settings.Client | None = None   # client id (and tenant ...) for the OAuth2 kinds of ``auth``

    @property
    def login(self) -> str:
        """The IMAP user name; also the name its IMAP secret is kept under."""
        return self.imap_user or self.from_address

    @property
    def smtp_login(self) -> str:
        """The name its SMTP secret is kept under."""
        return self.smtp_user or self.from_address


def _from_row(row) -> Mailbox:
    return Mailbox(row["id"], row["label"] or row["from_address"], row["name"], row["from_address"],
                   row["smtp_host"], row["smtp_port"], row["smtp_security"], row["smtp_user"], row["imap_host"],
                   row["imap_port"], row["imap_security"], row["imap_user"], row["imap_folder"],
                   row["fetch_minutes"], row["signature"], row["default_category"], row["default_assignee"],
                   row["auth"], row["version"], oauth_settings.from_row(row))


def all_mailboxes(db: Database) -> list[Mailbox]:
    """The mailboxes in use, oldest first (the first is the default sender)."""
    return [_from_row(r) for r in db.query("SELECT * FROM mail_accounts WHERE removed_at IS NULL ORDER BY id")]


def labels(db: Database) -> list[str]:
    """Mailbox names for the search box's completion (mailbox:NAME)."""
    return [m.label for m in all_mailboxes(db)]


def get(db: Database, mailbox_id: int) -> Mailbox:
    row = db.one("SELECT * FROM mail_accounts WHERE id = ?", (mailbox_id,))
    if row is None:
        raise NotFound(f"Mailbox {mailbox_id} does not exist.")
    return _from_row(row)


def by_label(db: Database, label: str) -> Mailbox:
    """The mailbox named ``label`` (or with that address); a clear error
    listing the names there are otherwise."""
    wanted = label.strip().lower()
    for mailbox in all_mailboxes(db):
        if wanted in (mailbox.label.lower(), mailbox.from_address.lower()):
            return mailbox
    known = ", ".join(labels(db)) or "none is set up yet"
    raise ValidationError([("mailbox", f"no mailbox is called {label!r} (mailboxes: {known})")])


def for_ticket(db: Database, ticket_id: int) -> Mailbox | None:
    """The mailbox a reply on this ticket goes out from: the one it came in
    on, else the first one there is."""
    row = db.one("SELECT a.* FROM tickets t JOIN mail_accounts a ON a.id = t.mailbox_id "
                 "WHERE t.id = ? AND a.removed_at IS NULL", (ticket_id,))
    if row is not None:
        return _from_row(row)
    boxes = all_mailboxes(db)
    return boxes[0] if boxes else None


def _problems(box: Mailbox, db: Database) -> list[tuple[str, str]]:
    problems = []
    if not _LABEL.fullmatch(box.label or ""):
        problems.append(("label", f"{box.label!r}: a short name of letters, digits and . _ @ + - (up to 64), "
                                  "without spaces"))
    elif db.scalar("SELECT count(*) FROM mail_accounts WHERE label = ? COLLATE NOCASE AND removed_at IS NULL "
                   "AND id <> ?", (box.label, box.id)):
        problems.append(("label", f"another mailbox is already called {box.label!r}"))
    if "@" not in box.from_address or " " in box.from_address.strip():
        problems.append(("from_address", f"{box.from_address!r} is not an email address"))
    if not (box.smtp_host or "").strip():
        problems.append(("smtp_host", "an SMTP server is needed to send"))
    if box.smtp_port is None or not 0 < int(box.smtp_port) < 65536:
        problems.append(("smtp_port", "a port between 1 and 65535"))
    if box.smtp_security not in SECURITY:
        problems.append(("smtp_security", "ssl, starttls or none"))
    if box.imap_host is not None:
        if not box.imap_host.strip():
            problems.append(("imap_host", "an IMAP server is needed to fetch"))
        if box.imap_port is None or not 0 < int(box.imap_port) < 65536:
            problems.append(("imap_port", "a port between 1 and 65535"))
        if box.imap_security not in SECURITY:
            problems.append(("imap_security", "ssl, starttls or none"))
        if not 1 <= box.fetch_minutes <= 1440:
            problems.append(("fetch_minutes", "between 1 and 1440 minutes"))
    if box.default_category is not None and box.default_category not in CATEGORIES:
        problems.append(("default_category", f"{box.default_category!r} is not a category (one of "
                                             f"{', '.join(CATEGORIES)})"))
    if box.auth not in AUTH:
        problems.append(("auth", f"{box.auth!r}: one of {', '.join(AUTH)}"))
    problems.extend(oauth_settings.problems(box.auth, box.oauth))
    return problems


def _check(db: Database, box: Mailbox) -> None:
    problems = _problems(box, db)
    if problems:
        raise ValidationError(problems)
    security.check(box.smtp_host or "", box.smtp_security, "smtp_security")
    if box.imap_host:
        security.check(box.imap_host, box.imap_security, "imap_security")


_COLUMNS = ("label", "name", "from_address", "smtp_host", "smtp_port", "smtp_security", "smtp_user", "imap_host",
            "imap_port", "imap_security", "imap_user", "imap_folder", "fetch_minutes", "signature",
            "default_category", "default_assignee", "auth", *oauth_settings.COLUMNS)


def _values(box: Mailbox) -> tuple:
    return tuple(getattr(box, c) for c in _COLUMNS[:-len(oauth_settings.COLUMNS)]) + oauth_settings.columns(box.oauth)


def add(db: Database, box: Mailbox) -> int:
    """Save a new mailbox (``box.id`` is ignored); every wrong field is named."""
    box = replace(box, id=0, label=(box.label or box.from_address.split("@", 1)[0]).strip(),
                  from_address=box.from_address.strip())
    _check(db, box)
    with db.transaction() as conn:
        mailbox_id = inserted_id(conn.execute(
            f"INSERT INTO mail_accounts ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            _values(box)))
        audit.record(conn, db.actor, "mail_account", mailbox_id, "create",
                     {"mailbox": box.label, "from": box.from_address,
                      "smtp": f"{box.smtp_host}:{box.smtp_port} ({box.smtp_security})",
                      **({"imap": f"{box.imap_host}:{box.imap_port} ({box.imap_security})"} if box.imap_host else {})})
    return mailbox_id


def update(db: Database, box: Mailbox) -> None:
    """Save changes to a mailbox read at ``box.version``; a change made by
    someone else meanwhile is a conflict, not overwritten."""
    _check(db, box)
    with db.transaction() as conn:
        changed = conn.execute(
            f"UPDATE mail_accounts SET {', '.join(c + ' = ?' for c in _COLUMNS)}, version = version + 1 "
            "WHERE id = ? AND version = ? AND removed_at IS NULL", (*_values(box), box.id, box.version)).rowcount
        if not changed:
            if conn.execute("SELECT 1 FROM mail_accounts WHERE id = ? AND removed_at IS NULL", (box.id,)).fetchone():
                raise ConflictError("mail_account", box.id, message=f"The mailbox {box.label!r} was changed by "
                                    "someone else since you opened it; nothing was saved.")
            raise NotFound(f"Mailbox {box.id} does not exist.")
        if box.imap_host:  # a UID only means something on the folder it came from
            conn.execute("DELETE FROM mail_folders WHERE account_id = ? AND folder <> ?", (box.id, box.imap_folder))
        audit.record(conn, db.actor, "mail_account", box.id, "update", {"mailbox": box.label})


def remove(db: Database, mailbox_id: int) -> None:
    """Stop using a mailbox. It is kept hidden (sent mail and tickets still
    point at it); its tickets' replies go out from the first mailbox left.
    Refused while mail from it waits in the outbox."""
    box = get(db, mailbox_id)
    with db.transaction() as conn:
        waiting = conn.execute("SELECT count(*) FROM outbox WHERE account_id = ? AND status = 'queued'",
                               (mailbox_id,)).fetchone()[0]
        if waiting:
            raise ValidationError([("mailbox", f"{waiting} mail(s) from {box.label!r} still wait in the outbox; "
                                               "send or cancel them first")])
        conn.execute("UPDATE mail_accounts SET removed_at = ?, version = version + 1 WHERE id = ?",
                     (clock.now_iso(), mailbox_id))
        conn.execute("DELETE FROM mail_folders WHERE account_id = ?", (mailbox_id,))
        audit.record(conn, db.actor, "mail_account", mailbox_id, "remove", {"mailbox": box.label})


def signed(body: str, box: Mailbox) -> str:
    """A reply's text with the mailbox's signature (after the usual '-- ')."""
    signature = (box.signature or "").strip()
    if not signature:
        return body
    return f"{body.rstrip()}\n\n-- \n{signature}\n"


# -- signing in: one function per protocol ------------------------------------

def authenticate_imap(client: imaplib.IMAP4, box: Mailbox, secret: str | None) -> None:
    """Sign in to an open IMAP session the way the mailbox says.
    Raises imaplib.IMAP4.error when the server refuses."""
    import imaplib

    from amends.core.mail import oauth

    if box.auth == "password":
        client.login(box.login, secret or "")
        return
    if box.auth in oauth.KINDS:
        provider = oauth.provider(box.auth, box.oauth)
        for renew in (False, True):  # a token the server refuses early (revoked) is renewed once
            token = oauth.access_token(provider, box.login, renew=renew)
            try:
                answer = oauth.xoauth2(box.login, token).encode()
                client.authenticate("XOAUTH2", lambda _challenge: answer)  # noqa: B023 (called at once, inside)
                return
            except imaplib.IMAP4.error:
                if renew:
                    raise
        return
    raise ValidationError([("auth", f"{box.auth!r}: one of {', '.join(AUTH)}")])


def authenticate_smtp(server: smtplib.SMTP, box: Mailbox, secret: str | None) -> None:
    """Sign in to an open SMTP session the way the mailbox says (a server
    without a user name set is used without signing in: a local relay)."""
    import smtplib

    from amends.core.mail import oauth

    if box.auth == "password":
        if box.smtp_user and secret:
            server.login(box.smtp_user, secret)
        return
    if box.auth in oauth.KINDS:
        provider, user = oauth.provider(box.auth, box.oauth), box.smtp_user or box.login
        server.ehlo_or_helo_if_needed()
        for renew in (False, True):
            token = oauth.access_token(provider, box.login, renew=renew)
            try:  # after a refusal the server asks once more (334 + its reason): an empty answer ends it
                server.auth("XOAUTH2", lambda challenge=None, token=token: "" if challenge else oauth.xoauth2(user, token),
                            initial_response_ok=True)
                return
            except smtplib.SMTPAuthenticationError:
                if renew:
                    raise
        return
    raise ValidationError([("auth", f"{box.auth!r}: one of {', '.join(AUTH)}")])
