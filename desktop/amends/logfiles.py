"""Log files readable by the user only.

Kept out of app.py on purpose: app.py opens the database, and the lock-trap
guard (tests/core/test_store.py) allows no file API in the modules that do;
a log file is not the database, but the guard stays simple and strict."""

from __future__ import annotations

import logging.handlers
import os


class PrivateLogFile(logging.handlers.RotatingFileHandler):
    """A rotating log readable by the user only (0600): log lines quote
    customers' names, addresses and ticket text. Every file it opens, the
    rotated ones too, is made so whatever the umask."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)  # a log from an older version, made 0644
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
