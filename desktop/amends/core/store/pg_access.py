"""Signing in to a PostgreSQL server (issue 19 point 6): the address, the
password kept in the OS keyring, TLS.

* **Who signs in.** Either each person has a database role of their own
  (``postgresql://ada@server/amends``; the server knows who connected and a
  person's access ends with ``ALTER ROLE ada NOLOGIN``), or the team shares
  one role (``postgresql://support@server/amends``) and each person only sets
  a display name. Either way the actor recorded on every change is the
  person's display name (identity.json / ``AMENDS_ACTOR``), as on a file, so
  audit trails read the same on both backends; the session's
  ``application_name`` carries it too, so the server's own views
  (``pg_stat_activity``, its log) show who is connected under a shared role.
* **Passwords** never stay in the URL: one typed into ``--db`` / AMENDS_DB or
  the Connect dialog is moved to the OS keyring (or, without a keyring or
  when "remember" is off, kept for this session only) and the URL kept,
  shown, logged and remembered in Open Recent has none. Never in the
  database, the settings or the log.
* **TLS**: ``sslmode`` / ``sslrootcert`` (and libpq's other ``ssl*``
  parameters) in the URL are handed to libpq as given; a certificate that
  cannot be verified is a clear message naming the mode and the CA file.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from amends.core.mail import secrets

#: The keyring service database passwords are kept under (mail uses "Amends mail").
SERVICE = "Amends database"
DEFAULT_PORT = 5432
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


@dataclass(frozen=True)
class Address:
    """A server database as the person names it, without a password."""

    host: str
    port: int
    dbname: str
    user: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def sslmode(self) -> str:
        return dict(self.params).get("sslmode", "")

    def url(self) -> str:
        """The URL without a password: what is kept, logged and shown."""
        user = quote(self.user, safe="") + "@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        netloc = f"{user}{host}:{self.port}" if self.port else f"{user}{host}"
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='/:.-_~')}" for k, v in self.params)
        return urlunsplit(("postgresql", netloc, "/" + quote(self.dbname, safe=""), query, ""))

    @property
    def account(self) -> str:
        """The keyring entry's name: one password per role on a server's database."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


def parse(url: str) -> tuple[Address, str | None]:
    """The address and the password given in the URL (None when there is none)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"{url.split('@')[-1]!r} is not a postgresql:// address")
    params = tuple(parse_qsl(parts.query, keep_blank_values=True))
    password = unquote(parts.password) if parts.password is not None else None
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as error:  # the port is not a number
        raise ValueError(f"the port in {strip(url)!r} is not a number") from error
    address = Address(host=parts.hostname or "localhost", port=port, dbname=unquote(parts.path.lstrip("/")),
                      user=unquote(parts.username or ""), params=params)
    return address, password


def strip(url: str) -> str:
    """The URL with any password removed (for messages, logs and history)."""
    try:
        return parse(url)[0].url()
    except ValueError:
        head, at, tail = url.rpartition("@")
        return (head.split(":")[0].rsplit("//", 1)[0] + "//…@" + tail) if at else url


def keep_password(url: str, password: str, *, remember: bool = True) -> str:
    """Keep ``password`` for the server in ``url``: in the keyring when
    ``remember`` and there is one ('keyring'), else for this session ('session')."""
    account = parse(url)[0].account
    if remember:
        return secrets.store(account, password, service=SERVICE)
    secrets.keep_for_session(account, password, service=SERVICE)
    return "session"


def password_for(url: str) -> str | None:
    """The kept password for the server in ``url`` (session first, then keyring)."""
    return secrets.load(parse(url)[0].account, service=SERVICE)


def forget_password(url: str) -> None:
    secrets.forget(parse(url)[0].account, service=SERVICE)


def take_password(url: str) -> str:
    """A URL as given (``--db``, AMENDS_DB, the dialog): a password in it goes to
    the keyring; the URL without it comes back."""
    address, password = parse(url)
    if password:
        keep_password(address.url(), password)
    return address.url()


def explain(error_text: str, address: Address) -> tuple[str, str]:
    """A connection failure in plain words, and a hint: (reason, hint)."""
    text = error_text.strip()
    lowered = text.lower()
    ca = dict(address.params).get("sslrootcert", "")
    if "certificate verify failed" in lowered or "root certificate file" in lowered \
            or "server certificate for" in lowered:
        where = f" with {ca}" if ca else " (no sslrootcert given: libpq looks in ~/.postgresql/root.crt)"
        return (f"the server's TLS certificate could not be verified{where} (sslmode={address.sslmode}): {text}",
                "Give the CA that signed the server's certificate as sslrootcert=… in the address.")
    if "server does not support ssl" in lowered:
        return (f"the server does not offer TLS, and sslmode={address.sslmode} requires it.",
                "Turn TLS on at the server (ssl=on), or choose another TLS mode.")
    if "no password supplied" in lowered:
        return (f"the server asks a password for {address.user or 'this user'} and none is kept on this computer.",
                "Connect with File → Connect to server… (the password goes to your keyring), or put it in the "
                "address once.")
    if "password authentication failed" in lowered:
        return (f"the server refused the password for {address.user or 'this user'}.",
                "Check the user name and password (File → Connect to server… asks again).")
    return text, "Check the address, the user and that the server is running."
