"""Which mail connections may go without encryption: only to a server on
this machine. "none" sends the password in clear, so core refuses it for any
other host, when the account is saved and again when it is used (a row
written before this rule, or by another tool, must not leak a password)."""

from __future__ import annotations

import ipaddress

from amends.core.errors import ValidationError

SECURITY = ("ssl", "starttls", "none")


class InsecureMail(ValidationError):
    """A mail server without encryption that is not on this machine."""


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or the name localhost. Names are not resolved: what
    a name points to can change after it was checked."""
    name = (host or "").strip().rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def check(host: str, security: str, field: str) -> None:
    """Raise :class:`InsecureMail` naming ``field`` for "none" to a remote host."""
    if security == "none" and not is_loopback(host):
        raise InsecureMail([(field, f"no encryption is only allowed for a server on this machine (127.0.0.1, ::1, "
                                    f"localhost), not {host!r}: the password would go out in clear; "
                                    "choose SSL or STARTTLS")])
