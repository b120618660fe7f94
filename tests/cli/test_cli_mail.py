"""``amends import`` of hostile mail, as a real process: every message is
imported, and nothing ends in "internal error" or a traceback."""

from __future__ import annotations

import json

from tests.cli.test_cli import amends
from tests.core.test_mail_intake import GOOD, deep_mime


def test_import_of_hostile_mail_from_the_command_line(tmp_path, db_target):
    mbox = tmp_path / "hostile.mbox"
    envelope = b"From x@example.com Mon Jan  5 10:00:00 2026\n"
    messages = [GOOD.replace(b"Mon, 05 Jan 2026 10:00:00 +0000", b"Fri, 31 Dec 9999 23:00:00 -0500"),
                deep_mime(1200),
                b"Subject: =?utf-8?b?7aCA?= \xff\nContent-Type: text/plain; charset=rot13\n\n\xed\xa0\x80\n",
                b"From: alice@example.org)<bob@evil.example>\nSubject: odd\n\nno date, no id\n"]
    mbox.write_bytes(b"".join(envelope + m + b"\n" for m in messages))
    db = db_target
    result = amends("--db", str(db), "import", str(mbox), "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr and "internal error" not in result.stderr
    [report] = json.loads(result.stdout)["files"]
    assert report["imported"] == 4 and report["errors"] == []
    again = amends("--db", str(db), "import", str(mbox), "--json")
    assert json.loads(again.stdout)["files"][0]["imported"] == 0, "the same file twice adds nothing"
