"""How a mailbox signs in, for the mailbox editor: a password, or OAuth2 with
Microsoft 365 or Google through the founder's own app registration, and the
"Sign in with Microsoft / Google" button that runs the browser flow of
core/mail/oauth.py on a worker (the window stays usable; closing cancels)."""

from __future__ import annotations

import html
import logging
import webbrowser
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget

from amends.core.errors import AmendsError
from amends.core.mail import oauth
from amends.core.mail.mailboxes import Mailbox
from amends.core.store import Database
from amends.ui.common import ops

log = logging.getLogger("amends.ui.mail")

KINDS = (("password", "Password (or app password)"), (oauth.MICROSOFT, "Microsoft 365 / Outlook.com (OAuth2)"),
         (oauth.GOOGLE, "Google (OAuth2)"))


class SignInPanel(QWidget):
    #: The sign-in page's address, from the worker (shown for a browser that did not open).
    url_ready = Signal(str)

    def __init__(self, db: Database, login: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInPanel")
        self._db, self._login = db, login
        self._generic: oauth.Client | None = None   # a provider given by its endpoints: kept as saved
        self.open_browser: Callable[[str], object] = webbrowser.open
        self.op: ops.Operation | None = None
        self.kind = QComboBox()
        for key, label in KINDS:
            self.kind.addItem(self.tr(label), key)
        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText(self.tr("the client id of your app registration"))
        self.tenant = QLineEdit()
        self.tenant.setPlaceholderText(self.tr("common"))
        self.client_secret = QLineEdit()
        self.button = QPushButton()
        self.button.setObjectName("oauthSignIn")
        self.status = QLabel()
        self.status.setObjectName("oauthStatus")
        self.status.setWordWrap(True)
        self.status.setOpenExternalLinks(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self._rows = {}
        for key, label, widget in (("kind", "Sign-in", self.kind), ("client_id", "Client id", self.client_id),
                                   ("tenant", "Tenant", self.tenant), ("secret", "Client secret", self.client_secret),
                                   ("button", "", self.button), ("status", "", self.status)):
            widget.setAccessibleName(self.tr(label) if label else key)
            form.addRow(self.tr(label), widget)
            self._rows[key] = widget
        self._form = form
        self.kind.currentIndexChanged.connect(self._update)
        self.button.clicked.connect(self.sign_in)
        self.url_ready.connect(self._show_url)
        self._update()

    def auth(self) -> str:
        return str(self.kind.currentData())

    def client(self) -> oauth.Client | None:
        """The settings as typed (None for a password)."""
        kind = self.auth()
        if kind not in oauth.KINDS:
            return None
        typed = self.client_id.text().strip()
        if kind == oauth.GENERIC and self._generic is not None:
            return replace(self._generic, client_id=typed or self._generic.client_id)
        return oauth.Client(typed, tenant=self.tenant.text().strip() or None if kind == oauth.MICROSOFT else None,
                            client_secret=self.client_secret.text().strip() or None if kind == oauth.GOOGLE else None)

    def problems(self) -> list[tuple[str, str]]:
        return oauth.problems(self.auth(), self.client())

    def set_mailbox(self, box: Mailbox) -> None:
        if box.auth == oauth.GENERIC and self.kind.findData(oauth.GENERIC) < 0:
            self.kind.addItem(self.tr("Other provider (OAuth2)"), oauth.GENERIC)
        self._generic = box.oauth if box.auth == oauth.GENERIC else None
        self.kind.setCurrentIndex(max(0, self.kind.findData(box.auth)))
        client = box.oauth or oauth.Client("")
        self.client_id.setText(client.client_id)
        self.tenant.setText(client.tenant or "")
        self.client_secret.setText(client.client_secret or "")
        self._update()

    def _update(self) -> None:
        kind = self.auth()
        for key, shown in (("client_id", kind in oauth.KINDS), ("tenant", kind == oauth.MICROSOFT),
                           ("secret", kind == oauth.GOOGLE), ("button", kind in oauth.KINDS)):
            self._form.setRowVisible(self._rows[key], shown)
        self.button.setText(self.tr("Sign in with {0}…").format(oauth.NAMES.get(kind, "")) if kind in oauth.KINDS
                            else "")
        if kind in oauth.KINDS and (login := self._login().strip()) and oauth.signed_in(kind, login):
            self.status.setText(self.tr("{0} is signed in on this computer.").format(login))
        elif kind in oauth.KINDS:
            self.status.setText(self.tr("Not signed in yet. README: “Microsoft 365 and Gmail sign-in” says how "
                                        "to get a client id."))
        else:
            self.status.setText("")

    def _show_url(self, url: str) -> None:
        self.status.setText(self.tr("Waiting for the sign-in in your browser. If it did not open: "
                                    "<a href=\"{0}\">open the sign-in page</a>.").format(html.escape(url, True)))

    def sign_in(self) -> ops.Operation | None:
        """Run the browser flow for the address typed (nothing else is saved)."""
        login = self._login().strip()
        try:
            if not login:
                raise AmendsError(self.tr("Type the mailbox's address (or user name) first."))
            provider = oauth.provider(self.auth(), self.client())
        except AmendsError as error:
            log.info("OAuth2 sign-in of %r not started: %s", login, error)
            self.status.setText(f"⚠ {html.escape(str(error))}")
            return None
        self.button.setEnabled(False)
        opener = self.open_browser

        def work(job: ops.Job) -> oauth.SignIn:
            return oauth.sign_in(provider, login, open_browser=opener, on_url=self.url_ready.emit,
                                 cancelled=job.cancelled)

        def done(result: oauth.SignIn) -> None:
            self.button.setEnabled(True)
            where = (self.tr("kept in the system keyring") if result.kept_in == "keyring" else
                     self.tr("kept for this session only: there is no system keyring"))
            self.status.setText(self.tr("Signed in as {0} ({1}).").format(html.escape(result.login), where))

        def failed(error: BaseException) -> None:
            self.button.setEnabled(True)
            log.warning("OAuth2 sign-in of %s failed: %s", login, error)
            self.status.setText(f"⚠ {html.escape(str(error))}")

        self.op = ops.run(self._db, work, success=done, failure=failed, parent=self)
        return self.op

    def cancel(self) -> None:
        if self.op is not None and not self.op.done:
            self.op.cancel()
