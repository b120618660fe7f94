"""OAuth2 sign-in for mail (XOAUTH2): Microsoft 365 / Outlook.com and Google,
which no longer take a password over IMAP (Microsoft since 2022) or soon
over SMTP, plus any provider given by its endpoints.

The installed-app flow of RFC 8252: the system browser opens the
provider's sign-in page; the answer comes back to a one-shot HTTP listener
on 127.0.0.1 at a random port, and is only taken with the ``state`` we sent
(another page cannot sign us in) and exchanged with the PKCE S256 verifier
(an app that caught the code cannot use it). The client id is the
founder's own app registration (README: "Microsoft 365 and Gmail sign-in").

Only the refresh token is kept, in the OS keyring (secrets.py): it is what
lets the app sign in without the person, and access tokens are too large
for some keyrings (Windows keeps 2.5 kB) and live an hour anyway. Access
tokens stay in memory and are renewed silently shortly before they
expire; a refresh the provider refuses (revoked, expired, password changed)
becomes :class:`SignInRequired`, which the UI and CLI turn into "sign in
again"."""

from __future__ import annotations

import base64
import hmac
import html
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

from amends.core.errors import Cancelled, MailProblem, SignInRequired, ValidationError
from amends.core.mail import secrets

# The saved settings live in oauth_settings.py (reading a mailbox needs no sign-in flow);
# re-exported here, so oauth.Client, oauth.KINDS ... keep working.
from amends.core.mail.oauth_settings import COLUMNS as COLUMNS
from amends.core.mail.oauth_settings import GENERIC as GENERIC
from amends.core.mail.oauth_settings import GOOGLE as GOOGLE
from amends.core.mail.oauth_settings import KINDS as KINDS
from amends.core.mail.oauth_settings import MICROSOFT as MICROSOFT
from amends.core.mail.oauth_settings import NAMES as NAMES
from amends.core.mail.oauth_settings import Client as Client
from amends.core.mail.oauth_settings import columns as columns
from amends.core.mail.oauth_settings import from_row as from_row
from amends.core.mail.oauth_settings import problems as problems

if TYPE_CHECKING:  # requests and authlib are imported at the first sign-in or token renewal (~250 ms at start)
    from authlib.integrations.requests_client import OAuth2Session

log = logging.getLogger(__name__)

#: Renew an access token this long before the provider says it expires, so
#: that a fetch or a send never starts with a token about to run out.
MARGIN_SECONDS = 60
TIMEOUT_SECONDS = 20
MICROSOFT_SCOPE = ("https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
                   "offline_access")
GOOGLE_SCOPE = "https://mail.google.com/"


@dataclass(frozen=True)
class Provider:
    kind: str
    client_id: str
    authorize_url: str
    token_url: str
    revoke_url: str | None
    scope: str
    client_secret: str | None = None
    #: Microsoft matches the registered "http://localhost" (any port); RFC 8252 prefers the IP literal.
    redirect_host: str = "127.0.0.1"
    extra: tuple[tuple[str, str], ...] = ()   # more authorize parameters


def provider(kind: str, client: Client | None) -> Provider:
    """The endpoints to use for a mailbox; ValidationError naming the field
    when its settings are incomplete."""
    found = problems(kind, client) if kind in KINDS else [("auth", f"{kind!r} is not an OAuth2 sign-in")]
    if found or client is None:
        raise ValidationError(found)
    if kind == MICROSOFT:
        base = f"https://login.microsoftonline.com/{client.tenant or 'common'}/oauth2/v2.0"
        return Provider(kind, client.client_id, f"{base}/authorize", f"{base}/token", None,
                        client.scope or MICROSOFT_SCOPE, client.client_secret, "localhost")
    if kind == GOOGLE:
        # offline + consent: Google hands out a refresh token only when asked like this
        return Provider(kind, client.client_id, "https://accounts.google.com/o/oauth2/v2/auth",
                        "https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com/revoke",
                        client.scope or GOOGLE_SCOPE, client.client_secret,
                        extra=(("access_type", "offline"), ("prompt", "consent")))
    return Provider(kind, client.client_id, client.authorize_url or "", client.token_url or "", client.revoke_url,
                    client.scope or "", client.client_secret)


def xoauth2(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (not yet base64): what IMAP
    AUTHENTICATE and SMTP AUTH send."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def xoauth2_base64(user: str, token: str) -> str:
    return base64.b64encode(xoauth2(user, token).encode()).decode("ascii")


# -- tokens -------------------------------------------------------------------------

def _key(kind: str, login: str) -> str:
    return f"{kind} refresh token:{login}"


@dataclass
class _Access:
    token: str
    expires_at: float


_access: dict[str, _Access] = {}
#: Held across a refresh: fetching and sending at once must not both spend the
#: same refresh token (Microsoft rotates it; the second would use a stale one).
_lock = threading.Lock()


def _session(p: Provider, redirect_uri: str | None = None) -> OAuth2Session:
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(p.client_id, p.client_secret, scope=p.scope, redirect_uri=redirect_uri,
                         token_endpoint_auth_method="client_secret_post" if p.client_secret else "none",
                         code_challenge_method="S256", default_timeout=TIMEOUT_SECONDS)


def _keep(p: Provider, login: str, token: dict[str, Any], now: float) -> str:
    """Remember a token answer: the refresh token in the keyring (a rotated
    one replaces the old), the access token in memory. Returns where the
    refresh token went ('keyring' or 'session')."""
    where = "unchanged"
    if token.get("refresh_token"):
        where = secrets.store(_key(p.kind, login), str(token["refresh_token"]))
    lifetime = float(token.get("expires_in") or 3600)
    _access[_key(p.kind, login)] = _Access(str(token["access_token"]), now + lifetime)
    return where


def signed_in(kind: str, login: str) -> bool:
    """Whether a refresh token is kept for this mailbox (no network)."""
    return bool(secrets.load(_key(kind, login)))


def access_token(p: Provider, login: str, *, renew: bool = False, now: Callable[[], float] = time.time) -> str:
    """A valid access token for ``login``: the one in memory while it has
    more than a minute left, else a new one from the refresh token.
    ``renew`` forces a new one (the server refused the one we had)."""
    import requests
    from authlib.integrations.base_client import OAuthError

    key = _key(p.kind, login)
    with _lock:
        held = _access.get(key)
        moment = now()
        if held is not None and not renew and held.expires_at - MARGIN_SECONDS > moment:
            return held.token
        refresh = secrets.load(key)
        if not refresh:
            raise SignInRequired(f"{login} is not signed in with {NAMES[p.kind]} on this computer yet; sign in "
                                 "(the mailbox's Sign in button, or 'amends mail signin').", login=login)
        try:
            token = _session(p).refresh_token(p.token_url, refresh_token=refresh)
        except OAuthError as error:
            _access.pop(key, None)
            if error.error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                secrets.forget(key)
                log.warning("OAuth2 refresh for %s refused by %s: %s", login, p.token_url, error.error)
                raise SignInRequired(f"The sign-in of {login} with {NAMES[p.kind]} has expired or was revoked; "
                                     "sign in again (the mailbox's Sign in button, or 'amends mail signin').",
                                     login=login) from error
            raise MailProblem(f"{NAMES[p.kind]} refused to renew the sign-in of {login}: {error}") from error
        except (requests.RequestException, ValueError) as error:
            raise MailProblem(f"Could not reach {NAMES[p.kind]} to renew the sign-in of {login} ({error}); "
                              "nothing was fetched or sent.") from error
        _keep(p, login, dict(token), moment)
        log.info("OAuth2 access token for %s renewed", login)
        return _access[key].token


def forget_access(p: Provider, login: str) -> None:
    """Drop the access token in memory (the server refused it)."""
    with _lock:
        _access.pop(_key(p.kind, login), None)


def sign_out(p: Provider, login: str) -> None:
    """Forget the tokens here and, where the provider offers it, revoke the
    refresh token there too."""
    import requests
    from authlib.integrations.base_client import OAuthError

    key = _key(p.kind, login)
    refresh = secrets.load(key)
    with _lock:
        _access.pop(key, None)
    secrets.forget(key)
    if refresh and p.revoke_url:
        try:
            _session(p).revoke_token(p.revoke_url, token=refresh, token_type_hint="refresh_token")
        except (OAuthError, requests.RequestException) as error:  # forgotten here; the provider lets it expire
            log.warning("Revoking the refresh token of %s at %s failed: %s", login, p.revoke_url, error)


# -- the browser flow ------------------------------------------------------------

@dataclass(frozen=True)
class SignIn:
    login: str
    kept_in: str        # 'keyring', or 'session' when there is no OS keyring (asked again next start)


class _Listener(HTTPServer):
    answer: dict[str, str] | None = None
    done: threading.Event


class _Redirect(BaseHTTPRequestHandler):
    server: _Listener

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sign-in listener: " + format, *args)

    def do_GET(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        if "code" not in query and "error" not in query:
            self.send_error(404)
            return
        if self.server.answer is None:
            self.server.answer = query
        ok = "code" in query
        text = ("Signed in. You can close this window and go back to Amends." if ok else
                f"The sign-in did not complete: {html.escape(query.get('error_description') or query['error'])}")
        body = f"<!doctype html><meta charset=utf-8><title>Amends</title><p>{text}</p>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.done.set()


def sign_in(p: Provider, login: str, *, open_browser: Callable[[str], object],
            on_url: Callable[[str], None] | None = None, timeout: float = 300,
            cancelled: Callable[[], bool] | None = None) -> SignIn:
    """Sign ``login`` in through the browser and keep the refresh token.
    ``open_browser`` opens the page (webbrowser.open in the app); ``on_url``
    is told the address too, for a person whose browser did not open."""
    import requests
    from authlib.common.security import generate_token
    from authlib.integrations.base_client import OAuthError

    listener = _Listener(("127.0.0.1", 0), _Redirect)
    listener.done = threading.Event()
    port = listener.server_address[1]
    redirect_uri = f"http://{p.redirect_host}:{port}/"
    session = _session(p, redirect_uri)
    verifier = generate_token(64)
    url, state = session.create_authorization_url(p.authorize_url, code_verifier=verifier, login_hint=login,
                                                  **dict(p.extra))
    thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        if on_url is not None:
            on_url(url)
        open_browser(url)
        deadline = time.monotonic() + timeout
        while not listener.done.wait(0.2):
            if cancelled is not None and cancelled():
                raise Cancelled("Sign-in cancelled; nothing was kept.")
            if time.monotonic() > deadline:
                raise MailProblem(f"No answer from the {NAMES[p.kind]} sign-in page within {int(timeout)} s; "
                                  "nothing was kept. Try again.")
    finally:
        listener.shutdown()
        listener.server_close()
    answer = listener.answer or {}
    if not hmac.compare_digest(answer.get("state", ""), state or ""):
        raise MailProblem("The sign-in answer did not carry the request's state (it did not come from this "
                          "sign-in); nothing was kept.")
    if "error" in answer:
        raise MailProblem(f"{NAMES[p.kind]} did not sign {login} in: "
                          f"{answer.get('error_description') or answer['error']}")
    try:
        token = session.fetch_token(p.token_url, grant_type="authorization_code", code=answer["code"],
                                    code_verifier=verifier)
    except OAuthError as error:
        raise MailProblem(f"{NAMES[p.kind]} refused the sign-in of {login}: {error}") from error
    except (requests.RequestException, ValueError) as error:
        raise MailProblem(f"Could not reach {NAMES[p.kind]} to finish the sign-in ({error}).") from error
    if not token.get("refresh_token"):
        raise MailProblem(f"{NAMES[p.kind]} gave no refresh token (is offline_access among the app's "
                          "permissions?); nothing was kept.")
    with _lock:
        where = _keep(p, login, dict(token), time.time())
    log.info("Signed %s in with %s (refresh token kept in the %s)", login, NAMES[p.kind], where)
    return SignIn(login, where)
