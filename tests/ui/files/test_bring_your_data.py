"""Bring your data on day one (issue 13 points 8 and 9): the welcome offers
a mailbox, a helpdesk export and a subscription platform's customers; File →
Import names the formats; the mapping dialog names the encoding it guessed
and the date order, lets both be chosen, and has readable fields and tags."""

from __future__ import annotations

from amends.core import identity
from amends.ui.shell.identity_dialog import WelcomeDialog, bring_data
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog


def test_the_welcome_offers_to_bring_your_data(qtbot, tmp_path):
    dialog = WelcomeDialog(identity.Identity("me@host"), tmp_path / "new.db")
    qtbot.addWidget(dialog)
    offered = " ".join(box.text() for box in (dialog.bring_mailbox, dialog.bring_helpdesk, dialog.bring_customers))
    for name in ("mailbox", "Zendesk", "Help Scout", "Freshdesk", "Gorgias", "Stripe", "Recharge", "Skio",
                 "Cratejoy", "Shopify"):
        assert name in offered
    assert dialog.next_steps() == []
    dialog.bring_mailbox.setChecked(True)
    dialog.bring_customers.setChecked(True)
    assert dialog.next_steps() == ["mailbox", "customers"]


def test_file_import_names_the_formats_and_the_welcome_choice_comes_first(qtbot, window, monkeypatch):
    filters = window.files.import_filters()
    for name in ("Zendesk", "Help Scout", "Freshdesk", "Gorgias", "Stripe", "Recharge", "Skio", "Cratejoy",
                 "Shopify", "*.eml"):
        assert name in filters
    assert window.files.import_filters("helpdesk").startswith("Helpdesk exports")
    assert "Gorgias" in window.act_import.statusTip()
    seen = []

    def close_file_dialog() -> None:
        for dialog in QApplication.topLevelWidgets():
            if isinstance(dialog, QFileDialog) and dialog.isVisible():
                seen.append(dialog.nameFilters()[0])
                dialog.reject()

    closer = QTimer()
    closer.timeout.connect(close_file_dialog)
    closer.start(20)
    bring_data(window, ["helpdesk", "customers"])
    closer.stop()
    assert seen[0].startswith("Helpdesk exports") and seen[1].startswith("Customers and subscriptions")


def test_the_mapping_dialog_names_the_guessed_encoding_and_date_order(qtbot, window, tmp_path):
    path = tmp_path / "pl.csv"
    path.write_bytes("subject|Opened|tags\r\nZażółć gęślą jaźń; paczka uszkodzona|01/05/2026|vip, damaged\r\n"
                     "Przesyłka spóźniona, proszę o zwrot|02/06/2026|\r\n".encode("iso-8859-2"))
    seen = {}

    def map_columns() -> None:
        dialog = window.files.mapping_dialog
        seen["encoding"] = dialog.encoding.currentText()
        seen["subject"] = dialog.table.item(0, 0).text()
        seen["labels"] = [dialog.combos["Opened"].itemText(i) for i in range(dialog.combos["Opened"].count())]
        seen["tags"] = dialog.combos["tags"].currentData()
        dialog.combos["Opened"].setCurrentIndex(dialog.combos["Opened"].findData("created_at"))
        dialog.dates.setCurrentIndex(dialog.dates.findData("month-first"))
        seen["notes"] = dialog.notes.text()
        dialog.encoding.setCurrentText("cp1252")
        seen["garbled"] = dialog.table.item(0, 0).text()
        dialog.encoding.setCurrentText(seen["encoding"])
        dialog.ok.click()

    QTimer.singleShot(0, map_columns)
    op = window.files.import_files([path])
    qtbot.waitUntil(lambda: op is not None and op.done, timeout=20_000)
    assert seen["encoding"] == "iso8859-2" and seen["subject"] == "Zażółć gęślą jaźń; paczka uszkodzona"
    assert seen["garbled"] != seen["subject"], "another encoding re-reads the preview"
    assert "Customer email" in seen["labels"] and "Tags (comma separated)" in seen["labels"]
    assert seen["tags"] == "tags"
    assert "iso8859-2" in seen["notes"]
    qtbot.waitUntil(lambda: getattr(window.files, "import_report", None) is not None, timeout=5000)
    text = window.files.import_report.view.toPlainText()
    assert "2 tickets imported" in text and "iso8859-2" in text
    assert window.db.scalar("SELECT created_at FROM tickets WHERE subject LIKE 'Zażółć%'") == \
        "2026-01-05T00:00:00Z", "the chosen month-first order was used"
    window.files.import_report.reject()


def test_the_new_ticket_dialog_finds_the_customer_in_any_form(qtbot, window):
    from amends.core import customers

    known = window.db.scalar("SELECT email FROM customers ORDER BY id LIMIT 1")
    window.act_new.trigger()
    dialog = window.new_ticket_dialog
    qtbot.keyClicks(dialog.email, f'"Someone" <{known.upper()}>')
    dialog.email.editingFinished.emit()
    assert "Existing customer" in dialog.known.text()
    qtbot.keyClicks(dialog.subject, "Phoned in")
    before = window.db.scalar("SELECT count(*) FROM customers")
    with qtbot.waitSignal(dialog.accepted):
        dialog.create_button.click()
    assert window.db.scalar("SELECT count(*) FROM customers") == before
    assert customers.find_by_email(window.db, known) == \
        window.db.scalar("SELECT customer_id FROM tickets WHERE id = ?", (dialog.ticket_id,))
