"""A small OAuth2 identity provider on loopback for the sign-in tests: the
only part of Microsoft's or Google's service that is not real here.

It does what they do for an installed app: an authorize endpoint that sends
the browser back to the app's loopback redirect with a code (checking the
client id, the redirect, PKCE S256 and passing the state back), a token
endpoint that checks the PKCE verifier and refreshes (rotating the refresh
token, as Microsoft does), revocation, and the RFC 7662 introspection that
Dovecot's oauth2 passdb and the test SMTP server ask to check a token."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.smtp import AuthResult
from amends.core.mail import oauth

CLIENT_ID = "amends-test-client"


@dataclass
class Grant:
    user: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class IdentityProvider:
    user: str = "support"                 # who "signs in" at the authorize page
    expires_in: int = 3600                # lifetime of the access tokens it issues
    codes: dict[str, dict] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[Grant, float]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)   # grant type or endpoint -> how many times
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what the tests do to it ----------------------------------------------
    def revoke_everything(self) -> None:
        """The administrator revokes the app's sessions (or the password changed)."""
        for grant in self.refresh_tokens.values():
            grant.revoked = True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (its hour is up)."""
        for token, (grant, _) in list(self.access_tokens.items()):
            self.access_tokens[token] = (grant, 0.0)

    def active(self, token: str) -> Grant | None:
        found = self.access_tokens.get(token)
        if found is None or found[1] < time.time() or found[0].revoked:
            return None
        return found[0]

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    # -- the endpoints ----------------------------------------------------------
    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        self._count("authorize")
        redirect = query.get("redirect_uri", "")
        host = urllib.parse.urlsplit(redirect).hostname
        if query.get("client_id") != CLIENT_ID or host not in ("127.0.0.1", "localhost"):
            return 400, {}, "unknown client or a redirect that is not loopback"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256" \
                or not query.get("code_challenge"):
            return 400, {}, "only the code flow with PKCE S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": query["code_challenge"], "redirect_uri": redirect,
                            "scope": query.get("scope", ""), "hint": query.get("login_hint")}
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return 302, {"Location": redirect + ("&" if "?" in redirect else "?") + urllib.parse.urlencode(back)}, ""

    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        kind = form.get("grant_type", "")
        self._count(kind)
        if form.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        if kind == "authorization_code":
            pending = self.codes.pop(form.get("code", ""), None)
            if pending is None or pending["redirect_uri"] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "unknown code or another redirect"}
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != pending["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            return 200, self._issue(Grant(self.user, CLIENT_ID, pending["scope"]))
        if kind == "refresh_token":
            grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if grant is None or grant.revoked:
                return 400, {"error": "invalid_grant", "error_description": "the refresh token was revoked"}
            return 200, self._issue(grant)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, grant: Grant) -> dict:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = (grant, time.time() + self.expires_in)
        self.refresh_tokens[refresh] = grant
        return {"access_token": access, "token_type": "Bearer", "expires_in": self.expires_in,
                "refresh_token": refresh, "scope": grant.scope}

    def revoke(self, form: dict[str, str]) -> int:
        self._count("revoke")
        token = form.get("token", "")
        if token in self.refresh_tokens:
            self.refresh_tokens[token].revoked = True
        elif token in self.access_tokens:
            self.access_tokens[token][0].revoked = True
        return 200

    def introspect(self, form: dict[str, str]) -> dict:
        self._count("introspect")
        grant = self.active(form.get("token", ""))
        return {"active": True, "username": grant.user, "scope": grant.scope} if grant else {"active": False}


def serve(idp: IdentityProvider) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            return dict(urllib.parse.parse_qsl(body))

        def _send(self, status: int, body: str, headers: dict[str, str] | None = None,
                  kind: str = "application/json") -> None:
            data = body.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/authorize":
                status, headers, text = idp.authorize(dict(urllib.parse.parse_qsl(url.query)))
                self._send(status, text, headers, "text/plain")
            else:
                self._send(404, "{}")

        def do_POST(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            form = self._form()
            if path == "/token":
                status, data = idp.token(form)
                self._send(status, json.dumps(data))
            elif path == "/revoke":
                self._send(idp.revoke(form), "{}")
            elif path == "/introspect":
                self._send(200, json.dumps(idp.introspect(form)))
            else:
                self._send(404, "{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    idp.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser(url: str) -> bool:
    """The "system browser" of the tests: opens the authorize page, where the
    person is already signed in and consents, and follows the redirect back
    to the app's loopback address, as a browser would."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        answer.read()
    return True


def xoauth2_user_and_token(initial: bytes) -> tuple[str, str]:
    """Read an XOAUTH2 initial response: user=NAME^Aauth=Bearer TOKEN^A^A."""
    parts = dict(p.split("=", 1) for p in base64.b64decode(initial).decode().split("\x01") if "=" in p)
    return parts.get("user", ""), parts.get("auth", "").removeprefix("Bearer ")


def client_for(idp: IdentityProvider) -> oauth.Client:
    return oauth.Client(CLIENT_ID, authorize_url=f"{idp.base}/authorize", token_url=f"{idp.base}/token",
                        revoke_url=f"{idp.base}/revoke", scope="mail offline_access")


class XOAuth2Only:
    """An SMTP server's handler that signs in with XOAUTH2 only, asking the
    provider (introspection) whether the token is active and whose it is."""

    def __init__(self, idp: IdentityProvider) -> None:
        self.idp, self.received, self.signed_in = idp, [], []

    async def auth_XOAUTH2(self, server, args):
        user, token = xoauth2_user_and_token(args[1].encode() if len(args) > 1 else b"")
        request = urllib.request.Request(f"{self.idp.base}/introspect",
                                         urllib.parse.urlencode({"token": token}).encode())
        with urllib.request.urlopen(request, timeout=5) as answer:
            found = json.loads(answer.read())
        if found.get("active") and found.get("username") == user:
            self.signed_in.append(user)
            return AuthResult(success=True, auth_data=user)
        # as Gmail and Outlook do: a 334 with the reason, the client's empty line, then 535
        await server.challenge_auth(json.dumps({"status": "401", "schemes": "bearer"}))
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope):
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        self.received.append(envelope)
        return "250 OK"
