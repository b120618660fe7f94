"""``amends mail signin`` as a real process: the browser flow against the
local identity provider (the "browser" is $BROWSER, a script following the
redirect), the sign-in kept in a keyring another process then uses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from amends.core.mail import fetch, mailboxes, oauth

from tests.cli.test_cli import amends, one_line_error
from tests.mail.file_keyring import file_keyring
from tests.mail.test_oauth import MESSAGE, add_mailbox

ROOT = Path(__file__).resolve().parents[2]


def environment(tmp_path: Path, backend: str = "tests.mail.file_keyring.FileKeyring") -> dict[str, str]:
    script = tmp_path / "browser"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                      "from tests.mail.oauth_idp import browser\nbrowser(sys.argv[1])\n")
    script.chmod(0o755)
    return {"BROWSER": str(script), "PYTHON_KEYRING_BACKEND": backend, "PYTHONPATH": str(ROOT),
            "AMENDS_TEST_KEYRING": str(tmp_path / "keyring.json")}


def test_signin_from_the_command_line_is_used_by_the_next_process(db, db_path, tmp_path, idp, provider,
                                                                  oauth_imap):
    box = add_mailbox(db, idp, oauth_imap.port)
    done = amends("--db", str(db_path), "mail", "signin", "--mailbox", "support", "--timeout", "30",
                  env=environment(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"{idp.base}/authorize?" in done.stdout and "kept in the OS keyring" in done.stdout
    assert idp.calls == {"authorize": 1, "authorization_code": 1}
    with file_keyring(tmp_path / "keyring.json"):
        try:  # this process never signed in: it renews from the refresh token the command kept
            oauth_imap.append(MESSAGE)
            assert fetch.fetch(db, box.id, None).messages == 1
            assert idp.calls.get("refresh_token") == 1 and idp.calls["authorize"] == 1
        finally:
            oauth.sign_out(provider, "support")


def test_signin_without_a_keyring_says_it_is_not_kept(db, db_path, tmp_path, idp):
    add_mailbox(db, idp)
    done = amends("--db", str(db_path), "mail", "signin", "--timeout", "30",
                  env=environment(tmp_path, "keyring.backends.fail.Keyring"))
    assert "no OS keyring" in one_line_error(done)
    assert idp.calls["authorization_code"] == 1


def test_signin_settings_are_checked_before_the_browser_opens(db, db_path, tmp_path, idp):
    add_mailbox(db, idp)
    done = amends("--db", str(db_path), "mail", "signin", "--mailbox", "support", "--provider", "google",
                  "--client-id", "1.apps.googleusercontent.com", env=environment(tmp_path))
    assert "oauth_client_secret" in one_line_error(done)
    assert mailboxes.by_label(db, "support").auth == oauth.GENERIC and "authorize" not in idp.calls
    assert "no mailbox is called 'nope'" in one_line_error(
        amends("--db", str(db_path), "mail", "signin", "--mailbox", "nope", env=environment(tmp_path)))


def test_signin_switches_a_mailbox_to_microsoft(db, db_path, tmp_path, idp):
    add_mailbox(db, idp)
    done = amends("--db", str(db_path), "mail", "signin", "--provider", "microsoft", "--client-id", "0f1e",
                  "--tenant", "shop.onmicrosoft.com", "--no-browser", "--timeout", "1", env=environment(tmp_path))
    assert "within 1 s" in one_line_error(done)
    assert "https://login.microsoftonline.com/shop.onmicrosoft.com/oauth2/v2.0/authorize?" in done.stdout
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in done.stdout
    box = mailboxes.by_label(db, "support")
    assert box.auth == oauth.MICROSOFT and box.oauth == oauth.Client("0f1e", tenant="shop.onmicrosoft.com")


@pytest.mark.parametrize("args", [["mail"], ["mail", "signin", "--provider", "yahoo"],
                                  ["mail", "signin", "--timeout", "0"]])
def test_bad_arguments_exit_2(tmp_path, args):
    assert amends("--db", str(tmp_path / "x.db"), *args).returncode == 2
