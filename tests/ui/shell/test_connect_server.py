"""File → Connect to server… and a lost server under a running window
(issue 19 points 1 and 6), on a real cluster of this module's own
(scram passwords, ssl=on; stopped and started again)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from amends.core import demo, drafts, local_drafts, tickets
from amends.core.store import pg_access
from amends.core.workspace import open_database
from amends.ui.shell import recent
from amends.ui.shell.main_window import MainWindow
from PySide6.QtCore import QSettings

from tests.mail.file_keyring import file_keyring
from tests.pg.access_cluster import OwnCluster, shared

PASSWORD = "Quartz-Heron-57!"  # a test role's password, looked for where it must not be


@pytest.fixture(scope="module")
def cluster(pg_server) -> OwnCluster:
    own = shared(pg_server.bindir)
    own.admin("DROP DATABASE IF EXISTS amends WITH (FORCE)")
    own.admin("CREATE DATABASE amends")
    db = open_database(own.url("amends"), "Owner")
    demo.generate(db, 30, seed=4, now=datetime(2026, 11, 1, tzinfo=UTC))
    db.close()
    own.admin("DROP ROLE IF EXISTS ada")
    own.admin(f"CREATE ROLE ada LOGIN PASSWORD '{PASSWORD}' SUPERUSER")  # the team's rights: tests/pg/test_pg_access
    yield own
    own.admin("DROP DATABASE amends WITH (FORCE)")
    own.admin("DROP ROLE ada")


@pytest.fixture
def ring(tmp_path: Path):
    with file_keyring(tmp_path / "keyring.json") as backend:
        yield backend


def _settings_text() -> str:
    QSettings().sync()
    return Path(QSettings().fileName()).read_text(encoding="utf-8")


def _fill(dialog, cluster: OwnCluster, password: str) -> None:
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(cluster.port)
    dialog.database.setText("amends")
    dialog.user.setText("ada")
    dialog.password.setText(password)
    dialog.tls.setCurrentIndex(dialog.tls.findData("require"))


def test_connect_to_server_tests_then_switches_and_keeps_no_password(qtbot, window, cluster, ring, caplog,
                                                                    tmp_path, monkeypatch):
    caplog.set_level(logging.DEBUG)
    dialog = window.connect_to_server()
    assert dialog.isVisible() and not dialog.connect_button.isEnabled()  # nothing typed yet
    _fill(dialog, cluster, "not it")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("✗"), timeout=15_000)
    assert "refused the password for ada" in dialog.result_label.text()
    dialog.password.setText(PASSWORD)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("✓"), timeout=15_000)
    assert "encrypted (TLS)" in dialog.result_label.text() and "an Amends database" in dialog.result_label.text()
    with qtbot.waitSignal(window.connect_requested, timeout=15_000) as asked:
        dialog.connect_button.click()
    url = asked.args[0]
    assert url == f"postgresql://ada@127.0.0.1:{cluster.port}/amends?sslmode=require"
    assert ring.get_password(pg_access.SERVICE, f"ada@127.0.0.1:{cluster.port}/amends") == PASSWORD
    # the app runs on it (what app.py does with connect_requested)
    started_in = tmp_path / "Dropbox" / "work"  # started from inside a sync folder: no matter for a server
    started_in.mkdir(parents=True)
    monkeypatch.chdir(started_in)
    server_db = open_database(url, "Ada Okafor")
    second = MainWindow(server_db)
    qtbot.addWidget(second)
    try:
        second.show()
        qtbot.waitUntil(lambda: not second.inbox.ticket_held)
        qtbot.waitUntil(lambda: second._tray is not None)  # the banners were decided after the first paint
        assert second.inbox.model.rowCount() > 0
        assert second.location_warning.isHidden(), second.location_warning.text()
        assert "PostgreSQL server, encrypted (TLS)" in second.status_label.text()
        assert second.status_label.text().startswith(url), second.status_label.text()  # the address, not a path
        assert recent.entries()[0] == url
        window.fill_recent_menu()  # the first window offers the server in File → Open Recent
        labels = [action.text() for action in window.recent_menu.actions()]
        assert f"ada@127.0.0.1:{cluster.port}/amends · require (server)" in labels
        with qtbot.waitSignal(window.connect_requested) as again:
            next(a for a in window.recent_menu.actions() if a.data() == url).trigger()
        assert again.args[0] == url
        pg_access.forget_password(url)  # no password kept: Open Recent asks, the dialog filled in
        next(a for a in window.recent_menu.actions() if a.data() == url).trigger()
        asked_again = window.connect_dialog
        assert asked_again.isVisible() and asked_again.url() == url and asked_again.password.text() == ""
        asked_again.reject()
    finally:
        second.close()
        server_db.close()
    assert PASSWORD not in _settings_text() and PASSWORD not in caplog.text


def test_not_remembered_is_kept_for_this_session_only(qtbot, window, cluster, ring):
    dialog = window.connect_to_server()
    _fill(dialog, cluster, PASSWORD)
    dialog.remember.setChecked(False)
    with qtbot.waitSignal(window.connect_requested, timeout=15_000) as asked:
        dialog.connect_button.click()
    assert ring.get_password(pg_access.SERVICE, f"ada@127.0.0.1:{cluster.port}/amends") is None
    assert pg_access.password_for(asked.args[0]) == PASSWORD  # this session still connects
    pg_access.forget_password(asked.args[0])


def test_a_lost_server_is_a_banner_the_draft_is_kept_and_the_app_reconnects(qtbot, cluster, ring, tmp_path):
    pg_access.keep_password(f"postgresql://ada@127.0.0.1:{cluster.port}/amends", PASSWORD)
    db = open_database(f"postgresql://ada@127.0.0.1:{cluster.port}/amends", "Ada Okafor")
    win = MainWindow(db)
    qtbot.addWidget(win)
    try:
        win.show()
        qtbot.waitUntil(lambda: not win.inbox.ticket_held)
        win.poll.stop()
        view = win.inbox.ticket_view
        ticket_id = view.ticket.id
        win.connection.retry.setInterval(200)
        cluster.stop_fast()
        try:
            win.check_for_changes()  # the next poll meets the closed connection: a banner, no dialog
            qtbot.waitUntil(lambda: win.connection.label.isVisible())
            assert "connection to" in win.connection.label.text() and "reconnects by itself" in \
                win.connection.label.text()
            win.poll.start()  # the window idles on a dead server: the poll and timers raise nothing
            win.live.beat()
            qtbot.wait(1200)  # more than one poll (1 s)
            win.poll.stop()
            view.composer.setPlainText("Typed while the server was away")
            view.save_draft()
            assert local_drafts.load(db, ticket_id, "reply") == "Typed while the server was away"
            assert win.connection.label.isVisible()
        finally:
            cluster.start_again()
        qtbot.waitUntil(lambda: win.connection.label.isHidden(), timeout=15_000)
        assert drafts.load(db, ticket_id, "reply") == "Typed while the server was away"  # moved in
        assert local_drafts.load(db, ticket_id, "reply") is None
        assert view.composer.toPlainText() == "Typed while the server was away"
        view.composer.setPlainText("Your replacement ships today.")
        view.composing.store("note", view.composer.toPlainText())  # the next save works
        assert tickets.get(db, ticket_id).messages[-1].body == "Your replacement ships today."
    finally:
        win.close()
        db.close()


def test_the_dialog_builds_the_address_with_tls_and_never_a_password(qtbot):
    from amends.ui.shell.connect_dialog import ConnectDialog

    given = "postgresql://ada:secret@db.example.com:6543/team?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    dialog = ConnectDialog(None, given)
    qtbot.addWidget(dialog)
    assert (dialog.host.text(), dialog.port.value(), dialog.database.text(), dialog.user.text()) == \
        ("db.example.com", 6543, "team", "ada")
    assert dialog.password.text() == "" and dialog.ca_box.isEnabled()
    assert dialog.url() == "postgresql://ada@db.example.com:6543/team?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    dialog.tls.setCurrentIndex(dialog.tls.findData("require"))  # no certificate check: the CA file is not used
    assert not dialog.ca_box.isEnabled()
    assert dialog.url() == "postgresql://ada@db.example.com:6543/team?sslmode=require"
    dialog.user.clear()
    assert not dialog.connect_button.isEnabled() and not dialog.test_button.isEnabled()
