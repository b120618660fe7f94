"""A mailbox's OAuth2 settings as saved (the oauth_* columns of
mail_accounts) and the check of them: what reading a mailbox needs.

Kept apart from oauth.py, the sign-in itself (a loopback HTTP server,
requests, authlib), so that reading a mailbox (the ticket view does it for
the ticket shown at start-up) does not import the sign-in flow; oauth.py
re-exports all of this, callers may keep using ``oauth.Client``."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

MICROSOFT, GOOGLE, GENERIC = "oauth2-microsoft", "oauth2-google", "oauth2"
KINDS: tuple[str, ...] = (MICROSOFT, GOOGLE, GENERIC)
NAMES = {MICROSOFT: "Microsoft", GOOGLE: "Google", GENERIC: "the sign-in service"}


@dataclass(frozen=True)
class Client:
    """A mailbox's OAuth2 settings, as saved (columns oauth_* of mail_accounts).
    ``tenant`` is Microsoft's (common, organizations or the directory id);
    the endpoints and scope are for the generic provider only."""

    client_id: str
    tenant: str | None = None
    client_secret: str | None = None  # Google "Desktop app" clients have one; not a secret in an installed app
    authorize_url: str | None = None
    token_url: str | None = None
    revoke_url: str | None = None
    scope: str | None = None


COLUMNS = ("oauth_client_id", "oauth_tenant", "oauth_client_secret", "oauth_authorize_url", "oauth_token_url",
           "oauth_revoke_url", "oauth_scope")


def from_row(row: Any) -> Client | None:
    """The settings in a mail_accounts row (None when it has no client id)."""
    keys = row.keys()
    if "oauth_client_id" not in keys or not row["oauth_client_id"]:
        return None
    return Client(*(row[c] for c in COLUMNS))


def columns(client: Client | None) -> tuple[str | None, ...]:
    """The values for :data:`COLUMNS`, in that order."""
    if client is None:
        return (None,) * len(COLUMNS)
    return (client.client_id, client.tenant, client.client_secret, client.authorize_url, client.token_url,
            client.revoke_url, client.scope)


def problems(kind: str, client: Client | None) -> list[tuple[str, str]]:
    """What is missing or wrong in the settings for this kind of sign-in."""
    if kind not in KINDS:
        return []
    name = NAMES[kind]
    if client is None or not client.client_id.strip():
        return [("oauth_client_id", f"the client id of your own app registration with {name} is needed "
                                    "(README: Microsoft 365 and Gmail sign-in)")]
    found = []
    if kind == GOOGLE and not (client.client_secret or "").strip():
        found.append(("oauth_client_secret", "Google's Desktop app clients come with a client secret; "
                                             "copy it from the Google Cloud console"))
    if kind == GENERIC:
        for name_, url in (("oauth_authorize_url", client.authorize_url), ("oauth_token_url", client.token_url)):
            if not url or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                found.append((name_, f"{url!r} is not an http(s) address"))
        if not (client.scope or "").strip():
            found.append(("oauth_scope", "the scope that grants IMAP and SMTP access is needed"))
    if kind == MICROSOFT and client.tenant and not all(c.isalnum() or c in "-." for c in client.tenant):
        found.append(("oauth_tenant", f"{client.tenant!r}: common, organizations, consumers, a directory id "
                                      "or domain"))
    return found
