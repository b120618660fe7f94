"""Attachments kept and shown (issue 12.5): stored by SHA-256 in the
database, listed on their message, carried by the exchange format and by
backups, a size limit with a note, inline cid: images from the stored
parts."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from amends.core import attachments, backups, tickets
from amends.core.exporters.amends import write_document
from amends.core.importers import import_file
from amends.core.mail import html_text
from amends.core.workspace import open_database

from tests.attachment_mail import EXE, PDF, claim, photo, png
from tests.conftest import ACTOR


def _import(db, tmp_path, raw: bytes, name: str = "claim.eml"):
    path = tmp_path / name
    path.write_bytes(raw)
    report = import_file(db, path)
    assert report.written and not report.errors, report.errors
    return db.scalar("SELECT id FROM messages ORDER BY id DESC LIMIT 1")


def test_an_eml_claim_keeps_every_file_listed_on_its_message(db, tmp_path):
    box = photo(300_000)
    message_id = _import(db, tmp_path, claim(big_photo=box))
    files = attachments.for_messages(db, [message_id])[message_id]
    assert [(f.name, f.type, f.size) for f in files] == [
        ("logo.png", "image/png", len(png())), ("crushed box.jpg", "image/jpeg", len(box)),
        ("receipt.pdf", "application/pdf", len(PDF)), ("tool.exe", "application/octet-stream", len(EXE))]
    assert all(f.kept for f in files)
    assert attachments.content(db, files[1].id) == box
    assert files[1].sha256 == hashlib.sha256(box).hexdigest()
    assert db.scalar("SELECT data FROM attachment_contents WHERE sha256 = ?", (files[2].sha256,)) == PDF
    assert files[0].inline and files[0].content_id and not files[1].inline
    assert files[3].executable and not files[2].executable and not files[1].executable
    assert files[0].is_image and files[1].is_image and not files[2].is_image


def test_inline_cid_images_point_at_the_stored_part_never_the_network(db, tmp_path):
    message_id = _import(db, tmp_path, claim())
    html = db.scalar("SELECT html FROM messages WHERE id = ?", (message_id,))
    assert "cid:" in html and "tracker.example" not in html and "https://" not in html.split("<small>")[0]
    files = attachments.for_messages(db, [message_id])[message_id]
    shown = attachments.inline_html(html, files)
    assert f'src="amends-attachment:{files[0].id}"' in shown and "cid:" not in shown
    # a cid that names no stored part loses its source (nothing to fetch)
    assert "src=\"\"" in attachments.inline_html('<img src="cid:nothing@x">', files)


def test_the_same_photo_twice_is_stored_once_and_goes_with_its_last_message(db, tmp_path):
    box = photo(50_000, seed=9)
    _import(db, tmp_path, claim(big_photo=box), "one.eml")
    _import(db, tmp_path, claim(big_photo=box, message_id="<claim-2@mail.example.com>"), "two.eml")
    digest = hashlib.sha256(box).hexdigest()
    assert db.scalar("SELECT count(*) FROM attachments WHERE sha256 = ?", (digest,)) == 2
    assert db.scalar("SELECT count(*) FROM attachment_contents WHERE sha256 = ?", (digest,)) == 1
    with db.transaction() as conn:
        first, second = [r[0] for r in conn.execute("SELECT ticket_id FROM messages GROUP BY ticket_id ORDER BY min(id)")]
        conn.execute("DELETE FROM messages WHERE ticket_id = ?", (first,))
        assert conn.execute("SELECT count(*) FROM attachment_contents WHERE sha256 = ?", (digest,)).fetchone()[0] == 1
        conn.execute("DELETE FROM messages WHERE ticket_id = ?", (second,))
        assert conn.execute("SELECT count(*) FROM attachment_contents").fetchone()[0] == 0


def test_importing_the_same_mail_again_adds_no_file(db, tmp_path):
    _import(db, tmp_path, claim())
    before = db.tuples("SELECT count(*) FROM attachments")
    path = tmp_path / "claim.eml"
    import_file(db, path)
    assert db.tuples("SELECT count(*) FROM attachments") == before


def test_a_10_mb_photo_is_kept_and_a_file_over_the_limit_is_noted_by_name_and_size(db, tmp_path):
    box = photo()
    message_id = _import(db, tmp_path, claim(big_photo=box))
    item = next(f for f in attachments.for_messages(db, [message_id])[message_id] if f.name == "crushed box.jpg")
    assert item.kept and item.size == 10 * 1024 * 1024 and attachments.content(db, item.id) == box
    attachments.set_limit(db, 1024 * 1024)
    message_id = _import(db, tmp_path, claim(big_photo=photo(seed=2), message_id="<big@x>"), "big.eml")
    files = attachments.for_messages(db, [message_id])[message_id]
    big = next(f for f in files if f.name == "crushed box.jpg")
    assert not big.kept and big.size == 10 * 1024 * 1024 and big.sha256
    assert all(f.kept for f in files if f is not big), "only the file over the limit is left out"
    defects = json.loads(db.scalar("SELECT defects FROM messages WHERE id = ?", (message_id,)))
    assert any("crushed box.jpg (10.0 MB)" in d and "1.0 MB limit" in d for d in defects), defects
    with pytest.raises(attachments.NotFound, match=r"crushed box\.jpg"):
        attachments.content(db, big.id)


def test_a_limit_out_of_range_is_refused(db):
    with pytest.raises(attachments.ValidationError):
        attachments.set_limit(db, -1)


def test_the_exchange_format_round_trips_files_with_their_sha256(db, tmp_path):
    box = photo(40_000, seed=3)
    _import(db, tmp_path, claim(big_photo=box))
    out = tmp_path / "export.json"
    write_document(db, out)
    doc = json.loads(out.read_text())
    listed = next(m for t in doc["tickets"] for m in t["messages"] if "attachments" in m)["attachments"]
    photo_entry = next(a for a in listed if a["name"] == "crushed box.jpg")
    assert photo_entry["type"] == "image/jpeg" and photo_entry["size"] == len(box)
    assert photo_entry["sha256"] == hashlib.sha256(box).hexdigest()
    assert base64.b64decode(photo_entry["data"]) == box
    assert next(a for a in listed if a["name"] == "logo.png").get("inline") is True
    other = open_database(tmp_path / "other.db", ACTOR)
    try:
        report = import_file(other, out)
        assert report.written and not report.errors, report.errors
        again = tmp_path / "again.json"
        write_document(other, again)
        assert [m.get("attachments") for t in json.loads(again.read_text())["tickets"] for m in t["messages"]] == \
            [m.get("attachments") for t in doc["tickets"] for m in t["messages"]]
        import_file(other, out)  # once more: nothing doubles
        assert other.scalar("SELECT count(*) FROM attachments") == len(listed)
    finally:
        other.close()


def test_a_sha256_that_does_not_match_is_a_problem_of_that_ticket_and_nothing_is_written(db, tmp_path):
    _import(db, tmp_path, claim())
    out = tmp_path / "export.json"
    write_document(db, out)
    doc = json.loads(out.read_text())
    ticket_number, entry = next((n, m["attachments"][1]) for n, t in enumerate(doc["tickets"], start=1)
                                for m in t["messages"] if "attachments" in m)
    entry["data"] = base64.b64encode(b"not the photo").decode()
    entry["size"] = len(b"not the photo")
    out.write_text(json.dumps(doc))
    other = open_database(tmp_path / "other.db", ACTOR)
    try:
        report = import_file(other, out)
        assert not report.written
        assert [(p.record, p.field) for p in report.errors] == [
            (ticket_number, "tickets.messages[0].attachments[1].sha256")]
        assert "does not match" in report.errors[0].reason
        assert other.scalar("SELECT count(*) FROM tickets") == 0
        entry["data"] = "%%% not base64"
        out.write_text(json.dumps(doc))
        assert [p.field for p in import_file(other, out).errors] == ["tickets.messages[0].attachments[1].data"]
    finally:
        other.close()


def test_a_backup_and_its_restore_keep_the_files(db, tmp_path):
    box = photo(60_000, seed=4)
    message_id = _import(db, tmp_path, claim(big_photo=box))
    backup = backups.make(db)
    with db.transaction() as conn:
        conn.execute("DELETE FROM messages")
    assert db.scalar("SELECT count(*) FROM attachment_contents") == 0
    target = tmp_path / "restored.db"
    backups.restore(target, backup)
    restored = open_database(target, ACTOR, create=False)
    try:
        files = attachments.for_messages(restored, [message_id])[message_id]
        assert attachments.content(restored, next(f.id for f in files if f.name == "crushed box.jpg")) == box
    finally:
        restored.close()


def test_a_plain_text_part_the_html_leaves_out_is_kept_and_offered_beside_it(db, tmp_path):
    message_id = _import(db, tmp_path, claim(trailing_text="Sent from my phone. Order 4711, box 2 of 2."))
    message = next(m for m in tickets.messages(db, db.scalar("SELECT ticket_id FROM messages WHERE id = ?",
                                                               (message_id,))))
    assert "Order 4711" in message.body and message.html and "4711" not in message.html
    assert "Order 4711" in (html_text.omitted_plain(message.body, message.html) or "")
    same = claim(message_id="<same@x>")
    message_id = _import(db, tmp_path, same, "same.eml")
    body, html = db.tuples("SELECT body, html FROM messages WHERE id = ?", (message_id,))[0]
    assert html_text.omitted_plain(body, html) is None, "the HTML says it all: nothing shown twice"


def test_a_copy_for_the_system_viewer_has_the_safe_name_and_never_overwrites(db, tmp_path):
    message_id = _import(db, tmp_path, claim())
    pdf = next(f for f in attachments.for_messages(db, [message_id])[message_id] if f.name == "receipt.pdf")
    first = attachments.save_copy(db, pdf.id, tmp_path / "open")
    second = attachments.save_copy(db, pdf.id, tmp_path / "open")
    assert first.name == "receipt.pdf" and second.name == "receipt (2).pdf"
    assert first.read_bytes() == PDF == second.read_bytes()


def test_executable_types_are_recognised_by_any_suffix_or_type():
    assert attachments.is_executable("invoice.pdf.exe", "application/pdf")
    assert attachments.is_executable("setup", "application/x-msdownload")
    assert attachments.is_executable("INSTALL.SH", "text/plain")
    assert not attachments.is_executable("photo.jpeg", "image/jpeg")


def test_the_fixture_schema_has_the_attachment_tables():
    conn = sqlite3.connect(Path(__file__).resolve().parents[1] / "fixtures" / "amends-v3.db")
    try:
        assert conn.execute("SELECT name, kept FROM attachments").fetchall() == [("box.png", 1)]
    finally:
        conn.close()


def _export_with_files(tmp_path, name: str, doc: object, files: dict[str, bytes]):
    for relative, data in files.items():
        target = tmp_path / "attachments" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _files_of(db, ref: str) -> list[tuple[str, str, int, bool]]:
    return [(f.name, f.type, f.size, f.kept) for files in attachments.for_ticket(
        db, db.scalar("SELECT id FROM tickets WHERE ref = ?", (ref,))).values() for f in files]


def test_zendesk_attachments_given_beside_the_export_are_kept(db, tmp_path):
    box = photo(20_000, seed=6)
    doc = {"tickets": [{"id": 101, "subject": "Box crushed", "status": "open", "priority": "normal",
                        "created_at": "2026-01-05T10:00:00Z", "requester_id": 1}],
           "users": [{"id": 1, "email": "ada@example.com", "name": "Ada", "role": "end-user"}],
           "comments": [{"id": 9001, "ticket_id": 101, "author_id": 1, "public": True, "plain_body": "See photo.",
                         "created_at": "2026-01-05T10:00:00Z",
                         "attachments": [{"id": 77, "file_name": "box.jpg", "content_type": "image/jpeg",
                                          "size": len(box)},
                                         {"id": 78, "file_name": "label.pdf", "content_type": "application/pdf",
                                          "size": 1234}]}]}
    path = _export_with_files(tmp_path, "zendesk.json", doc, {"77/box.jpg": box})
    report = import_file(db, path)
    assert report.format == "zendesk" and report.written and not report.errors
    assert _files_of(db, "zendesk:101") == [("box.jpg", "image/jpeg", len(box), True),
                                            ("label.pdf", "application/pdf", 1234, False)]
    defects = json.loads(db.scalar("SELECT defects FROM messages"))
    assert any("label.pdf was not given beside the export" in d for d in defects)


def test_helpscout_attachments_given_beside_the_export_are_kept(db, tmp_path):
    doc = {"_embedded": {"conversations": [{
        "id": 555, "subject": "Late box", "status": "active", "createdAt": "2026-01-05T10:00:00Z",
        "primaryCustomer": {"email": "bo@example.com"},
        "_embedded": {"threads": [{"id": 1, "type": "customer", "body": "<p>Tracking screenshot</p>",
                                   "createdAt": "2026-01-05T10:00:00Z", "createdBy": {"type": "customer"},
                                   "_embedded": {"attachments": [{"id": 5, "filename": "tracking.png",
                                                                  "mimeType": "image/png", "size": 3}]}}]}}]}}
    path = _export_with_files(tmp_path, "helpscout.json", doc, {"5-tracking.png": png()})
    assert import_file(db, path).written
    assert _files_of(db, "helpscout:555") == [("tracking.png", "image/png", len(png()), True)]


def test_freshdesk_attachments_given_beside_the_export_are_kept_and_names_cannot_climb_out(db, tmp_path):
    doc = [{"id": 42, "subject": "Broken jar", "status": 2, "priority": 2, "created_at": "2026-01-05T10:00:00Z",
            "description_text": "The jar broke.", "email": "cy@example.com",
            "attachments": [{"id": 1, "name": "../../jar.jpg", "content_type": "image/jpeg", "size": 4}]}]
    (tmp_path / "jar.jpg").write_bytes(b"outside the folder")
    path = _export_with_files(tmp_path, "freshdesk.json", doc, {"jar.jpg": b"\xff\xd8\xff\xe0"})
    assert import_file(db, path, "freshdesk").written
    files = next(iter(attachments.for_ticket(db, db.scalar("SELECT id FROM tickets")).values()))
    assert [(f.name, f.kept) for f in files] == [("jar.jpg", True)]
    assert attachments.content(db, files[0].id) == b"\xff\xd8\xff\xe0"


def test_an_mbox_of_a_claim_and_its_forward_keeps_one_copy_of_the_photo(db, tmp_path):
    box = photo(70_000, seed=12)
    first = claim(big_photo=box).replace(b"\r\n", b"\n")
    second = claim(big_photo=box, message_id="<claim-fwd@mail.example.com>", exe=False).replace(b"\r\n", b"\n")
    mbox = tmp_path / "support.mbox"
    mbox.write_bytes(b"From ada@example.com Mon Jan  5 10:00:00 2026\n" + first + b"\n"
                     b"From ada@example.com Mon Jan  5 11:00:00 2026\n" + second + b"\n")
    report = import_file(db, mbox)
    assert report.written and report.imported == 2
    assert db.scalar("SELECT count(*) FROM attachments") == 7
    assert db.scalar("SELECT count(*) FROM attachment_contents") == 4, "photo, logo, PDF and .exe: once each"
    assert attachments.content(db, db.scalar("SELECT id FROM attachments WHERE name = 'crushed box.jpg' "
                                             "ORDER BY id DESC LIMIT 1")) == box


def test_hostile_attachment_names_are_stored_safe(db, tmp_path):
    raw = (b"From: m@example.com\nSubject: Invoice\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <n@x>\n"
           b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n"
           b"See attached.\n--B\nContent-Type: application/octet-stream\n"
           b"Content-Disposition: attachment; filename*=utf-8''..%2F..%2Finvoice%E2%80%AEfdp.exe\n"
           b"Content-Transfer-Encoding: base64\n\nTVo=\n--B--\n")
    message_id = _import(db, tmp_path, raw)
    [item] = attachments.for_messages(db, [message_id])[message_id]
    assert item.name == "invoicefdp.exe" and item.executable and attachments.content(db, item.id) == b"MZ"


def test_the_json_schema_describes_the_files_the_export_writes(db, tmp_path):
    import re

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "amends-format.schema.json").read_text())
    described = schema["$defs"]["attachment"]
    assert schema["$defs"]["message"]["properties"]["attachments"]["items"] == {"$ref": "#/$defs/attachment"}
    _import(db, tmp_path, claim())
    out = tmp_path / "export.json"
    write_document(db, out)
    entries = [a for t in json.loads(out.read_text())["tickets"] for m in t["messages"]
               for a in m.get("attachments", [])]
    assert entries
    for entry in entries:
        assert set(described["required"]) <= set(entry) <= set(described["properties"])
        assert re.match(described["properties"]["sha256"]["pattern"], entry["sha256"])


def test_a_mail_that_is_only_a_photo_keeps_the_photo_as_a_file_not_as_text(db, tmp_path):
    picture = png(20, 20)
    raw = ("From: Ada <ada@example.com>\nSubject: Photo\nDate: Mon, 05 Jan 2026 10:00:00 +0000\n"
           "Message-ID: <only-photo@x>\nMIME-Version: 1.0\nContent-Type: image/png; name=\"IMG_0001.png\"\n"
           "Content-Disposition: inline; filename=\"IMG_0001.png\"\nContent-Transfer-Encoding: base64\n\n"
           + base64.encodebytes(picture).decode()).encode()
    message_id = _import(db, tmp_path, raw)
    [item] = attachments.for_messages(db, [message_id])[message_id]
    assert (item.name, item.type) == ("IMG_0001.png", "image/png") and attachments.content(db, item.id) == picture
    assert "PNG" not in db.scalar("SELECT body FROM messages WHERE id = ?", (message_id,))


def test_verify_finds_damaged_or_missing_contents(db, tmp_path):
    _import(db, tmp_path, claim())
    assert attachments.verify(db) == []
    with db.transaction() as conn:
        sha = conn.execute("SELECT sha256 FROM attachments WHERE name = 'receipt.pdf'").fetchone()[0]
        conn.execute("UPDATE attachment_contents SET data = ? WHERE sha256 = ?", (b"%PDF-damaged", sha))
        conn.execute("DELETE FROM attachment_contents WHERE sha256 = "
                     "(SELECT sha256 FROM attachments WHERE name = 'tool.exe')")
    found = attachments.verify(db)
    assert len(found) == 2 and "receipt.pdf" in found[0] and "damaged" in found[0]
    assert "tool.exe" in found[1] and "missing" in found[1]


def test_check_reports_the_kept_files_and_a_damaged_one(db, tmp_path):
    from amends.core import health

    _import(db, tmp_path, claim())
    report = health.check(db)
    assert report.ok and "attachments: 4 files kept, every one matches its SHA-256" in report.checks
    with db.transaction() as conn:
        conn.execute("UPDATE attachment_contents SET data = x'00' WHERE sha256 = "
                     "(SELECT sha256 FROM attachments WHERE name = 'receipt.pdf')")
    report = health.check(db)
    assert not report.ok and any(p.startswith("attachments: ") and "receipt.pdf" in p for p in report.problems)
