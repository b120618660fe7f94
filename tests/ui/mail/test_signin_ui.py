"""The mailbox editor's sign-in: Microsoft or Google settings are checked
and saved with the mailbox, and "Sign in with …" runs the real browser
flow (against the local identity provider of tests/mail/oauth_idp.py) on
a worker, showing the outcome."""

from __future__ import annotations

from amends.core.mail import mailboxes, oauth
from amends.ui.mail.signin import SignInPanel
from PySide6.QtCore import Qt

from tests.mail.oauth_idp import CLIENT_ID, IdentityProvider, browser, client_for, serve


def test_microsoft_settings_are_checked_then_saved_with_the_mailbox(qtbot, window):
    dialog = window.open_account()
    dialog.address.setText("help@shop.example")
    dialog.host.setText("smtp.office365.com")
    dialog.sign_in.kind.setCurrentIndex(dialog.sign_in.kind.findData(oauth.MICROSOFT))
    assert dialog.sign_in.button.isVisibleTo(dialog) and "Microsoft" in dialog.sign_in.button.text()
    dialog.accept()
    assert "oauth_client_id" in dialog.problem.text()
    assert window.db.scalar("SELECT count(*) FROM mail_accounts") == 0, "nothing saved"
    dialog.sign_in.client_id.setText("0f1e-app")
    dialog.sign_in.tenant.setText("shop.onmicrosoft.com")
    dialog.accept()
    [box] = mailboxes.all_mailboxes(window.db)
    assert box.auth == oauth.MICROSOFT and box.oauth == oauth.Client("0f1e-app", tenant="shop.onmicrosoft.com")


def test_sign_in_button_runs_the_browser_flow(qtbot, db):
    idp = IdentityProvider()
    server = serve(idp)
    panel = SignInPanel(db, lambda: "support")
    qtbot.addWidget(panel)
    try:
        panel.set_mailbox(mailboxes.Mailbox(0, "support", "Support", "support@shop.example", "127.0.0.1", 25,
                                            "none", "support", auth=oauth.GENERIC, oauth=client_for(idp)))
        assert panel.auth() == oauth.GENERIC and panel.client().client_id == CLIENT_ID
        assert "Not signed in" in panel.status.text()
        panel.open_browser = browser
        qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.op is not None and panel.op.done, timeout=15_000)
        assert "Signed in as support" in panel.status.text() and panel.button.isEnabled()
        assert oauth.signed_in(oauth.GENERIC, "support") and idp.calls["authorization_code"] == 1
    finally:
        oauth.sign_out(oauth.provider(oauth.GENERIC, client_for(idp)), "support")
        server.shutdown()
        server.server_close()


def test_a_sign_in_refused_is_shown_not_raised(qtbot, db):
    idp = IdentityProvider()
    server = serve(idp)
    panel = SignInPanel(db, lambda: "support")
    qtbot.addWidget(panel)
    try:
        panel.set_mailbox(mailboxes.Mailbox(0, "support", "Support", "support@shop.example", "127.0.0.1", 25,
                                            "none", "support", auth=oauth.GENERIC,
                                            oauth=oauth.Client("someone-else", authorize_url=f"{idp.base}/authorize",
                                                               token_url=f"{idp.base}/token", scope="mail")))

        def page(url: str) -> bool:   # the provider shows an error page: nothing comes back
            try:
                browser(url)
            except OSError:
                pass
            return True

        panel.open_browser = page
        qtbot.mouseClick(panel.button, Qt.MouseButton.LeftButton)
        qtbot.wait(500)
        panel.cancel()
        qtbot.waitUntil(lambda: panel.op.done, timeout=10_000)
        assert "cancelled" in panel.status.text().lower() and panel.button.isEnabled()
        assert not oauth.signed_in(oauth.GENERIC, "support")
    finally:
        server.shutdown()
        server.server_close()
