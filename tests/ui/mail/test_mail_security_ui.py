"""Issue 11 point 11: "none (local server only)" is offered only for a
server on this machine, follows the host as it is typed, and the core's
InsecureMail (naming smtp_security / imap_security) shows next to the field."""

from __future__ import annotations

from amends.core.mail import outbox
from amends.ui.mail.account_dialog import AccountDialog


def _offered(combo) -> list[str]:
    return [combo.itemData(i) for i in range(combo.count())]


def test_none_is_offered_only_for_a_loopback_host(qtbot, db):
    dialog = AccountDialog(db)
    qtbot.addWidget(dialog)
    assert "none" not in _offered(dialog.security), "no host typed yet: not on this machine"
    assert "none" not in _offered(dialog.imap_security)
    for host in ("localhost", "127.0.0.1", "::1", "[::1]", "127.8.9.10"):
        dialog.host.setText(host)
        assert "none" in _offered(dialog.security), host
    for host in ("mail.example.com", "10.0.0.5", "localhost.example.com", "192.168.1.1"):
        dialog.host.setText(host)
        assert _offered(dialog.security) == ["starttls", "ssl"], host
    dialog.imap_host.setText("127.0.0.1")
    assert "none" in _offered(dialog.imap_security)
    assert "none" not in _offered(dialog.security), "each field follows its own host"


def test_the_host_turning_remote_under_none_says_why_next_to_the_field(qtbot, db):
    dialog = AccountDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.host.setText("localhost")
    dialog.security.setCurrentIndex(dialog.security.findData("none"))
    assert not dialog.security_problem.isVisible()
    dialog.host.setText("smtp.example.com")
    assert dialog.security.currentData() != "none", "no silent clear-text password to a remote server"
    assert dialog.security_problem.isVisible()
    assert "smtp.example.com" in dialog.security_problem.text() and "SSL or STARTTLS" in dialog.security_problem.text()
    assert not dialog.imap_security_problem.isVisible()
    dialog.host.setText("127.0.0.1")
    assert not dialog.security_problem.isVisible()

    dialog.imap_host.setText("::1")
    dialog.imap_security.setCurrentIndex(dialog.imap_security.findData("none"))
    dialog.imap_host.setText("imap.example.com")
    assert dialog.imap_security_problem.isVisible() and "imap.example.com" in dialog.imap_security_problem.text()


def test_insecure_mail_refused_by_the_core_shows_next_to_its_field(qtbot, db):
    """The core checks again when saving (a host edited after the choice, or
    a dialog that let it through): its InsecureMail names the field, and the
    dialog shows it there, with nothing saved."""
    dialog = AccountDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.address.setText("support@example.com")
    dialog.host.setText("127.0.0.1")
    dialog.security.setCurrentIndex(dialog.security.findData("none"))
    dialog.host.blockSignals(True)  # the field changed without the dialog noticing
    dialog.host.setText("smtp.example.com")
    dialog.host.blockSignals(False)
    dialog.accept()
    assert dialog.isVisible(), "not accepted"
    assert outbox.account(db) is None, "nothing saved"
    assert dialog.security_problem.isVisible() and "smtp.example.com" in dialog.security_problem.text()


def test_the_reason_under_the_field_is_shown_whole_not_clipped(qtbot, db):
    """Seen in the screenshots: the wrapped reason's last line ("choose SSL or
    STARTTLS") was cut off, the dialog grown to a narrower width's height."""
    dialog = AccountDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.host.setText("localhost")
    dialog.security.setCurrentIndex(dialog.security.findData("none"))
    dialog.host.setText("smtp.example.com")
    qtbot.wait(50)  # the layout settles
    label = dialog.security_problem
    assert label.height() >= label.heightForWidth(label.width()), (label.height(), label.width())
