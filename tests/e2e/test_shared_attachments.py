"""Two real processes import mail with the same photo into one shared file at
the same time (the `amends import` command): each message lists the photo,
its bytes are stored once, and the file checks clean."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from amends.core import attachments, health
from amends.core.workspace import open_database

from tests.attachment_mail import claim, photo
from tests.conftest import ACTOR

ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_importing_the_same_photo_store_it_once(tmp_path):
    path = tmp_path / "shared.db"
    open_database(path, ACTOR).close()
    box = photo(2 * 1024 * 1024, seed=21)
    files = []
    for n in range(2):
        mbox = tmp_path / f"inbox{n}.mbox"
        mbox.write_bytes(b"".join(
            b"From ada@example.com Mon Jan  5 10:00:00 2026\n"
            + claim(big_photo=box, message_id=f"<p{n}-{i}@mail.example.com>").replace(b"\r\n", b"\n") + b"\n"
            for i in range(3)))
        files.append(mbox)
    procs = [subprocess.Popen([sys.executable, "-m", "amends", "--db", str(path), "import", str(f)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for f in files]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    db = open_database(path, ACTOR)
    try:
        digest = hashlib.sha256(box).hexdigest()
        assert db.scalar("SELECT count(*) FROM attachments WHERE sha256 = ?", (digest,)) == 6
        assert db.scalar("SELECT count(*) FROM attachment_contents WHERE sha256 = ?", (digest,)) == 1
        any_photo = db.scalar("SELECT id FROM attachments WHERE sha256 = ? LIMIT 1", (digest,))
        assert attachments.content(db, any_photo) == box
        assert health.check(db).ok
    finally:
        db.close()
