"""Waiting for new mail (issue 12.3): IDLE where the server offers it (the
server tells at once), polling where it does not - both on a real Dovecot."""

from __future__ import annotations

import threading
import time

from amends.core.mail import fetch
from amends.core.mail.mailboxes import Mailbox

MAIL = b"From: Ada <ada@example.com>\nSubject: Hi\nMessage-ID: <idle@x>\n\nHello.\n"


def mailbox(server) -> Mailbox:
    return Mailbox(1, "hello", "Shop", "hello@shop.example", "127.0.0.1", 2525, "none", None,
                   imap_host="127.0.0.1", imap_port=server.port, imap_security="none", imap_user=server.user)


def append_later(server, seconds: float) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), server.append(MAIL)))
    thread.start()
    return thread


def test_idle_wakes_up_when_mail_arrives(imap_server):
    later = append_later(imap_server, 0.5)
    start = time.monotonic()
    assert fetch.wait_for_mail(mailbox(imap_server), imap_server.password, 20) is True
    assert time.monotonic() - start < 10, "the server said so; no waiting for a poll"
    later.join()


def test_idle_gives_up_quietly_and_can_be_cancelled(imap_server):
    start = time.monotonic()
    assert fetch.wait_for_mail(mailbox(imap_server), imap_server.password, 1.5) is False
    assert 1.0 < time.monotonic() - start < 6
    start = time.monotonic()
    assert fetch.wait_for_mail(mailbox(imap_server), imap_server.password, 60, cancelled=lambda: True) is False
    assert time.monotonic() - start < 5


def test_without_idle_the_folder_is_polled(imap_server_without_idle):
    server = imap_server_without_idle
    client = server.client()
    assert "IDLE" not in client.capabilities
    client.logout()
    later = append_later(server, 0.3)
    assert fetch.wait_for_mail(mailbox(server), server.password, 20, poll_seconds=0.5) is True
    later.join()
    assert fetch.wait_for_mail(mailbox(server), server.password, 1, poll_seconds=0.3) is False


def test_polling_notices_a_cancel_within_a_second_not_at_the_next_poll(imap_server_without_idle):
    """The app stops its watchers when it closes: a poll every minute must
    not hold the window's close (or the process's exit) for that minute."""
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    start = time.monotonic()
    assert fetch.wait_for_mail(mailbox(imap_server_without_idle), imap_server_without_idle.password, 120,
                               cancelled=stop.is_set, poll_seconds=30) is False
    assert time.monotonic() - start < 5


def test_mail_that_came_between_the_fetch_and_the_watch_is_not_missed(imap_server):
    """The app starts watching after a fetch ends; a mail that arrives in
    between is already in the folder when IDLE begins, so IDLE never
    announces it (seen in a full run: the reply waited for the next fetch).
    Given the last UID fetched, the watch sees it at once, IDLE or polling."""
    imap_server.append(MAIL)  # in the folder before the watch starts, after a fetch that saw nothing
    start = time.monotonic()
    assert fetch.wait_for_mail(mailbox(imap_server), imap_server.password, 20, since_uid=0) is True
    assert time.monotonic() - start < 10, "it was already there: no waiting for the next one"
    assert fetch.wait_for_mail(mailbox(imap_server), imap_server.password, 1, since_uid=1) is False


def test_polling_also_sees_mail_that_came_before_the_watch(imap_server_without_idle):
    server = imap_server_without_idle
    server.append(MAIL)
    assert fetch.wait_for_mail(mailbox(server), server.password, 20, poll_seconds=5, since_uid=0) is True
