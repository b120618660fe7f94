"""File dialogs that never read the files they list.

Qt's own file dialog guesses each listed file's type from its *content*
when the name does not settle it, so browsing the database's folder opens
and closes ``X.db``, ``X.db-wal`` and ``X.db-shm`` in our process. Closing
any descriptor of a file drops all of this process's POSIX locks on it, so
the open window silently loses its locks, and the next process to close the
file deletes the WAL under it (the lock trap: see "Sharing one database
file" in DESIGN.md). These dialogs take icons and types from the name only.
Same arguments and results as the ``QFileDialog.get…`` functions.
"""

from __future__ import annotations

from PySide6.QtCore import QFileInfo, QMimeDatabase
from PySide6.QtGui import QAbstractFileIconProvider
from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QWidget


class NameOnlyIcons(QFileIconProvider):
    """Icons and type names from the file name, never from its bytes (it is
    also called from the dialog's file-gathering thread: no state changes)."""

    def __init__(self) -> None:
        super().__init__()
        self._mimes = QMimeDatabase()
        self._folder = super().icon(QAbstractFileIconProvider.IconType.Folder)
        self._file = super().icon(QAbstractFileIconProvider.IconType.File)

    def icon(self, what):
        if isinstance(what, QFileInfo):
            return self._folder if what.isDir() else self._file
        return super().icon(what)

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return "Folder"
        mime = self._mimes.mimeTypeForFile(info.fileName(), QMimeDatabase.MatchMode.MatchExtension)
        return mime.comment() or mime.name()


def _run(parent: QWidget | None, caption: str, directory: str, filter_: str, options: QFileDialog.Option,
         mode: QFileDialog.FileMode, accept: QFileDialog.AcceptMode) -> tuple[list[str], str]:
    dialog = QFileDialog(parent, caption, directory, filter_)
    # The platform's dialog may sniff files in our process too; ours does not.
    dialog.setOptions(options | QFileDialog.Option.DontUseNativeDialog)
    provider = NameOnlyIcons()
    dialog.setIconProvider(provider)
    dialog.setFileMode(mode)
    dialog.setAcceptMode(accept)
    try:
        if dialog.exec() != QFileDialog.DialogCode.Accepted:
            return [], ""
        return dialog.selectedFiles(), dialog.selectedNameFilter()
    finally:
        dialog.deleteLater()
        del provider


def get_open_file_name(parent: QWidget | None = None, caption: str = "", directory: str = "", filter: str = "",
                       options: QFileDialog.Option = QFileDialog.Option(0)) -> tuple[str, str]:
    files, chosen = _run(parent, caption, directory, filter, options, QFileDialog.FileMode.ExistingFile,
                         QFileDialog.AcceptMode.AcceptOpen)
    return (files[0] if files else ""), chosen


def get_open_file_names(parent: QWidget | None = None, caption: str = "", directory: str = "",
                        filter: str = "",
                        options: QFileDialog.Option = QFileDialog.Option(0)) -> tuple[list[str], str]:
    return _run(parent, caption, directory, filter, options, QFileDialog.FileMode.ExistingFiles,
                QFileDialog.AcceptMode.AcceptOpen)


def get_save_file_name(parent: QWidget | None = None, caption: str = "", directory: str = "", filter: str = "",
                       options: QFileDialog.Option = QFileDialog.Option(0)) -> tuple[str, str]:
    files, chosen = _run(parent, caption, directory, filter, options, QFileDialog.FileMode.AnyFile,
                         QFileDialog.AcceptMode.AcceptSave)
    return (files[0] if files else ""), chosen
