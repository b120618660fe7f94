"""Log files readable by the user only, rotated by size.

Kept out of app.py on purpose: app.py opens the database, and the lock-trap
guard (tests/core/test_store.py) allows no file API in the modules that do;
a log file is not the database, but the guard stays simple and strict.

Built on ``logging.FileHandler``, not ``logging.handlers.RotatingFileHandler``:
the app opens its log at every start, and logging.handlers imports socket,
pickle and queue (and their C parts) for handlers it never uses, a part of
every start (issue 16). The rotation is the standard library's: before a
record that would take the file to ``maxBytes``, ``amends.log.N`` becomes
``.N+1`` (the oldest, ``backupCount``, is dropped) and the file ``.1``.
"""

from __future__ import annotations

import logging
import os


class PrivateLogFile(logging.FileHandler):
    """A rotating log readable by the user only (0600): log lines quote
    customers' names, addresses and ticket text. Every file it opens, the
    rotated ones too, is made so whatever the umask."""

    def __init__(self, filename: str | os.PathLike[str], maxBytes: int = 0, backupCount: int = 0,
                 encoding: str | None = None) -> None:
        super().__init__(filename, "a", encoding=encoding)
        self.maxBytes = maxBytes
        self.backupCount = backupCount

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)  # a log from an older version, made 0644
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.should_rollover(record):
                self.do_rollover()
            super().emit(record)
        except Exception:  # noqa: BLE001 (logging's own convention: said on stderr by handleError, never raised)
            self.handleError(record)

    def should_rollover(self, record: logging.LogRecord) -> bool:
        """Would ``record`` take the file to ``maxBytes`` or beyond?"""
        if self.maxBytes <= 0 or (os.path.exists(self.baseFilename) and not os.path.isfile(self.baseFilename)):
            return False  # (never a rollover of something that is not a regular file: bpo-45401)
        if self.stream is None:
            self.stream = self._open()
        position = self.stream.tell()
        return bool(position) and position + len(f"{self.format(record)}\n") >= self.maxBytes

    def do_rollover(self) -> None:
        """``.N`` → ``.N+1`` up to ``backupCount``, the file → ``.1``, a new file."""
        if self.stream:
            self.stream.close()
            self.stream = None
        if self.backupCount > 0:
            for number in range(self.backupCount - 1, 0, -1):
                source, target = f"{self.baseFilename}.{number}", f"{self.baseFilename}.{number + 1}"
                if os.path.exists(source):
                    if os.path.exists(target):
                        os.remove(target)
                    os.rename(source, target)
            first = f"{self.baseFilename}.1"
            if os.path.exists(first):
                os.remove(first)
            if os.path.exists(self.baseFilename):
                os.rename(self.baseFilename, first)
        self.stream = self._open()
