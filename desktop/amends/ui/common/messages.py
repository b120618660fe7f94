"""Turning core errors into messages a person can act on."""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from amends import paths
from amends.core.errors import AmendsError, ConflictError, ValidationError

if TYPE_CHECKING:  # a box's type (and enums) is made when one is shown, not at every start (issue 16)
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger("amends.ui")


def tr(text: str) -> str:
    return QCoreApplication.translate("Amends", text)


def describe(error: BaseException) -> str:
    """One readable paragraph for a known error."""
    if isinstance(error, ConflictError) and error.changes:
        changed = "\n".join(f"• {c.field}: {c.mine!r} → {c.theirs!r}" for c in error.changes)
        return f"{error}\n\n{tr('What they changed:')}\n{changed}"
    if isinstance(error, ValidationError) and len(error.problems) > 1:
        return "\n".join(f"• {f}: {r}" if f else f"• {r}" for f, r in error.problems)
    return str(error)


def show_error(parent: QWidget | None, error: BaseException, title: str | None = None) -> None:
    """A known problem gets its message; anything else is a bug and says so,
    with the details and where the log is."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    if isinstance(error, AmendsError):
        log.warning("shown to the person: %s", describe(error))  # every known error shown is also in the log
        box = QMessageBox(QMessageBox.Icon.Warning, title or tr("Amends"), describe(error),
                          QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("errorBox")
    else:
        box = crash_box(error, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def crash_box(error: BaseException, parent: QWidget | None = None) -> QMessageBox:
    """A bug, not the person's fault: say so, keep the details in the log,
    and let them copy the details for a report. Never a silent exit."""
    from PySide6.QtWidgets import QMessageBox

    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    log.error("unexpected error\n%s", details)
    box = QMessageBox(QMessageBox.Icon.Critical, tr("Something went wrong"),
                      tr("Amends hit an unexpected problem; the action did not finish and your data was not "
                         "changed by it. The details are in the log: {0}").format(paths.log_dir() / "amends.log"),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("crashBox")
    box.setDetailedText(details)
    copy = box.addButton(tr("Copy details"), QMessageBox.ButtonRole.ActionRole)
    copy.setObjectName("copyDetails")
    copy.clicked.disconnect()  # keep the box open after copying
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
    return box


def conflict_box(parent: QWidget, title: str, text: str, keep_mine, after) -> QMessageBox:
    """Someone else saved first: show what they changed and let the person
    choose **Reload theirs** (the default) or **Keep mine** — an explicit
    overwrite, run by ``keep_mine()``. ``after()`` runs either way."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    reload_button = box.addButton(tr("Reload theirs"), QMessageBox.ButtonRole.RejectRole)
    keep = box.addButton(tr("Keep mine"), QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(reload_button)

    def chosen(button) -> None:
        if button is keep:
            try:
                keep_mine()
            except AmendsError as again:
                show_error(parent, again)
        after()

    box.buttonClicked.connect(chosen)
    box.open()
    return box
