"""Upgrading a file made before several mailboxes (schema 2): each mail
account gets a mailbox name, and its last UID moves to its folder (without a
UIDVALIDITY yet: the next fetch records it and reads on from that UID)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from amends.core.mail import fetch, mailboxes
from amends.core.workspace import open_database

V2 = Path(__file__).resolve().parents[1] / "fixtures" / "amends-v2.db"


def test_accounts_become_mailboxes_and_keep_their_position(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(V2, path)
    conn = sqlite3.connect(path)
    conn.executemany("INSERT INTO mail_accounts (name, from_address, smtp_host, smtp_port, imap_host, imap_port, "
                     "imap_user, imap_folder, last_uid) VALUES (?, ?, 'smtp.shop.example', 587, ?, 993, ?, ?, ?)",
                     [("Support", "Support@shop.example", "imap.shop.example", "support", "INBOX", 41),
                      ("Other shop", "support@other.example", None, None, "INBOX", None)])
    conn.commit()
    conn.close()
    db = open_database(path, "tester@host")
    try:
        boxes = mailboxes.all_mailboxes(db)
        assert [b.label for b in boxes] == ["support", "support@other.example"]
        assert [b.auth for b in boxes] == ["password", "password"]
        assert db.tuples("SELECT account_id, folder, uidvalidity, last_uid FROM mail_folders") == [
            (boxes[0].id, "INBOX", None, 41)]
        assert fetch.folder_state(db, boxes[0]) == (None, 41)
    finally:
        db.close()
