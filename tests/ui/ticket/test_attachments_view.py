"""The files of a message in the conversation (pytest-qt, offscreen, a real
database): thumbnails and inline cid: images drawn from the stored parts,
full size on click, the system viewer for other files, a warning first for
an .exe, and the plain-text part the HTML leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest
from amends.core import attachments, tickets
from amends.core.importers import import_file
from amends.ui.ticket.attachments_view import THUMB, AttachmentBrowser, body_html
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox

from tests.attachment_mail import EXE, PDF, claim, png

BLUE = (30, 90, 200)
RED = (200, 40, 40)


class Viewer(QObject):
    """Stands in for the desktop's file viewer: Qt hands it the file URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def show(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


@pytest.fixture
def viewer():
    found = Viewer()
    QDesktopServices.setUrlHandler("file", found, "show")
    yield found
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def shown(qtbot, db, tmp_path):
    path = tmp_path / "claim.eml"
    path.write_bytes(claim(big_photo=png(800, 600, BLUE), logo=png(40, 30, RED),
                           trailing_text="Sent from my phone. Order 4711."))
    assert import_file(db, path).written
    ticket = tickets.get(db, db.scalar("SELECT id FROM tickets"))
    files = attachments.for_ticket(db, ticket.id)
    browser = AttachmentBrowser(db)
    qtbot.addWidget(browser)
    browser.resize(900, 1400)
    browser.setHtml("".join(body_html(m, files.get(m.id, [])) for m in ticket.messages))
    browser.show()
    qtbot.waitExposed(browser)
    return browser, {f.name: f for f in files[ticket.messages[0].id]}


def _has_colour(image: QImage, colour: tuple[int, int, int]) -> bool:
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            pixel = image.pixelColor(x, y)
            if abs(pixel.red() - colour[0]) + abs(pixel.green() - colour[1]) + abs(pixel.blue() - colour[2]) < 12:
                return True
    return False


def test_the_photo_is_a_thumbnail_and_the_inline_logo_is_drawn_in_place(shown):
    browser, files = shown
    picture = browser.viewport().grab().toImage()
    assert _has_colour(picture, BLUE), "the photo's thumbnail is drawn"
    assert _has_colour(picture, RED), "the inline cid: logo is drawn from its stored part"
    thumb = browser.images.image(QUrl(f"{THUMB}:{files['crushed box.jpg'].id}"))
    assert thumb is not None and (thumb.width(), thumb.height()) == (160, 120)
    text = browser.toPlainText()
    assert "crushed box.jpg" in text and "receipt.pdf" in text and "application/pdf" in text
    assert "tool.exe" in text and "runs code when opened" in text
    assert "logo.png" not in text, "an image shown in place is not listed again"
    assert "Order 4711" in text and "Plain-text part" in text, "the text part the HTML leaves out is shown"
    assert "[attachment:" not in text


def test_nothing_is_loaded_from_anywhere_but_the_stored_parts(shown):
    browser, _ = shown
    image = QTextDocument.ResourceType.ImageResource.value
    assert browser.loadResource(image, QUrl("https://tracker.example/pixel.gif")) is None
    assert browser.loadResource(image, QUrl("file:///etc/passwd")) is None
    assert browser.loadResource(image, QUrl("amends-attachment:999999")) is None


def test_clicking_the_thumbnail_shows_the_photo_full_size(qtbot, shown):
    browser, files = shown
    browser.anchorClicked.emit(QUrl(f"amends-attachment:{files['crushed box.jpg'].id}"))
    dialog = browser.last_opened
    assert isinstance(dialog, QDialog) and dialog.isVisible()
    label = dialog.findChild(QLabel)
    assert (label.pixmap().width(), label.pixmap().height()) == (800, 600)
    dialog.close()


def test_a_pdf_opens_in_the_system_viewer_and_an_exe_only_after_a_warning(qtbot, shown, viewer):
    browser, files = shown
    browser.anchorClicked.emit(QUrl(f"amends-attachment:{files['receipt.pdf'].id}"))
    assert browser.last_opened is None and len(viewer.opened) == 1
    assert viewer.opened[0].endswith("receipt.pdf") and Path(viewer.opened[0]).read_bytes() == PDF
    browser.anchorClicked.emit(QUrl(f"amends-attachment:{files['tool.exe'].id}"))
    box = browser.last_opened
    assert isinstance(box, QMessageBox) and "runs code" in box.text() and len(viewer.opened) == 1
    next(b for b in box.buttons() if b.text() == "Cancel").click()
    assert len(viewer.opened) == 1, "cancelled: not opened"
    browser.anchorClicked.emit(QUrl(f"amends-attachment:{files['tool.exe'].id}"))
    box = browser.last_opened
    assert box.defaultButton().text() == "Cancel", "Enter does not run it"
    next(b for b in box.buttons() if b.text() == "Open anyway").click()
    assert len(viewer.opened) == 2 and viewer.opened[1].endswith("tool.exe")
    assert Path(viewer.opened[1]).read_bytes() == EXE


def test_the_ticket_view_of_the_main_window_shows_the_files_of_the_claim(qtbot, db, tmp_path, viewer):
    from amends.ui.shell.main_window import MainWindow

    path = tmp_path / "claim.eml"
    path.write_bytes(claim(big_photo=png(800, 600, BLUE), logo=png(40, 30, RED),
                           trailing_text="Sent from my phone. Order 4711."))
    assert import_file(db, path).written
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.resize(1400, 1000)
    window.show()
    ticket_id = db.scalar("SELECT id FROM tickets")
    window.drill_down("claim", [ticket_id])
    conversation = window.inbox.ticket_view.conversation
    qtbot.waitUntil(lambda: "crushed box.jpg" in conversation.toPlainText(), timeout=5000)
    text = conversation.toPlainText()
    assert "receipt.pdf" in text and "runs code when opened" in text and "Order 4711" in text
    qtbot.waitUntil(lambda: _has_colour(conversation.viewport().grab().toImage(), BLUE), timeout=5000)
    assert _has_colour(conversation.viewport().grab().toImage(), RED)
    exe = db.scalar("SELECT id FROM attachments WHERE name = 'tool.exe'")
    conversation.anchorClicked.emit(QUrl(f"amends-attachment:{exe}"))
    assert isinstance(conversation.last_opened, QMessageBox) and viewer.opened == []
    conversation.last_opened.close()
    window.close()


def test_preferences_set_the_size_limit_of_kept_files_for_everyone_using_the_file(qtbot, db):
    from amends.ui.shell.preferences_dialog import PreferencesDialog

    dialog = PreferencesDialog(db, False)
    qtbot.addWidget(dialog)
    spin = dialog.attachment_limit
    assert spin.value() == attachments.DEFAULT_LIMIT // (1024 * 1024) and spin.suffix() == " MB"
    spin.setValue(3)
    dialog.accept()
    assert attachments.limit(db.conn) == 3 * 1024 * 1024
    assert db.scalar("SELECT count(*) FROM audit_log WHERE entity = 'settings'") >= 1
