"""Fetching the next batch while the one before is read and written (issue
12.3's speed): every message still arrives once, in order, threaded across
batches, the position saved per batch; stopping in the middle keeps what was
written, leaves no thread behind, and the next fetch goes on from there."""

from __future__ import annotations

import threading

import pytest
from amends.core.errors import Cancelled
from amends.core.mail import fetch

from tests.mail.test_uidvalidity import mail, mailbox, stored_ids


def _fetch_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("imap-fetch")]


def test_many_batches_arrive_once_in_order_threaded_across_batches(db, imap_server):
    account_id = mailbox(db, imap_server)
    imap_server.append_many([mail(n, reply_to=n - 4 if n % 5 == 0 else None) for n in range(1, 12)])
    seen: list[tuple[int, int]] = []
    report = fetch.fetch(db, account_id, imap_server.password, batch_size=3,
                         progress=lambda done, total: seen.append((done, total)))
    assert report.messages == 11 and report.last_uid == 11
    assert seen == [(3, 11), (6, 11), (9, 11), (11, 11)]
    assert stored_ids(db) == sorted(f"<m{n}@mail.example.com>" for n in range(1, 12))
    # the replies (5 to 1, 10 to 6) joined their tickets, also from the batch before
    assert db.scalar("SELECT count(*) FROM tickets") == 9
    assert db.scalar("SELECT last_uid FROM mail_folders WHERE account_id = ?", (account_id,)) == 11
    assert fetch.fetch(db, account_id, imap_server.password, batch_size=3).messages == 0
    assert not _fetch_threads()


def test_stopping_after_a_batch_keeps_it_and_the_next_fetch_goes_on(db, imap_server):
    account_id = mailbox(db, imap_server)
    imap_server.append_many([mail(n) for n in range(1, 8)])
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 1  # after the first batch is written

    with pytest.raises(Cancelled):
        fetch.fetch(db, account_id, imap_server.password, batch_size=3, cancelled=cancelled)
    assert stored_ids(db) == [f"<m{n}@mail.example.com>" for n in (1, 2, 3)]
    assert db.scalar("SELECT last_uid FROM mail_folders WHERE account_id = ?", (account_id,)) == 3
    assert not _fetch_threads(), "the batch on its way was waited for, the thread is gone"
    assert fetch.fetch(db, account_id, imap_server.password, batch_size=3).messages == 4
    assert stored_ids(db) == sorted(f"<m{n}@mail.example.com>" for n in range(1, 8))
