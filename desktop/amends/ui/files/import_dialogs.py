"""File → Import: the CSV column mapping (with a preview of the first rows,
remembered per set of column names), the import in a worker with progress
and cancel, and the report of every problem."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QProgressDialog,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from amends import settings_schema as schema
from amends.core import importers
from amends.core.importers import csv_files
from amends.core.store import Database
from amends.ui.common import ops, settings
from amends.ui.common.messages import show_error


def _header_hash(header: list[str]) -> str:
    return hashlib.sha1("\x1f".join(header).encode()).hexdigest()[:16]


class MappingDialog(QDialog):
    """Which column is which field; the first rows show what will be read."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mappingDialog")
        self.setWindowTitle(self.tr("Import {0}: columns").format(path.name))
        self.setMinimumWidth(720)
        self.header, rows = csv_files.preview(path)
        remembered = settings.get(schema.IMPORT_MAPPING, header=_header_hash(self.header))
        guessed = csv_files.guess_mapping(self.header)
        chosen = json.loads(remembered) if remembered else guessed
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Choose what each column holds. A subject and a date are needed.")))
        grid = QGridLayout()
        self.combos: dict[str, QComboBox] = {}
        for column, name in enumerate(self.header):
            grid.addWidget(QLabel(f"<b>{html.escape(name)}</b>"), 0, column)
            combo = QComboBox()
            combo.setAccessibleName(self.tr("Field for column {0}").format(name))
            combo.addItem(self.tr("(ignore)"), "ignore")
            for field in csv_files.TICKET_FIELDS:
                combo.addItem(field.replace("_", " "), field)
            combo.setCurrentIndex(max(0, combo.findData(chosen.get(name, "ignore"))))
            grid.addWidget(combo, 1, column)
            self.combos[name] = combo
        layout.addLayout(grid)
        self.table = QTableWidget(len(rows), len(self.header))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.table.setObjectName("mappingPreview")
        self.table.setHorizontalHeaderLabels(self.header)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value[:200]))
        layout.addWidget(self.table)
        self.problem = QLabel()
        self.problem.setObjectName("problems")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton(self.tr("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for combo in self.combos.values():
            combo.currentIndexChanged.connect(self._check)
        self._check()

    def mapping(self) -> dict[str, str]:
        return {name: combo.currentData() for name, combo in self.combos.items()}

    def _check(self) -> None:
        fields = [f for f in self.mapping().values() if f != "ignore"]
        problems = []
        if "subject" not in fields:
            problems.append(self.tr("no column is the subject"))
        if "created_at" not in fields:
            problems.append(self.tr("no column is the date (created at)"))
        if len(fields) != len(set(fields)):
            problems.append(self.tr("two columns are mapped to the same field"))
        self.problem.setText("⚠ " + "; ".join(problems) if problems else "")
        self.ok.setEnabled(not problems)

    def accept(self) -> None:
        settings.put(schema.IMPORT_MAPPING, json.dumps(self.mapping()), header=_header_hash(self.header))
        super().accept()


def report_html(reports: list[importers.FileReport]) -> str:
    e = html.escape
    parts = []
    for r in reports:
        name = e(Path(r.path).name)
        if r.source:  # a platform's own export, read without a mapping
            name += f" (recognised as a {e(r.source)} export)"
        if r.errors and not r.written:
            parts.append(f"<p><b>{name}</b>: nothing imported — {len(r.errors)} problem(s). Fix them, or import "
                         "the valid records only.</p>")
        else:
            parts.append(f"<p><b>{name}</b>: {r.imported:,} {e(r.unit)} imported, {r.unchanged:,} unchanged, "
                         f"{r.skipped:,} skipped.</p>")
        if r.errors:
            where = "line" if r.format in ("csv", "customers", "mbox") else "record"
            rows = "".join(f"<tr><td>{where} {x.record}</td><td>{e(x.field)}</td><td>{e(x.reason)}</td></tr>"
                           for x in r.errors[:500])
            parts.append(f"<table cellpadding='3'>{rows}</table>")
        if r.notes:
            rows = "".join(f"<tr><td>line {x.record}</td><td>{e(x.field)}</td><td>{e(x.reason)}</td></tr>"
                           for x in r.notes[:500])
            parts.append(f"<p>Left out on purpose ({len(r.notes)}):</p><table cellpadding='3'>{rows}</table>")
    return "".join(parts)


class ImportReportDialog(QDialog):
    retry_skipping = Signal()

    def __init__(self, reports: list[importers.FileReport], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importReport")
        self.setWindowTitle(self.tr("Import"))
        self.setMinimumSize(620, 380)
        self.reports = reports
        view = QTextBrowser()
        view.setObjectName("importReportText")
        view.setHtml(report_html(reports))
        self.view = view
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        refused = [r for r in reports if r.errors and not r.written]
        self.skip_button = None
        if refused:
            self.skip_button = buttons.addButton(self.tr("Import the valid records only"),
                                                 QDialogButtonBox.ButtonRole.ActionRole)
            self.skip_button.setObjectName("skipInvalid")
            self.skip_button.clicked.connect(lambda: (self.retry_skipping.emit(), self.accept()))
        layout = QVBoxLayout(self)
        layout.addWidget(view, 1)
        layout.addWidget(buttons)


def run_import(parent: QWidget, db: Database, paths: list[Path], mappings: dict[Path, dict[str, str]],
               skip_invalid: bool, done) -> ops.Operation:
    """Import in a worker: progress, cancel (nothing of a cancelled file is
    kept), and a report at the end."""
    progress = QProgressDialog(parent.tr("Importing…"), parent.tr("Cancel"), 0, 100, parent)
    progress.setObjectName("importProgress")
    progress.setMinimumDuration(300)
    progress.setAutoClose(False)
    progress.setAutoReset(False)

    def work(job: ops.Job) -> list[importers.FileReport]:
        reports = []
        for number, path in enumerate(paths):
            reports.append(importers.import_file(
                job.db, path, mapping=mappings.get(path), skip_invalid=skip_invalid, cancelled=job.cancelled,
                progress=lambda d, t, n=number: job.report(n * 100 + int(100 * d / max(t, 1)), len(paths) * 100)))
        return reports

    def finished(reports) -> None:
        progress.close()
        done(reports)

    def failed(error: BaseException) -> None:
        progress.close()
        show_error(parent, error)

    op = ops.run(db, work, success=finished, failure=failed, parent=parent)
    op.progress.connect(lambda d, t: progress.setValue(int(100 * d / max(t, 1))))
    progress.canceled.connect(op.cancel)
    return op
