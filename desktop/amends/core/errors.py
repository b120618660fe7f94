"""Typed errors raised by the core and turned into messages by the UI and CLI.

Two kinds, as in qutebrowser's ``misc/sql.py``: :class:`AmendsError` and its
subclasses are *known* problems a person can act on (their ``str()`` is the
message to show). Anything else escaping the core is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class AmendsError(Exception):
    """A known problem, with a message meant for a person."""


class DatabaseProblem(AmendsError):
    """The database file cannot be used as asked (missing, not a database,
    corrupt, locked, read-only, full, newer than this app)."""

    def __init__(self, message: str, *, path: str | None = None, hint: str = "") -> None:
        self.path = path
        self.hint = hint
        full = message if not hint else f"{message} {hint}"
        super().__init__(full)


class Busy(DatabaseProblem):
    """Another user kept the database locked for too long; nothing was saved."""


class ConnectionLost(DatabaseProblem):
    """The database server stopped answering (restarted, network gone). Nothing
    of the interrupted write was saved; the next use reconnects by itself."""


class SchemaTooNew(DatabaseProblem):
    """The file was written by a newer Amends; we refuse to touch it."""


class NotFound(AmendsError):
    """A ticket, policy or other record that was asked for does not exist."""


class ValidationError(AmendsError):
    """Input that breaks a rule; ``problems`` lists each (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]] | str) -> None:
        if isinstance(problems, str):
            problems = [("", problems)]
        self.problems = problems
        super().__init__("; ".join(f"{f}: {r}" if f else r for f, r in problems))


class PolicyViolation(ValidationError):
    """A resolution or policy edit that breaks the policy's own rules (an offer
    outside the bounds without an override reason, a skip without a reason)."""


@dataclass
class Change:
    """One field that another person changed: what we had, what is there now."""

    field: str
    mine: Any
    theirs: Any


class ConflictError(AmendsError):
    """Someone else saved this record since it was loaded. Nothing was written.

    ``changes`` says what the other person changed, so the UI can offer
    "reload" or "keep mine" instead of silently overwriting.
    """

    def __init__(self, entity: str, entity_id: int, *, by: str | None = None,
                 changes: list[Change] | None = None, message: str | None = None) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.by = by
        self.changes = changes or []
        who = f" by {by}" if by else ""
        super().__init__(message or f"{entity} {entity_id} was changed{who} since you opened it; nothing was saved.")


class Cancelled(AmendsError):
    """The person stopped a long job; nothing it was writing was kept."""

    def __init__(self, message: str = "Cancelled; nothing was changed.") -> None:
        super().__init__(message)


class MailProblem(AmendsError):
    """The mail server could not be reached or refused us; nothing changed."""


class SignInRequired(MailProblem):
    """An OAuth2 mailbox has no usable sign-in (never signed in here, or the
    provider refused to renew it: revoked, expired, password changed). The
    person must sign in again; ``login`` names the mailbox's account."""

    def __init__(self, message: str, *, login: str = "") -> None:
        self.login = login
        super().__init__(message)
