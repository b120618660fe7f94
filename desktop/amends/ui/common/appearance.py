"""Light and dark: follow the system's colour scheme (Qt's style hints) or
the person's choice in Preferences, and draw everything from that.

Icons are single-colour SVGs (amends/resources/icons/ui/, ``stroke="currentColor"``)
painted in the palette's text colour, so they read on light and dark
backgrounds, and re-painted when the scheme changes. The few coloured
banners get a light and a dark variant; none of them carries meaning by
colour alone (each starts with a sign and says what it means).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from amends import paths
from amends import settings_schema as schema
from amends.ui.common import settings

if TYPE_CHECKING:  # icons are drawn after the first paint (issue 16): their types are made then
    from PySide6.QtGui import QIcon, QPixmap

log = logging.getLogger("amends.ui.appearance")

SCHEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
SETTING = schema.COLOUR_SCHEME

_LIGHT = {
    "hint": ("#fff4d6", "#5c4400"), "warning": ("#fbe9e7", "#7a1f12"), "info": ("#e8eef7", "#1d3557"),
    "problem": "#a01818", "presence": "#a04000",
}
_DARK = {
    "hint": ("#4a3b12", "#ffe7a6"), "warning": ("#4d1f18", "#ffcfc6"), "info": ("#1f2b3d", "#cfe0ff"),
    "problem": "#ff8a80", "presence": "#ffb74d",
}


#: Our dark palette (Fusion): where the platform's colour-scheme hint does nothing
#: (Linux X11 and Wayland without a portal, older Windows), Dark must still be dark.
DARK_PALETTE = (("Window", "#202124"), ("WindowText", "#e8eaed"), ("Base", "#17181a"),
                ("AlternateBase", "#26282b"), ("Text", "#e8eaed"), ("Button", "#2d2f33"),
                ("ButtonText", "#e8eaed"), ("BrightText", "#ffffff"), ("Highlight", "#3b6fd8"),
                ("HighlightedText", "#ffffff"), ("ToolTipBase", "#2d2f33"), ("ToolTipText", "#e8eaed"),
                ("PlaceholderText", "#9aa0a6"), ("Link", "#8ab4f8"), ("Mid", "#3c4043"), ("Dark", "#111214"),
                ("Light", "#3c4043"), ("Midlight", "#34373b"), ("Shadow", "#000000"))
_ORIGINAL: dict[str, object] = {}  # the platform's own style and palette, to go back to "system"


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in DARK_PALETTE:
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    for role in ("Text", "WindowText", "ButtonText"):
        palette.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor("#7f8388"))
    return palette


def apply_scheme(choice: str | None = None) -> str:
    """Set the app's colour scheme from the saved choice (or ``choice``);
    ``system`` leaves it to the platform. Returns the choice applied.

    The platform hint first (native look where it works: Windows 11, macOS,
    GNOME/KDE with a portal); when the palette did not follow it, Fusion with
    our palette, explicitly (issue 17: Dark did nothing on Linux/X11)."""
    from PySide6.QtWidgets import QApplication

    choice = choice or str(settings.get(SETTING))
    if choice not in SCHEMES:
        choice = "system"
    app = QGuiApplication.instance()
    if app is None:
        return choice
    hints = app.styleHints()
    if choice == "system":
        hints.unsetColorScheme()
        if _ORIGINAL.get("forced") and isinstance(app, QApplication):
            app.setStyle(str(_ORIGINAL["style"]))
            app.setPalette(_ORIGINAL["palette"])  # type: ignore[arg-type]
            _ORIGINAL["forced"] = False
        return choice
    if not _ORIGINAL and isinstance(app, QApplication):
        # Kept when a scheme is first chosen, not at every start: app.style()'s Python
        # wrapper makes QStyle's enums, ~5 ms before the first paint (issue 16).
        _ORIGINAL.update(style=app.style().name(), palette=QPalette(app.palette()))
    from PySide6.QtCore import Qt  # (its ~95 enums: only when a scheme is forced, not at every start)

    wanted = choice == "dark"
    hints.setColorScheme(Qt.ColorScheme.Dark if wanted else Qt.ColorScheme.Light)
    if is_dark() != wanted and isinstance(app, QApplication):
        from amends.ui.common.fusion_style import ReadableFusion

        app.setStyle(ReadableFusion())
        app.setPalette(dark_palette() if wanted else app.style().standardPalette())
        _ORIGINAL["forced"] = True
    return choice


def is_dark(widget: QWidget | None = None) -> bool:
    palette = widget.palette() if widget is not None else QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def stylesheet(dark: bool) -> str:
    c = _DARK if dark else _LIGHT
    return (f"QLabel#roleHint {{ background: {c['hint'][0]}; color: {c['hint'][1]}; padding: 6px; }}\n"
            f"QLabel#locationWarning, QLabel#schemaBanner, QLabel#connectionBanner {{ background: {c['warning'][0]}; color: {c['warning'][1]}; padding: 6px; }}\n"
            f"QLabel#readOnlyBanner {{ background: {c['info'][0]}; color: {c['info'][1]}; padding: 6px; }}\n"
            f"QLabel#restoredBanner {{ background: {c['hint'][0]}; color: {c['hint'][1]}; padding: 6px; }}\n"
            f"QLabel#searchProblem, QLabel#placeholderWarning, QLabel#replyProblem, QLabel#securityProblem, "
            f"QLabel#imapSecurityProblem {{ color: {c['problem']}; }}\n"
            f"QLabel#presenceLabel {{ color: {c['presence']}; font-weight: bold; }}\n"
            f"QLabel#selectionBar {{ background: {c['info'][0]}; color: {c['info'][1]}; padding: 4px; }}\n")


_ANCHOR = re.compile(r"<a href='([^']*)'[^>]*>")


def link_on_banner(label: QLabel, dark: bool) -> None:
    """A link in a hint-coloured banner ("Got it", "Dismiss") in the banner's
    own text colour: the palette's link blue is unreadable on a dark banner.
    Written into the link itself: a style-sheeted label takes its link
    colour from the application's palette, not from its own (setting the
    label's palette did nothing, seen in the dark screenshots). Call it again
    after the text changes."""
    colour = (_DARK if dark else _LIGHT)["hint"][1]
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.Link, QColor(colour))
    label.setPalette(palette)
    text = label.text()
    if "<a " in text:
        label.setText(_ANCHOR.sub(lambda m: f"<a href='{m.group(1)}' style='color: {colour}'>", text))


def relayout_links(root: QWidget) -> None:
    """Labels under ``root`` with links set their text again: a label lays
    its links out in the palette's link colour of the moment it got its
    text, so after a scheme change they kept the old one (the Review's
    summary stayed #0000ff on dark)."""
    for label in root.findChildren(QLabel):
        text = label.text()
        if "<a " in text:
            label.clear()  # (the same text again is ignored)
            label.setText(text)


def _contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio of two colours (1 … 21)."""
    def luminance(colour: QColor) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


#: Links that read on light (on white: 7.6:1) and on dark (on #202124: 8.1:1)
_READABLE_LINK = {False: "#0b57d0", True: "#8ab4f8"}


def readable_links(palette: QPalette) -> QPalette | None:
    """The palette with link colours that can be read (WCAG AA, 4.5:1) on
    its window and base colours, or None when they already can. A dark
    desktop's palette that says nothing about links keeps Qt's default
    #0000ff: 1.9:1 on our dark window (the Review's summary links, seen in
    the dark screenshots)."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    changed = QPalette(palette)
    fixed = False
    for role in (QPalette.ColorRole.Link, QPalette.ColorRole.LinkVisited):
        colour = palette.color(QPalette.ColorGroup.Active, role)
        if min(_contrast(colour, palette.color(QPalette.ColorGroup.Active, r))
               for r in (QPalette.ColorRole.Window, QPalette.ColorRole.Base)) < 4.5:
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                changed.setColor(group, role, QColor(_READABLE_LINK[dark]))
            fixed = True
    return changed if fixed else None


def bubble_colours(dark: bool) -> dict[str, tuple[str, str]]:
    """Conversation bubbles: (background, text) per message direction."""
    if dark:
        return {"in": ("#1f2b3d", "#dce7f7"), "out": ("#1c3326", "#d3f0dc"), "note": ("#3d3214", "#fbe6b0")}
    return {"in": ("#e8eef7", "#1d3557"), "out": ("#e9f5ec", "#1b4332"), "note": ("#fff4d6", "#5c4400")}


@lru_cache(maxsize=64)
def _pixmap(name: str, colour: str, size: int) -> QPixmap:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPainter, QPixmap
    from PySide6.QtSvg import QSvgRenderer  # ~30 ms to load: only when icons are drawn, after the first paint

    source = (paths.resources_dir() / "icons" / "ui" / f"{name}.svg").read_text(encoding="utf-8")
    renderer = QSvgRenderer(QByteArray(source.replace("currentColor", colour).encode("utf-8")))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def app_icon() -> QIcon:
    """The app's own icon (window, tray) from the package's resources. A
    missing file is a broken install: said in the log, not hidden behind an
    empty icon."""
    from PySide6.QtGui import QIcon

    path = paths.resources_dir() / "icons" / "amends.svg"
    if not path.is_file():
        log.warning("missing resource %s: the app has no icon (a broken install?)", path)
        return QIcon()
    return QIcon(str(path))


def icon(name: str, widget: QWidget | None = None) -> QIcon:
    """A UI icon in the text colour of ``widget``'s palette, sharp at 100–200 %
    scaling (pixmaps for 16–64 px)."""
    from PySide6.QtGui import QIcon

    palette = widget.palette() if widget is not None else QGuiApplication.palette()
    colour = palette.color(QPalette.ColorRole.WindowText).name()
    result = QIcon()
    for size in (16, 24, 32, 48, 64):
        result.addPixmap(_pixmap(name, colour, size))
    return result


def set_app_icon() -> None:
    """Give every window the app's icon, once: before a dialog that comes
    ahead of the main window (the welcome), else right after the main
    window's first paint. Made before it, the icon (and its types) were part
    of every start, and a desktop renders it for the window before painting
    it (issue 16)."""
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication) and app.windowIcon().isNull():
        app.setWindowIcon(app_icon())
