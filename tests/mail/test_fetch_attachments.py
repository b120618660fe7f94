"""Files of fetched mail are kept (real Dovecot on loopback): the 10 MB photo
of the crushed box, the inline logo, the PDF and the .exe, byte for byte."""

from __future__ import annotations

import hashlib

from amends.core import attachments
from amends.core.importers import import_file
from amends.core.mail import fetch

from tests.attachment_mail import EXE, PDF, claim, photo, png
from tests.mail.test_fetch import account


def test_fetched_mail_keeps_its_files_byte_for_byte(db, imap_server):
    account_id = account(db, imap_server)
    box = photo()
    imap_server.append(claim(big_photo=box))
    assert fetch.fetch(db, account_id, imap_server.password).messages == 1
    message_id = db.scalar("SELECT id FROM messages")
    files = attachments.for_messages(db, [message_id])[message_id]
    assert [(f.name, f.size, f.kept) for f in files] == [
        ("logo.png", len(png()), True), ("crushed box.jpg", len(box), True), ("receipt.pdf", len(PDF), True),
        ("tool.exe", len(EXE), True)]
    assert files[1].sha256 == hashlib.sha256(box).hexdigest()
    assert attachments.content(db, files[1].id) == box
    html = db.scalar("SELECT html FROM messages")
    assert f"amends-attachment:{files[0].id}" in attachments.inline_html(html, files)
    assert fetch.fetch(db, account_id, imap_server.password).messages == 0
    assert db.scalar("SELECT count(*) FROM attachments") == 4, "fetching again adds no file"


def test_the_same_mail_from_an_mbox_and_from_imap_is_one_message_with_one_copy_of_each_file(db, imap_server,
                                                                                             tmp_path):
    raw = claim(big_photo=photo(80_000, seed=8))
    mbox = tmp_path / "export.mbox"
    mbox.write_bytes(b"From ada@example.com Mon Jan  5 10:00:00 2026\n" + raw.replace(b"\r\n", b"\n") + b"\n")
    assert import_file(db, mbox).written
    account_id = account(db, imap_server)
    imap_server.append(raw)
    assert fetch.fetch(db, account_id, imap_server.password).messages == 0
    assert db.scalar("SELECT count(*) FROM attachments") == 4
    assert db.scalar("SELECT count(*) FROM attachment_contents") == 4
