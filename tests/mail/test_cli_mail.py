"""``amends mail fetch`` and ``amends mail test`` as real processes against
a real Dovecot: several mailboxes, progress on stderr, plain verdicts."""

from __future__ import annotations

import json
import subprocess

from amends.core.mail import mailboxes
from amends.core.mail.mailboxes import Mailbox
from amends.core.workspace import open_database

from tests.cli.test_cli import BIN, amends
from tests.mail.test_outbox import free_port


def mail(n: int) -> bytes:
    return (f"From: Customer {n} <c{n}@example.com>\nSubject: Question {n}\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n"
            f"Message-ID: <cli{n}@mail.example.com>\n\nQuestion number {n}.\n").encode()


def setup(tmp_path, server, smtp_port: int = 2525):
    path = tmp_path / "shop.db"
    db = open_database(path, "tester@host")
    for label, user in (("hello", "support"), ("billing", "billing")):
        mailboxes.add(db, Mailbox(0, label, f"Shop {label}", f"{label}@shop.example", "127.0.0.1", smtp_port, "none",
                                  None, imap_host="127.0.0.1", imap_port=server.port, imap_security="none",
                                  imap_user=user, default_category="billing" if label == "billing" else None))
    db.close()
    return path


def test_mail_fetch_per_mailbox_with_progress_on_stderr(tmp_path, imap_server):
    path = setup(tmp_path, imap_server)
    imap_server.append_many([mail(n) for n in range(250)], user="support")
    imap_server.append(mail(999), user="billing")
    result = amends("--db", str(path), "mail", "fetch", "--mailbox", "hello",
                    env={"AMENDS_MAIL_PASSWORD": imap_server.users["support"]})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello: 250 new message(s), 0 here already, 0 kept with a defect\n"
    assert result.stderr.splitlines() == ["hello: 200/250 messages", "hello: 250/250 messages"]
    command = [str(BIN), "--db", str(path), "mail", "fetch", "--mailbox", "billing", "--password-stdin"]
    typed = subprocess.run(command, input=imap_server.users["billing"] + "\n", capture_output=True, text=True,
                           timeout=60)
    assert typed.returncode == 0 and typed.stdout.startswith("billing: 1 new message(s)"), typed.stderr
    db = open_database(path, "tester@host")
    try:
        assert db.tuples("SELECT a.label, t.category, count(*) FROM tickets t JOIN mail_accounts a "
                         "ON a.id = t.mailbox_id GROUP BY 1, 2 ORDER BY 1") == [("billing", "billing", 1),
                                                                                 ("hello", "other", 250)]
    finally:
        db.close()
    # Every mailbox at once, one password for both: billing's is refused, hello goes on.
    again = amends("--db", str(path), "mail", "fetch", env={"AMENDS_MAIL_PASSWORD": imap_server.users["support"]})
    assert again.returncode == 1 and again.stdout.startswith("hello: 0 new message(s)")
    assert "amends: billing: Could not reach the mail server" in again.stderr and "Traceback" not in again.stderr


def test_mail_test_says_what_is_wrong_per_protocol(tmp_path, imap_server):
    closed = free_port()
    path = setup(tmp_path, imap_server, smtp_port=closed)
    result = amends("--db", str(path), "mail", "test", "--mailbox", "hello", "--json",
                    env={"AMENDS_MAIL_PASSWORD": imap_server.users["support"]})
    assert result.returncode == 1, result.stderr
    [report] = json.loads(result.stdout)
    assert report["mailbox"] == "hello" and report["ok"] is False
    assert [(r["protocol"], r["ok"], r["problem"]) for r in report["results"]] == [("imap", True, None),
                                                                                   ("smtp", False, "refused")]
    text = amends("--db", str(path), "mail", "test", env={"AMENDS_MAIL_PASSWORD": "wrong"})
    lines = text.stdout.splitlines()
    assert lines[0] == f"hello: FAILED: IMAP: 127.0.0.1:{imap_server.port} refused the user name or password for 'support'."
    assert lines[1].startswith(f"hello: FAILED: SMTP: nothing answers on 127.0.0.1:{closed} (connection refused)")
    assert lines[2].startswith("billing: FAILED: IMAP:") and len(lines) == 4


def test_mail_arguments_and_unknown_mailboxes(tmp_path, imap_server):
    path = setup(tmp_path, imap_server)
    assert amends("--db", str(path), "mail").returncode == 2
    assert amends("--db", str(path), "mail", "fetch", "--mailbox").returncode == 2
    unknown = amends("--db", str(path), "mail", "fetch", "--mailbox", "sales")
    assert unknown.returncode == 1 and "no mailbox is called 'sales' (mailboxes: hello, billing)" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    listed = amends("--db", str(path), "mail", "list", "--json")
    assert [m["name"] for m in json.loads(listed.stdout)] == ["hello", "billing"]
