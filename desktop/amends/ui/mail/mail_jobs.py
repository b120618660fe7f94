"""The mail chores as workers (``ops``): deliver what is due and fetch new
mail, each mailbox with its own secret read on the UI thread (the keyring
is not thread-safe). Used by the mail controller and the Outbox."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QWidget,
)

from amends.core.errors import MailProblem
from amends.core.mail import fetch, mailboxes, outbox, secrets
from amends.core.store import Database
from amends.ui.common import ops
from amends.ui.common.messages import show_error

log = logging.getLogger("amends.ui.mail")

def send_due(parent: QWidget, db: Database, done, *, force: bool = False, reported=None) -> ops.Operation | None:
    """Deliver what is due (``force``: also what waits for its next try, but
    never a reply still held for Undo or Send later) in a worker, each
    mailbox signing in with its own secret. ``reported(report)``: after."""
    boxes = mailboxes.all_mailboxes(db)
    if not boxes:
        return None
    kept = {box.id: secrets.load(box.smtp_login) for box in boxes}  # read here: the keyring is not thread-safe

    def work(job: ops.Job):
        return outbox.deliver_due(job.db, lambda box: kept.get(box.id), force=force)

    def success(report) -> None:
        done()
        if reported is not None:
            reported(report)

    return ops.run(db, work, success=success, failure=lambda error: show_error(parent, error), parent=parent)


def fetch_mail(parent: QWidget, db: Database, done, only: list[int] | None = None) -> ops.Operation | None:
    """Fetch new mail for every mailbox with an IMAP server (or ``only``
    those), in one worker; one mailbox that fails does not stop the others."""
    boxes = [b for b in fetch.imap_mailboxes(db) if only is None or b.id in only]
    if not boxes:
        return None
    kept = {box.id: secrets.load(box.login) for box in boxes}

    def work(job: ops.Job) -> fetch.FetchReport:
        total = fetch.FetchReport()
        problems = []
        for box in boxes:
            try:
                report = fetch.fetch(job.db, box.id, kept[box.id], progress=job.report, cancelled=job.cancelled)
            except MailProblem as error:
                problems.append(f"{box.label}: {error}")
                continue
            total.messages += report.messages
            total.defective += report.defective
            total.unreadable += report.unreadable
            total.resynced = total.resynced or report.resynced
            total.answered += report.answered
        if problems and len(problems) == len(boxes):
            raise MailProblem(" ".join(problems))
        for problem in problems:
            log.warning("fetching: %s", problem)
        return total

    return ops.run(db, work, success=done, failure=lambda error: show_error(parent, error, parent.tr("Fetching mail")),
                   parent=parent)
