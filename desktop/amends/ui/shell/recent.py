"""File → Open Recent: the files and servers opened last, newest first.

A server is remembered by its address without a password
(``pg_access.strip``): passwords live in the keyring only, never in
QSettings."""

from __future__ import annotations

from pathlib import Path

from amends import settings_schema as schema
from amends.core.store.location import is_server_url
from amends.ui.common import settings

KEPT = 10


def entries() -> list[str]:
    text = str(settings.get(schema.RECENT_DATABASES) or "")
    return [line for line in text.splitlines() if line.strip()]


def remember(target: str | Path) -> None:
    """Put ``target`` (a file or a server address) first in the list."""
    if is_server_url(target):
        from amends.core.store import pg_access  # a server's only: not imported at every start

        entry = pg_access.strip(str(target))
    else:
        entry = str(Path(target).expanduser().absolute())
    kept = [entry, *(e for e in entries() if e != entry)][:KEPT]
    settings.put(schema.RECENT_DATABASES, "\n".join(kept))


def label(entry: str) -> str:
    """How an entry reads in the menu: a server by user@host/database, a file by its path."""
    if not is_server_url(entry):
        return entry
    from amends.core.store import pg_access

    address = pg_access.parse(entry)[0]
    tls = f" · {address.sslmode}" if address.sslmode else ""
    return f"{address.user}@{address.host}:{address.port}/{address.dbname}{tls} (server)"
