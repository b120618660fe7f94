"""Issue 13 in the app: the mapping dialog's mailbox field, and the preview
that names a recognised subscription platform before anything is written."""

from __future__ import annotations

from amends.core.mail import mailboxes
from PySide6.QtCore import QTimer

from tests.core.test_subscription_imports import stripe_export


def test_the_mapping_dialog_maps_a_mailbox_column_and_the_tickets_get_it(qtbot, window, tmp_path):
    box = mailboxes.add(window.db, mailboxes.Mailbox(0, "h16box", "Shop", "h16box@shop.example", "127.0.0.1", 25,
                                                     "none", None))
    path = tmp_path / "boxes.csv"
    path.write_text("Nr,Betreff,Datum,Postfach\nh16-1,Karton kaputt,2026-02-01,h16box@shop.example\n")
    seen = {}

    def map_columns() -> None:
        dialog = window.files.mapping_dialog
        combo = dialog.combos["Postfach"]
        seen["offered"] = combo.findData("mailbox") >= 0
        seen["label"] = combo.itemText(combo.findData("mailbox"))
        for column, field in (("Nr", "ref"), ("Betreff", "subject"), ("Datum", "created_at"),
                              ("Postfach", "mailbox")):
            dialog.combos[column].setCurrentIndex(dialog.combos[column].findData(field))
        dialog.ok.click()

    QTimer.singleShot(0, map_columns)
    op = window.files.import_files([path])
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    assert seen["offered"] and "Mailbox" in seen["label"]
    assert window.db.scalar("SELECT mailbox_id FROM tickets WHERE ref = 'h16-1'") == box


def test_a_recognised_platform_file_is_previewed_cancel_writes_nothing_import_imports(qtbot, window, tmp_path):
    path = stripe_export(tmp_path)
    before = window.db.scalar("SELECT count(*) FROM subscriptions")
    seen = {}

    def answer(button: str) -> None:
        dialog = window.files.preview_dialog
        seen["text"] = dialog.text.text()
        getattr(dialog, button).click()

    QTimer.singleShot(0, lambda: answer("cancel"))
    assert window.files.import_files([path]) is None
    assert "Recognised: Stripe Billing subscriptions export — 10 rows" in seen["text"]
    assert window.db.scalar("SELECT count(*) FROM subscriptions") == before, "Cancel writes nothing"

    QTimer.singleShot(0, lambda: answer("ok"))
    op = window.files.import_files([path])
    qtbot.waitUntil(lambda: op.done, timeout=20_000)
    assert window.db.scalar("SELECT count(*) FROM subscriptions") == before + 10
