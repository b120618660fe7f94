"""OAuth2 sign-in (XOAUTH2) end to end: only the identity provider is a
stand-in (tests/mail/oauth_idp.py, on loopback). Dovecot checks the tokens
with its real oauth2 passdb (introspection against that provider), and an
aiosmtpd server that accepts nothing but XOAUTH2 checks them the same way.
The "browser" follows the authorize redirect back to the app's listener."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from amends.core import tickets
from amends.core.errors import MailProblem, SignInRequired, ValidationError
from amends.core.mail import fetch, mailboxes, oauth, outbox, secrets

from tests.mail.oauth_idp import CLIENT_ID, browser, client_for
from tests.mail.test_outbox import free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MESSAGE = b"""From: Ana <ana@example.com>
To: support@shop.example
Subject: Where is my box?
Message-ID: <box-1@example.com>
Date: Tue, 01 Dec 2026 09:00:00 +0000

It did not come.
"""


def add_mailbox(db, idp, imap_port: int = 143, smtp_port: int = 25) -> mailboxes.Mailbox:
    box_id = mailboxes.add(db, mailboxes.Mailbox(
        0, "support", "Shop support", "support@shop.example", "127.0.0.1", smtp_port, "none", "support",
        imap_host="127.0.0.1", imap_port=imap_port, imap_security="none", imap_user="support",
        auth=oauth.GENERIC, oauth=client_for(idp)))
    return mailboxes.get(db, box_id)


def send_reply(db, box) -> outbox.DeliveryReport:
    ticket_id = db.scalar("SELECT id FROM tickets ORDER BY id LIMIT 1")
    reply = tickets.add_message(db, ticket_id, "out", "A new box is on its way.")
    outbox.queue_reply(db, reply, box.id)
    return outbox.deliver_due(db)


def test_sign_in_then_fetch_and_send_over_xoauth2(db, idp, provider, oauth_imap, oauth_smtp):
    handler, smtp_port = oauth_smtp
    box = add_mailbox(db, idp, oauth_imap.port, smtp_port)
    seen = []
    done = oauth.sign_in(provider, box.login, open_browser=browser, on_url=seen.append)
    assert done.kept_in in ("keyring", "session") and oauth.signed_in(oauth.GENERIC, "support")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(seen[0]).query))
    assert query["code_challenge_method"] == "S256" and query["state"] and query["login_hint"] == "support"
    redirect = urllib.parse.urlsplit(query["redirect_uri"])
    assert redirect.hostname == "127.0.0.1" and redirect.port not in (None, 80)
    assert idp.calls == {"authorize": 1, "authorization_code": 1}

    oauth_imap.append(MESSAGE)   # delivered to the mailbox (the test signs in with Dovecot's password)
    report = fetch.fetch(db, box.id, None)
    assert report.messages == 1 and db.scalar("SELECT subject FROM tickets") == "Where is my box?"

    sent = send_reply(db, box)
    assert (sent.sent, sent.waiting, sent.error) == (1, 0, None)
    assert handler.signed_in == ["support"] and len(handler.received) == 1
    mail = message_from_bytes(handler.received[0].content, policy=default)
    assert mail["To"] == "ana@example.com"
    assert "refresh_token" not in idp.calls, "an hour-long token is used, not renewed, for both"


def test_the_access_token_is_renewed_silently_before_it_expires(db, idp, provider, oauth_imap, oauth_smtp):
    handler, smtp_port = oauth_smtp
    box = add_mailbox(db, idp, oauth_imap.port, smtp_port)
    idp.expires_in = oauth.MARGIN_SECONDS + 2   # still valid at the server for a minute more, but inside the margin
    oauth.sign_in(provider, box.login, open_browser=browser)
    first_refresh = secrets.load(f"{oauth.GENERIC} refresh token:support")
    time.sleep(2.2)
    oauth_imap.append(MESSAGE)
    assert fetch.fetch(db, box.id, None).messages == 1
    assert idp.calls.get("refresh_token") == 1
    assert secrets.load(f"{oauth.GENERIC} refresh token:support") != first_refresh, "the rotated one is kept"
    assert send_reply(db, box).sent == 1 and handler.signed_in == ["support"]
    assert idp.calls.get("refresh_token") == 1, "the renewed token is used for sending too"


def test_a_token_the_server_no_longer_takes_is_renewed_once(db, idp, provider, oauth_imap, oauth_smtp):
    handler, smtp_port = oauth_smtp
    box = add_mailbox(db, idp, oauth_imap.port, smtp_port)
    oauth.sign_in(provider, box.login, open_browser=browser)
    idp.expire_access_tokens()   # expired at the provider while the app thinks it has 59 minutes left
    oauth_imap.append(MESSAGE)
    assert fetch.fetch(db, box.id, None).messages == 1
    assert idp.calls.get("refresh_token") == 1
    idp.expire_access_tokens()
    assert send_reply(db, box).sent == 1 and handler.signed_in == ["support"]
    assert idp.calls.get("refresh_token") == 2


def test_a_revoked_sign_in_asks_to_sign_in_again_and_the_mail_waits(db, idp, provider, oauth_imap, oauth_smtp):
    handler, smtp_port = oauth_smtp
    box = add_mailbox(db, idp, oauth_imap.port, smtp_port)
    oauth.sign_in(provider, box.login, open_browser=browser)
    oauth_imap.append(MESSAGE)
    assert fetch.fetch(db, box.id, None).messages == 1
    idp.revoke_everything()
    idp.expire_access_tokens()
    oauth_imap.append(MESSAGE.replace(b"box-1@", b"box-2@"))
    with pytest.raises(SignInRequired, match="sign in again") as caught:
        fetch.fetch(db, box.id, None)
    assert caught.value.login == "support"
    assert db.scalar("SELECT count(*) FROM messages") == 1, "nothing changed"
    assert not oauth.signed_in(oauth.GENERIC, "support"), "the dead refresh token is not kept"

    waiting = send_reply(db, box)
    assert (waiting.sent, waiting.waiting) == (0, 1) and "sign in" in waiting.error
    assert "sign in" in outbox.entries(db)[0]["last_error"] and handler.received == []

    oauth.sign_in(provider, box.login, open_browser=browser)
    assert fetch.fetch(db, box.id, None).messages == 1
    later = outbox.entries(db)[0]["next_attempt_at"]
    assert outbox.deliver_due(db, now=later).sent == 1 and len(handler.received) == 1


def test_never_signed_in_is_a_clear_error(db, idp, provider, oauth_imap):
    box = add_mailbox(db, idp, oauth_imap.port)
    with pytest.raises(SignInRequired, match="not signed in"):
        fetch.fetch(db, box.id, None)


def test_an_answer_without_our_state_is_refused(idp, provider):
    def forged(url: str) -> bool:
        """A page that sends the browser to the listener with a code of its own choosing."""
        redirect = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["redirect_uri"]
        urllib.request.urlopen(f"{redirect}?code=attacker&state=guessed", timeout=5).read()
        return True

    with pytest.raises(MailProblem, match="state"):
        oauth.sign_in(provider, "support", open_browser=forged)
    assert not oauth.signed_in(oauth.GENERIC, "support") and "authorization_code" not in idp.calls


def test_a_denied_consent_is_reported(idp, provider):
    def deny(url: str) -> bool:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        back = urllib.parse.urlencode({"error": "access_denied", "error_description": "The user said no",
                                       "state": query["state"]})
        urllib.request.urlopen(f"{query['redirect_uri']}?{back}", timeout=5).read()
        return True

    with pytest.raises(MailProblem, match="The user said no"):
        oauth.sign_in(provider, "support", open_browser=deny)


def test_a_sign_in_service_that_is_away_is_a_mail_problem(db, idp, provider):
    oauth.sign_in(provider, "support", open_browser=browser)
    away = oauth.Provider(oauth.GENERIC, CLIENT_ID, provider.authorize_url, f"http://127.0.0.1:{free_port()}/token",
                          None, provider.scope)
    with pytest.raises(MailProblem, match="Could not reach") as caught:
        oauth.access_token(away, "support", renew=True)
    assert not isinstance(caught.value, SignInRequired)
    assert oauth.signed_in(oauth.GENERIC, "support"), "a network failure does not throw the sign-in away"


def test_incomplete_settings_name_the_field_and_save_nothing(db):
    def attempt(kind: str, client: oauth.Client | None) -> list[str]:
        with pytest.raises(ValidationError) as caught:
            mailboxes.add(db, mailboxes.Mailbox(0, "help", "Help", "help@shop.example", "smtp.example.com", 587,
                                                "starttls", "help@shop.example", auth=kind, oauth=client))
        return [field for field, _ in caught.value.problems]

    assert attempt(oauth.MICROSOFT, None) == ["oauth_client_id"]
    assert attempt(oauth.GOOGLE, oauth.Client("123.apps.googleusercontent.com")) == ["oauth_client_secret"]
    assert attempt(oauth.GENERIC, oauth.Client("x", authorize_url="ftp://idp")) == [
        "oauth_authorize_url", "oauth_token_url", "oauth_scope"]
    assert attempt(oauth.MICROSOFT, oauth.Client("x", tenant="a/b")) == ["oauth_tenant"]
    assert attempt("oauth3", None) == ["auth"]
    assert db.scalar("SELECT count(*) FROM mail_accounts") == 0


def test_microsoft_and_google_settings_are_kept_and_give_their_endpoints(db):
    box_id = mailboxes.add(db, mailboxes.Mailbox(
        0, "help", "Help", "help@shop.example", "smtp.office365.com", 587, "starttls", "help@shop.example",
        imap_host="outlook.office365.com", imap_port=993, auth=oauth.MICROSOFT,
        oauth=oauth.Client("0f1e-app", tenant="shop.onmicrosoft.com")))
    box = mailboxes.get(db, box_id)
    assert box.auth == oauth.MICROSOFT and box.oauth == oauth.Client("0f1e-app", tenant="shop.onmicrosoft.com")
    ms = oauth.provider(box.auth, box.oauth)
    assert ms.authorize_url == "https://login.microsoftonline.com/shop.onmicrosoft.com/oauth2/v2.0/authorize"
    assert "IMAP.AccessAsUser.All" in ms.scope and "SMTP.Send" in ms.scope and "offline_access" in ms.scope
    assert ms.redirect_host == "localhost" and ms.client_secret is None   # public client, registered http://localhost
    google = oauth.provider(oauth.GOOGLE, oauth.Client("1.apps.googleusercontent.com", client_secret="GOCSPX-x"))
    assert google.scope == "https://mail.google.com/" and ("access_type", "offline") in google.extra
    assert oauth.xoauth2("a@b.c", "tok") == "user=a@b.c\x01auth=Bearer tok\x01\x01"
    mailboxes.update(db, box)   # saving other fields keeps the settings
    assert mailboxes.get(db, box_id).oauth == box.oauth


def file_keyring_env(tmp_path: Path) -> dict[str, str]:
    return {"PYTHON_KEYRING_BACKEND": "tests.mail.file_keyring.FileKeyring",
            "AMENDS_TEST_KEYRING": str(tmp_path / "keyring.json")}


def test_the_connection_test_signs_in_with_oauth2_and_says_when_to_sign_in_again(db, idp, provider, oauth_imap,
                                                                                  oauth_smtp):
    from amends.core.mail import connection

    handler, smtp_port = oauth_smtp
    box = add_mailbox(db, idp, oauth_imap.port, smtp_port)
    oauth.sign_in(provider, box.login, open_browser=browser)
    report = connection.check_mailbox(box, None, None)
    assert report.ok, [r.message for r in report.results]
    assert handler.signed_in == ["support"]
    idp.revoke_everything()
    idp.expire_access_tokens()
    report = connection.check_mailbox(box, None, None)
    assert [(r.ok, r.problem) for r in report.results] == [(False, "auth"), (False, "auth")]
    assert all("sign in" in r.message for r in report.results)
