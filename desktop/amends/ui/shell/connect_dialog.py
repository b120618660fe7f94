"""File → Connect to server…: the address of an Amends database on a
PostgreSQL server, tested before the app switches to it (issue 19).

The dialog builds the URL without a password; the password goes to the OS
keyring when "Remember the password" is on (else it is kept for this
session only), never into the URL, the settings or the log. "Test
connection" connects, looks (server version, TLS, whether Amends is set up
there) and leaves, off the UI thread; "Connect" does the same first and
only then accepts, so a wrong password or certificate is said here and the
window keeps running on what it had."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from amends.core import identity
from amends.core.errors import AmendsError
from amends.core.store import pg_access, postgres
from amends.ui.common import file_dialogs, ops

TLS_CHOICES = (("prefer", "Prefer TLS (encrypt when the server offers it)"),
               ("require", "Require TLS (do not check the certificate)"),
               ("verify-ca", "Require TLS, check the certificate against a CA"),
               ("verify-full", "Require TLS, check the certificate and the host name"),
               ("disable", "No TLS (a trusted local network only)"))


class _NoDatabase:
    """ops.run gives each job its own connection; a probe needs none (it makes its own)."""

    def reopen(self) -> _NoDatabase:
        return self

    def close(self) -> None:
        return None

    def interrupt(self) -> None:
        return None


class ConnectDialog(QDialog):
    #: emitted with the URL (no password) once the connection worked
    connect_to = Signal(str)

    def __init__(self, parent: QWidget | None = None, url: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle(self.tr("Connect to server"))
        self.host = QLineEdit()
        self.host.setObjectName("host")
        self.host.setPlaceholderText(self.tr("db.example.com"))
        self.port = QSpinBox()
        self.port.setObjectName("port")
        self.port.setRange(1, 65535)
        self.port.setValue(pg_access.DEFAULT_PORT)
        self.database = QLineEdit("amends")
        self.database.setObjectName("database")
        self.user = QLineEdit()
        self.user.setObjectName("user")
        self.user.setPlaceholderText(self.tr("your own role, or the team's shared one"))
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("empty: the one kept in your keyring"))
        self.remember = QCheckBox(self.tr("Remember the password (in the system keyring)"))
        self.remember.setObjectName("remember")
        self.remember.setChecked(True)
        self.tls = QComboBox()
        self.tls.setObjectName("tls")
        for mode, text in TLS_CHOICES:
            self.tls.addItem(self.tr(text), mode)
        self.ca = QLineEdit()
        self.ca.setObjectName("ca")
        self.ca.setPlaceholderText(self.tr("the CA certificate that signed the server's (PEM)"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca, 1)
        ca_row.addWidget(browse)
        self.ca_box = QWidget()
        self.ca_box.setLayout(ca_row)
        form = QFormLayout()
        form.addRow(self.tr("&Host:"), self.host)
        form.addRow(self.tr("P&ort:"), self.port)
        form.addRow(self.tr("&Database:"), self.database)
        form.addRow(self.tr("&User:"), self.user)
        form.addRow(self.tr("&Password:"), self.password)
        form.addRow("", self.remember)
        form.addRow(self.tr("&TLS:"), self.tls)
        form.addRow(self.tr("&CA file:"), self.ca_box)
        note = QLabel(self.tr("Everyone's changes are recorded under their display name ({0}), whichever role "
                              "signs in. The password never goes into the address, the settings or the log.")
                      .format(identity.current_actor()))
        note.setWordWrap(True)
        note.setObjectName("connectNote")
        self.result_label = QLabel()
        self.result_label.setObjectName("connectResult")
        self.result_label.setWordWrap(True)
        self.result_label.setMinimumWidth(420)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.test_button = self.buttons.addButton(self.tr("&Test connection"), QDialogButtonBox.ButtonRole.ActionRole)
        self.test_button.setObjectName("testConnection")
        self.connect_button = self.buttons.addButton(self.tr("Co&nnect"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setDefault(True)
        self.test_button.clicked.connect(lambda: self.test(then_connect=False))
        self.connect_button.clicked.connect(lambda: self.test(then_connect=True))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.tls.currentIndexChanged.connect(self._tls_changed)
        for field in (self.host, self.database, self.user):
            field.textChanged.connect(self._check)
        self.op: ops.Operation | None = None
        if url:
            self.fill(url)
        self._tls_changed()
        self._check()

    def fill(self, url: str) -> None:
        """Start from a known address (Open Recent, AMENDS_DB); a password in it is not shown."""
        address = pg_access.parse(url)[0]
        self.host.setText(address.host)
        self.port.setValue(address.port)
        self.database.setText(address.dbname)
        self.user.setText(address.user)
        params = dict(address.params)
        found = self.tls.findData(params.get("sslmode", "prefer"))
        self.tls.setCurrentIndex(max(found, 0))
        self.ca.setText(params.get("sslrootcert", ""))

    def url(self) -> str:
        """The address as typed, without a password."""
        params: list[tuple[str, str]] = [("sslmode", self.tls.currentData())]
        if self.ca.text().strip() and self.tls.currentData() in ("verify-ca", "verify-full"):
            params.append(("sslrootcert", self.ca.text().strip()))
        return pg_access.Address(host=self.host.text().strip(), port=self.port.value(),
                                 dbname=self.database.text().strip(), user=self.user.text().strip(),
                                 params=tuple(params)).url()

    def _check(self) -> bool:
        missing = [name for name, field in ((self.tr("host"), self.host), (self.tr("database"), self.database),
                                            (self.tr("user"), self.user)) if not field.text().strip()]
        ready = not missing and self.op is None
        self.test_button.setEnabled(ready)
        self.connect_button.setEnabled(ready)
        return not missing

    def _tls_changed(self) -> None:
        self.ca_box.setEnabled(self.tls.currentData() in ("verify-ca", "verify-full"))

    def _browse(self) -> None:
        path, _ = file_dialogs.get_open_file_name(self, self.tr("The CA certificate"), "",
                                                  self.tr("Certificates (*.crt *.pem *.cer);;All files (*)"))
        if path:
            self.ca.setText(path)

    def test(self, *, then_connect: bool) -> ops.Operation | None:
        """Connect, look and leave, off the UI thread; then say what was found
        (or why not), and with ``then_connect`` keep the password and accept."""
        if not self._check():
            return None
        url, password = self.url(), self.password.text() or None
        self.result_label.setText(self.tr("Connecting to {0}…").format(self.host.text().strip()))

        def done(found: postgres.ServerCheck) -> None:
            self.op = None
            self._check()
            self.result_label.setText("✓ " + found.describe())
            if then_connect:
                if password:
                    pg_access.keep_password(url, password, remember=self.remember.isChecked())
                self.password.clear()
                self.connect_to.emit(url)
                self.accept()

        def failed(error: BaseException) -> None:
            self.op = None
            self._check()
            self.result_label.setText("✗ " + str(error))
            if not isinstance(error, AmendsError):  # a bug, not a wrong address: the crash path
                ops.show_and_log(self)(error)

        self.op = ops.run(_NoDatabase(), lambda _job: postgres.probe(url, password),  # type: ignore[arg-type]
                          success=done, failure=failed, parent=self)
        self._check()
        return self.op
