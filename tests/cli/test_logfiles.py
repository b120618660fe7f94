"""The app's log rotates as logging.handlers.RotatingFileHandler does, every file 0600.

PrivateLogFile no longer derives from RotatingFileHandler (logging.handlers
imports socket, pickle and queue at every start, issue 16); the standard
handler is the oracle here: the same records give the same files and texts.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from pathlib import Path

from amends.logfiles import PrivateLogFile


def _write(handler: logging.Handler, count: int) -> None:
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    for number in range(count):
        record = logging.LogRecord("amends.test", logging.INFO, __file__, 1, "line %d %s", (number, "x" * 40), None)
        handler.handle(record)
    handler.close()


def _files(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


def test_the_log_rotates_as_the_standard_handler_does(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    (ours / "amends.log").write_text("from an older start\n", encoding="utf-8")
    (theirs / "amends.log").write_text("from an older start\n", encoding="utf-8")
    _write(PrivateLogFile(ours / "amends.log", maxBytes=500, backupCount=3, encoding="utf-8"), 60)
    _write(logging.handlers.RotatingFileHandler(theirs / "amends.log", maxBytes=500, backupCount=3,
                                                encoding="utf-8"), 60)
    got = _files(ours)
    assert set(got) == {"amends.log", "amends.log.1", "amends.log.2", "amends.log.3"}
    assert got == _files(theirs)
    for path in ours.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path.name


def test_the_log_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        _write(PrivateLogFile(tmp_path / "amends.log", maxBytes=200, backupCount=2, encoding="utf-8"), 20)
    finally:
        os.umask(old)
    assert {p.name for p in tmp_path.iterdir()} == {"amends.log", "amends.log.1", "amends.log.2"}
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path.name
