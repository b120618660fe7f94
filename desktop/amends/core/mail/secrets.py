"""Mail passwords (and, under their own service name, PostgreSQL passwords:
store/pg_access.py): in the OS keyring where there is one, otherwise kept in
memory for this session only (asked again next time). Never in the
database, never in a file of ours."""

from __future__ import annotations

SERVICE = "Amends mail"
_session: dict[tuple[str, str], str] = {}


def _keyring():
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return None if isinstance(backend, fail.Keyring) else keyring
    except Exception:  # noqa: BLE001 - any keyring trouble means: no keyring
        return None


def store(account: str, password: str, *, service: str = SERVICE) -> str:
    """Returns where it went: 'keyring' or 'session'."""
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(service, account, password)
            _session.pop((service, account), None)
            return "keyring"
        except Exception:  # noqa: BLE001 - a locked or broken keyring: fall back
            pass
    _session[(service, account)] = password
    return "session"


def keep_for_session(account: str, password: str, *, service: str = SERVICE) -> None:
    """Kept in memory only (the person said not to remember it)."""
    _session[(service, account)] = password


def load(account: str, *, service: str = SERVICE) -> str | None:
    if (service, account) in _session:
        return _session[(service, account)]
    ring = _keyring()
    if ring is not None:
        try:
            return ring.get_password(service, account)
        except Exception:  # noqa: BLE001
            return None
    return None


def forget(account: str, *, service: str = SERVICE) -> None:
    """Remove a kept secret (a revoked OAuth2 refresh token, a signed-out
    mailbox) from the session and the keyring."""
    _session.pop((service, account), None)
    ring = _keyring()
    if ring is None:
        return
    try:
        ring.delete_password(service, account)
    except Exception:  # noqa: BLE001 - not there, or a locked keyring: nothing more to remove
        pass
