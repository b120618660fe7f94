"""Turn sqlite3 exceptions into known problems (with a message for a person)
or let them through as bugs, the split qutebrowser's ``misc/sql.py`` makes."""

from __future__ import annotations

import logging
import sqlite3

from amends.core.errors import DatabaseProblem

log = logging.getLogger(__name__)

#: SQLite primary result codes that are the environment's fault, not ours.
_KNOWN: dict[str, tuple[str, str]] = {
    "SQLITE_BUSY": ("the database is busy: another Amends user is writing.", "Try again in a moment."),
    "SQLITE_LOCKED": ("the database is locked by another connection.", "Try again in a moment."),
    "SQLITE_FULL": ("the disk holding the database is full; nothing was saved.",
                    "Free some space and try again."),
    "SQLITE_READONLY": ("the database is read-only; nothing was saved.",
                        "Check the file's and folder's permissions."),
    "SQLITE_CORRUPT": ("the database file is damaged.", "Run 'amends check' and restore a backup if needed."),
    "SQLITE_NOTADB": ("not an Amends database (not an SQLite file).", "Open another file."),
    "SQLITE_CANTOPEN": ("the database file cannot be opened.", "Check that the folder exists and is writable."),
    "SQLITE_IOERR": ("the disk reported an input/output error.", "Check the disk or network share."),
    "SQLITE_PERM": ("permission denied on the database file.", "Check the file's permissions."),
    "SQLITE_AUTH": ("access to the database was denied.", "Check the file's permissions."),
    "SQLITE_PROTOCOL": ("the database's locking protocol failed (network share?).",
                        "Try again; see 'Sharing a database' in the README."),
}


def translate(error: sqlite3.Error, path: str | None = None) -> Exception:
    """Return the exception to raise instead of ``error``: a
    :class:`DatabaseProblem` for environment problems, ``error`` itself
    for anything else (a bug in Amends)."""
    name = getattr(error, "sqlite_errorname", "") or ""
    primary = "_".join(name.split("_")[:2])  # SQLITE_IOERR_SHORT_READ -> SQLITE_IOERR
    if primary in _KNOWN:
        return known(primary, path, error)
    text = str(error).lower()
    if isinstance(error, sqlite3.ProgrammingError) and "closed database" in text:
        return DatabaseProblem(f"{path}: this database was closed (another file was opened)." if path
                               else "The database was closed.", path=path)
    if "file is not a database" in text:
        return known("SQLITE_NOTADB", path, error)
    if "database is locked" in text:
        return known("SQLITE_BUSY", path, error)
    if "readonly database" in text:
        return known("SQLITE_READONLY", path, error)
    return error


def known(code: str, path: str | None, cause: BaseException | None = None) -> DatabaseProblem:
    """The known problem for an SQLite result code such as ``SQLITE_BUSY``."""
    message, hint = _KNOWN[code]
    text = f"{path}: {message}" if path else message[0].upper() + message[1:]
    problem = DatabaseProblem(text, path=path, hint=hint)
    problem.__cause__ = cause
    # Busy and locked are waited out and retried; the others are worth a look later.
    level = logging.INFO if code in ("SQLITE_BUSY", "SQLITE_LOCKED") else logging.WARNING
    log.log(level, "%s (%s%s)", text, code, f": {cause}" if cause is not None else "")
    return problem
