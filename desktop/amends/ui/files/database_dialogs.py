"""Looking after the file: Help → Check database (the doctor) and File →
Restore from backup. Both do their work in workers."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends.core import backups, health
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import ops
from amends.ui.common.messages import show_error
from amends.ui.common.rows_model import RowsModel


def report_html(report: health.HealthReport) -> str:
    e = html.escape
    parts = []
    if report.fixed:
        parts.append("<p><b>Fixed</b></p><ul>" + "".join(f"<li>{e(x)}</li>" for x in report.fixed) + "</ul>")
    if report.problems:
        parts.append("<p><b>Problems</b></p><ul>" + "".join(f"<li>⚠ {e(x)}</li>" for x in report.problems) + "</ul>")
        parts.append("<p>" + ("Some of this can be repaired in place (search indexes, missing triggers and "
                              "indexes; a backup is made first): press <b>Repair</b>." if report.repairable else
                              ("What is left cannot be repaired in place (see below why): restore a backup "
                               "(File → Restore from backup) if it matters." if report.refused else
                               "Damage to the file itself cannot be repaired in place: restore a backup "
                               "(File → Restore from backup).")) + "</p>")
        if report.refused:  # schema changes repair leaves alone, with the reason
            parts.append("<p><b>Left as it is</b></p><ul>" + "".join(f"<li>{e(x)}</li>" for x in report.refused)
                         + "</ul>")
    else:
        parts.append("<p><b>The database is healthy.</b></p>")
    parts.append("<p>Checked</p><ul>" + "".join(f"<li>✓ {e(x)}</li>" for x in report.checks) + "</ul>")
    return "".join(parts)


class CheckDialog(QDialog):
    finished_check = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkDialog")
        self.setWindowTitle(self.tr("Check database"))
        self.setMinimumSize(520, 360)
        self._db = db
        self.report: health.HealthReport | None = None
        self.view = QTextBrowser()
        self.view.setObjectName("checkReport")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.repair_button = buttons.addButton(self.tr("Repair"), QDialogButtonBox.ButtonRole.ActionRole)
        self.repair_button.setObjectName("repair")
        self.repair_button.setEnabled(False)
        buttons.rejected.connect(self.reject)
        self.repair_button.clicked.connect(lambda: self.run(repair=True))
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

    def run(self, repair: bool = False) -> ops.Operation:
        self.view.setHtml(self.tr("<i>Checking integrity, foreign keys, schema and search index…</i>"))
        self.repair_button.setEnabled(False)

        def done(report: health.HealthReport) -> None:
            self.report = report
            self.view.setHtml(report_html(report))
            self.repair_button.setEnabled(report.repairable)
            self.finished_check.emit()

        def failed(error: BaseException) -> None:
            self.view.setHtml(f"<p>⚠ {html.escape(str(error))}</p>")
            self.finished_check.emit()

        return ops.run(self._db, lambda job: (health.repair if repair else health.check)(job.db),
                       success=done, failure=failed, parent=self)


class RestoreDialog(QDialog):
    restored = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setWindowTitle(self.tr("Restore from backup"))
        self.setMinimumSize(640, 360)
        self._db = db
        self.model = RowsModel([
            ("taken_at", "Taken", lambda b: b.taken_at[:16].replace("T", " ")),
            ("reason", "Why", lambda b: b.reason),
            ("tickets", "Tickets", lambda b: "?" if b.tickets is None else f"{b.tickets:,}"),
            ("size", "Size", lambda b: f"{b.size / 1e6:,.1f} MB"),
        ], self)
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.table.setObjectName("backupTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        note = QLabel(self.tr("Backups of {0}, newest first. Restoring keeps a copy of the current file first. "
                              "Everyone using the file sees the restored data.").format(db.path.name))
        note.setWordWrap(True)
        self.keep = QSpinBox()
        self.keep.setObjectName("keepBackups")
        self.keep.setAccessibleName(self.tr("Automatic backups to keep"))
        self.keep.setRange(1, 1000)
        self.keep.setPrefix(self.tr("keep the last "))
        self.keep.setSuffix(self.tr(" automatic backups"))
        self.keep.setValue(backups.keep_setting(db))
        self.keep.editingFinished.connect(self._keep_changed)
        self.backup_button = QPushButton(self.tr("Back up now"))
        self.backup_button.setObjectName("backupNow")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = buttons.addButton(self.tr("Restore…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.setObjectName("restoreBackup")
        buttons.addButton(self.backup_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.ask_restore)
        self.backup_button.clicked.connect(self.backup_now)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.keep)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(backups.list_backups(self._db.path))
        if self.model.rowCount():
            self.table.selectRow(0)
        self.restore_button.setEnabled(self.model.rowCount() > 0)

    def _keep_changed(self) -> None:
        if not self.isVisible():  # focus lost while the dialog closes: nothing was edited
            return
        try:
            if self.keep.value() == backups.keep_setting(self._db):
                return
            backups.set_keep(self._db, self.keep.value())
            backups.prune(self._db)
            self.reload()
        except AmendsError as error:
            show_error(self, error)

    def backup_now(self) -> None:
        try:
            backups.make(self._db, "manual")
            self.reload()
        except AmendsError as error:
            show_error(self, error)

    def selected(self) -> backups.BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def ask_restore(self) -> None:
        backup = self.selected()
        if backup is None:
            return
        answer = QMessageBox.question(self, self.tr("Restore"), self.tr(
            "Replace the current data with the backup of {0} ({1} tickets)? A copy of the current file is kept."
        ).format(backup.taken_at[:16].replace("T", " "), backup.tickets))
        if answer == QMessageBox.StandardButton.Yes:
            self.restore(backup)

    def restore(self, backup: backups.BackupInfo) -> ops.Operation:
        def work(job: ops.Job):
            return backups.restore(self._db.path, backup.path, force=True, actor=self._db.actor)

        def done(_safety) -> None:
            self.reload()
            self.restored.emit()

        return ops.run(self._db, work, success=done, failure=lambda error: show_error(self, error), parent=self)
