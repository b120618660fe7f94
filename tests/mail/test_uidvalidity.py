"""IMAP that never skips (issue 12.3): a UID means something only with its
folder's UIDVALIDITY. When the server starts the folder over (recreated,
restored, or given a new UIDVALIDITY with doveadm), every message is read
again and what is here already is left out: none skipped, none twice."""

from __future__ import annotations

from amends.core import tickets
from amends.core.mail import fetch, outbox


def mail(n: int, *, reply_to: int | None = None) -> bytes:
    thread = f"In-Reply-To: <m{reply_to}@mail.example.com>\n" if reply_to else ""
    return (f"From: Customer {n} <c{n}@example.com>\nSubject: Question {n}\n"
            f"Date: Mon, 05 Jan 2026 10:{n:02d}:00 +0000\nMessage-ID: <m{n}@mail.example.com>\n{thread}\n"
            f"Question number {n}.\n").encode()


def mailbox(db, server, folder: str = "INBOX") -> int:
    account_id = outbox.add_account(db, "Support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=2525,
                                    smtp_security="none")
    fetch.set_imap(db, account_id, host="127.0.0.1", port=server.port, security="none", user=server.user,
                   folder=folder)
    return account_id


def stored_ids(db) -> list[str]:
    return sorted(r[0] for r in db.query("SELECT external_id FROM messages"))


def test_a_recreated_folder_is_read_again_none_skipped_none_twice(db, imap_server):
    imap_server.create("Support")
    account_id = mailbox(db, imap_server, "Support")
    for n in (1, 2, 3):
        imap_server.append(mail(n), folder="Support")
    assert fetch.fetch(db, account_id, imap_server.password).messages == 3
    before = imap_server.uidvalidity("Support")
    # The server starts the folder over: the old mail comes back under new
    # UIDs 1..5, with two new messages among it (UID 1 is new).
    imap_server.delete("Support")
    imap_server.create("Support")
    if imap_server.uidvalidity("Support") == before:  # same second: make the server say so for sure
        imap_server.doveadm("mailbox", "update", "-u", imap_server.user, "--uid-validity", str(before + 7),
                            "Support")
    assert imap_server.uidvalidity("Support") != before
    for n in (4, 1, 2, 5, 3):
        imap_server.append(mail(n), folder="Support")
    fetch.fetch(db, account_id, imap_server.password)
    assert stored_ids(db) == [f"<m{n}@mail.example.com>" for n in (1, 2, 3, 4, 5)], "none skipped, none twice"
    assert db.scalar("SELECT count(*) FROM tickets") == 5
    imap_server.append(mail(6), folder="Support")
    assert fetch.fetch(db, account_id, imap_server.password).messages == 1, "and it goes on from there"


def test_a_new_uidvalidity_from_doveadm_resyncs_without_touching_triaged_tickets(db, imap_server):
    account_id = mailbox(db, imap_server)
    imap_server.append(mail(1))
    imap_server.append(mail(2))
    fetch.fetch(db, account_id, imap_server.password)
    first = db.one("SELECT id, version FROM tickets WHERE ref = 'mail:<m1@mail.example.com>'")
    tickets.update(db, first["id"], first["version"], category="damaged_shipment", assignee="ada", status="pending")
    validity = imap_server.uidvalidity()
    imap_server.doveadm("mailbox", "update", "-u", imap_server.user, "--uid-validity", str(validity + 1000),
                        "INBOX")
    imap_server.append(mail(3, reply_to=1))
    report = fetch.fetch(db, account_id, imap_server.password)
    assert report.resynced and report.uidvalidity == validity + 1000
    assert report.messages == 1 and report.already_here == 2
    assert stored_ids(db) == [f"<m{n}@mail.example.com>" for n in (1, 2, 3)]
    ticket = db.one("SELECT category, assignee, status FROM tickets WHERE id = ?", (first["id"],))
    assert tuple(ticket) == ("damaged_shipment", "ada", "pending"), "triage kept (it was not reset to other)"
    assert db.one("SELECT uidvalidity, last_uid FROM mail_folders")[0] == validity + 1000
    assert fetch.fetch(db, account_id, imap_server.password).messages == 0, "no resync the second time"


def test_batches_one_round_trip_and_one_transaction_each(db, imap_server):
    account_id = mailbox(db, imap_server)
    for n in range(1, 12):
        imap_server.append(mail(n))
    seen = []
    report = fetch.fetch(db, account_id, imap_server.password, progress=lambda done, total: seen.append((done, total)),
                         batch_size=5)
    assert seen == [(5, 11), (10, 11), (11, 11)]
    assert report.messages == 11 and report.last_uid == 11
    audited = db.query("SELECT change FROM audit_log WHERE action = 'fetch' ORDER BY id")
    assert len(audited) == 3, "one transaction (and audit entry) per batch"
