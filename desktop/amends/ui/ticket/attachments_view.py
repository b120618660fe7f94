"""A message's files in the conversation: listed with name, type and size,
images as thumbnails (full size on click), inline ``cid:`` images in place,
from the stored parts only; other files opened with the system viewer,
after a warning for types that run code.

The conversation browser resolves only the ``amends-attachment:<id>`` and
``amends-thumb:<id>`` addresses, from the database: nothing is ever loaded
from the network or from disk.
"""

from __future__ import annotations

import html
import logging
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QImageReader, QPixmap, QTextDocument
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QScrollArea, QTextBrowser, QVBoxLayout, QWidget

from amends.core import attachments, safe_html, tickets
from amends.core.attachments import Attachment
from amends.core.errors import AmendsError
from amends.core.store import Database

log = logging.getLogger("amends.ui.attachments")
FULL = "amends-attachment"
THUMB = "amends-thumb"
THUMB_SIZE = 160


def tr(text: str) -> str:
    return QCoreApplication.translate("Amends", text)


def files_html(files: list[Attachment]) -> str:
    """The list under a message: thumbnails for images, name · type · size
    for every file, a warning mark on types that run code."""
    if not files:
        return ""
    rows = []
    for item in files:
        name = html.escape(safe_html.display_name(item.name))
        facts = f"{html.escape(item.type)} · {attachments.human_size(item.size)}"
        if not item.kept:
            rows.append(f"<li>{name} <small>({facts}; {html.escape(tr('not kept'))})</small></li>")
            continue
        link = f'<a href="{FULL}:{item.id}">'
        thumb = f'<br>{link}<img src="{THUMB}:{item.id}"></a>' if item.is_image else ""
        warning = f" <b>⚠ {html.escape(tr('runs code when opened'))}</b>" if item.executable else ""
        rows.append(f"<li>{link}{name}</a> <small>({facts})</small>{warning}{thumb}</li>")
    return f"<p><b>{html.escape(tr('Attachments'))}</b></p><ul>{''.join(rows)}</ul>"


def body_html(message: tickets.Message, files: list[Attachment]) -> str:
    """A message's body for the conversation: its HTML with inline images
    from the stored parts and any plain text the HTML leaves out, or its
    escaped text; then its files."""
    plain = message.body
    if files:  # the list below says it better than the "[attachment: …]" lines of the text
        plain = "\n".join(line for line in plain.splitlines() if not line.startswith("[attachment: ")).strip()
    if message.html:
        from amends.core.mail import html_text  # lxml and inscriptis: only for messages that came as HTML

        shown = attachments.inline_html(message.html, files, FULL)
        omitted = html_text.omitted_plain(plain, message.html)
        if omitted:
            shown += (f"<p><small><b>{html.escape(tr('Plain-text part (not in the HTML)'))}</b></small><br>"
                      f"{safe_html.text_html(omitted)}</p>")
    else:
        shown = safe_html.text_html(plain)
    listed = [f for f in files if not (f.inline and message.html and f.content_id and
                                       (f.content_id or "").lower() in safe_html.referenced_cids(message.html))]
    return shown + files_html(listed)


class AttachmentImages:
    """Decoded images of kept files, by attachment id (content never changes
    for an id, so they are cached for the life of the view). A file that
    cannot be drawn is remembered as such: Qt asks again for a missing image
    at every layout and paint, and re-reading a broken 60 KB "photo" each time
    was most of opening a long ticket (benchmarks/run.py --only ticket)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._thumbs: dict[int, QImage] = {}
        self._undrawable: set[int] = set()

    def image(self, url: QUrl) -> QImage | None:
        scheme, _, ident = url.toString().partition(":")
        if scheme not in (FULL, THUMB) or not ident.isdigit():
            return None
        key = int(ident)
        if key in self._undrawable:
            return None
        if scheme == THUMB and key in self._thumbs:
            return self._thumbs[key]
        try:
            item = attachments.get(self.db, key)
            if not item.is_image or not item.kept:
                self._undrawable.add(key)
                return None
            data = attachments.content(self.db, item.id)
        except AmendsError as error:  # a thumbnail that cannot be drawn is left out, and logged
            log.warning("Attachment %s not drawn: %s", ident, error)
            return None
        image = read_image(data, THUMB_SIZE if scheme == THUMB else None)
        if image is None:
            log.info("Attachment %s is not an image Qt can read: shown as a file only", ident)
            self._undrawable.add(key)
        elif scheme == THUMB:
            self._thumbs[key] = image
        return image


def read_image(data: bytes, bound: int | None = None) -> QImage | None:
    """The image in ``data`` (scaled to fit ``bound`` pixels while it is
    decoded, so a 10 MB photo's thumbnail is cheap), or None."""
    array = QByteArray(data)
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if bound and size.isValid() and max(size.width(), size.height()) > bound:
        reader.setScaledSize(size.scaled(QSize(bound, bound), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return None if image.isNull() else image


class AttachmentBrowser(QTextBrowser):
    """A conversation browser that shows the mail's own images and nothing
    else: no network, no disk. Clicking a file opens it (:func:`open_file`)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.images = AttachmentImages(db)
        self.setOpenLinks(False)
        self.last_opened: QWidget | None = None
        self.anchorClicked.connect(self._clicked)

    def loadResource(self, kind: int, url):
        if getattr(kind, "value", kind) == QTextDocument.ResourceType.ImageResource.value:
            return self.images.image(url)
        return None

    def _clicked(self, url: QUrl) -> None:
        scheme, _, ident = url.toString().partition(":")
        if scheme == FULL and ident.isdigit():
            self.last_opened = open_file(self, self.db, int(ident))


def open_file(parent: QWidget, db: Database, attachment_id: int) -> QWidget | None:
    """Show an image full size; open any other file with the system viewer,
    after asking first when it is a type that runs code. Returns the dialog
    or question shown (not modal), None when the viewer was asked directly."""
    try:
        item = attachments.get(db, attachment_id)
        data = attachments.content(db, attachment_id)
    except AmendsError as error:
        from amends.ui.common.messages import show_error

        show_error(parent, error)
        return None
    if item.is_image and (image := read_image(data)) is not None:
        return _image_dialog(parent, item, image)
    if item.executable:
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Open a program?"),
                          tr("{0} is a type of file that runs code when it is opened ({1}). Open it only if you "
                             "trust who sent it.").format(safe_html.display_name(item.name), item.type),
                          parent=parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setObjectName("executable-warning")
        cancel = box.addButton(tr("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.addButton(tr("Open anyway"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(cancel)
        box.buttonClicked.connect(lambda button: button is not cancel and _system_viewer(parent, db, item))
        box.open()
        return box
    _system_viewer(parent, db, item)
    return None


_OPENED: list[Path] = []


def _folder() -> Path:
    if not _OPENED:
        _OPENED.append(Path(tempfile.mkdtemp(prefix="amends-attachments-")))
    return _OPENED[0]


def _system_viewer(parent: QWidget, db: Database, item: Attachment) -> bool:
    try:
        copy = attachments.save_copy(db, item.id, _folder())
    except AmendsError as error:
        from amends.ui.common.messages import show_error

        show_error(parent, error)
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(copy)))


def _image_dialog(parent: QWidget, item: Attachment, image: QImage) -> QDialog:
    dialog = QDialog(parent)
    dialog.setObjectName("attachment-image")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowTitle(safe_html.display_name(item.name))
    label = QLabel()
    label.setPixmap(QPixmap.fromImage(image))
    label.setAccessibleName(safe_html.display_name(item.name))
    scroll = QScrollArea()
    scroll.setWidget(label)
    layout = QVBoxLayout(dialog)
    layout.addWidget(scroll)
    screen = parent.screen().availableGeometry().size() if parent.screen() else QSize(1200, 900)
    dialog.resize(min(image.width() + 40, int(screen.width() * 0.9)),
                  min(image.height() + 40, int(screen.height() * 0.9)))
    dialog.open()
    return dialog
