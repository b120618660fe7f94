"""Qt's own texts (standard buttons, file dialogs, context menus) in the
system's language: Qt ships them as ``qtbase_<lang>.qm``. Our texts go
through ``tr()`` so that a translation of Amends can be added the same way."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator


def install(app: QCoreApplication, locale: QLocale | None = None) -> QTranslator | None:
    """Load Qt's translation for ``locale`` (default: the system's); None
    when there is none (English, or a language Qt has no file for)."""
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(locale or QLocale.system(), "qtbase", "_", folder):
        return None
    app.installTranslator(translator)
    return translator
