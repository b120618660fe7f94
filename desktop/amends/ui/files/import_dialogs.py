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


ENCODINGS = ("utf-8", "cp1252", "iso-8859-1", "iso-8859-2", "cp1250", "shift_jis", "cp932", "euc-kr", "gb18030",
             "koi8-r", "utf-16")


class MappingDialog(QDialog):
    """Which column is which field; the first rows show what will be read,
    with how the file was read named (its encoding when it was a guess, a
    date column's order) and both choosable."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mappingDialog")
        self.setWindowTitle(self.tr("Import {0}: columns").format(path.name))
        self.setMinimumWidth(720)
        self.path = path
        self.info = csv_files.inspect(path)
        self.header = self.info.header
        remembered = settings.get(schema.IMPORT_MAPPING, header=_header_hash(self.header))
        guessed = csv_files.guess_mapping(self.header)
        chosen = json.loads(remembered) if remembered else guessed
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Choose what each column holds. A subject and a date are needed.")))
        read_as = QGridLayout()
        self.encoding = QComboBox()
        self.encoding.setObjectName("mappingEncoding")
        self.encoding.setEditable(True)
        self.encoding.setAccessibleName(self.tr("Text encoding of the file"))
        for name in dict.fromkeys([self.info.encoding, *ENCODINGS]):
            self.encoding.addItem(name, name)
        self.encoding.setCurrentIndex(0)
        detected = self.tr("detected — if letters look wrong, choose another") if self.info.guessed else ""
        read_as.addWidget(QLabel(self.tr("Text encoding")), 0, 0)
        read_as.addWidget(self.encoding, 0, 1)
        read_as.addWidget(QLabel(detected), 0, 2)
        self.dates = QComboBox()
        self.dates.setObjectName("mappingDates")
        self.dates.setAccessibleName(self.tr("How dates like 01/05/2026 read"))
        self.dates.addItem(self.tr("Dates: as each column's values show"), None)
        self.dates.addItem(self.tr("Dates: day first (31/01/2026)"), "day-first")
        self.dates.addItem(self.tr("Dates: month first (01/31/2026)"), "month-first")
        read_as.addWidget(QLabel(self.tr("Dates")), 1, 0)
        read_as.addWidget(self.dates, 1, 1)
        layout.addLayout(read_as)
        grid = QGridLayout()
        self.combos: dict[str, QComboBox] = {}
        for column, name in enumerate(self.header):
            title = QLabel(f"<b>{html.escape(name)}</b>")
            title.setWordWrap(True)
            title.setToolTip(name)
            grid.addWidget(title, 0, column)
            combo = QComboBox()
            combo.setAccessibleName(self.tr("Field for column {0}").format(name))
            combo.addItem(self.tr("(ignore)"), "ignore")
            for field in csv_files.TICKET_FIELDS:
                combo.addItem(self.tr(csv_files.FIELD_LABELS.get(field, field)), field)
            combo.setCurrentIndex(max(0, combo.findData(chosen.get(name, "ignore"))))
            grid.addWidget(combo, 1, column)
            self.combos[name] = combo
        layout.addLayout(grid)
        self.table = QTableWidget(0, len(self.header))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move in it)
        self.table.setObjectName("mappingPreview")
        self.table.setHorizontalHeaderLabels(self.header)
        self.table.horizontalHeader().setMinimumSectionSize(90)
        layout.addWidget(self.table)
        self.notes = QLabel()
        self.notes.setObjectName("mappingNotes")
        self.notes.setWordWrap(True)
        layout.addWidget(self.notes)
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
        self.encoding.currentTextChanged.connect(self._reread)
        self.dates.currentIndexChanged.connect(self._reread)
        self._show(self.info)
        self._check()

    def options(self) -> dict[str, str | None]:
        """How to read the file: ``encoding`` (None: as detected) and ``dates``
        (None: from each column's values), for importers.import_file."""
        chosen = self.encoding.currentText().strip()
        keep = chosen == self.info.encoding  # the same detection runs again
        return {"encoding": None if keep or not chosen else chosen, "dates": self.dates.currentData()}

    def _reread(self) -> None:
        options = self.options()
        self._show(csv_files.inspect(self.path, encoding=options["encoding"], dates=options["dates"],
                                     overrides=self._overrides()))

    def _overrides(self) -> dict[str, str]:
        return {name: field for name, field in self.mapping().items() if field != "ignore"}

    def _show(self, seen: csv_files.Preview) -> None:
        self.table.setRowCount(len(seen.rows))
        for r, row in enumerate(seen.rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value[:200]))
        lines = [f"ⓘ {note}" for note in seen.notes] + [f"⚠ {problem}" for problem in seen.problems[:5]]
        self.notes.setText("\n".join(lines))

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


class PlatformPreviewDialog(QDialog):
    """Before a subscription platform's export is imported (it needs no
    mapping): which platform it was recognised as and how many rows, with
    Import / Cancel. The counts come from importers.recognised (core reads
    the file; the UI never parses it). Cancel writes nothing."""

    def __init__(self, path: Path, seen: importers.Recognised, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("platformPreview")
        self.setWindowTitle(self.tr("Import {0}").format(path.name))
        layout = QVBoxLayout(self)
        self.text = QLabel(self.tr("Recognised: {0} export — {1} rows").format(seen.source, f"{seen.rows:,}"))
        self.text.setObjectName("platformPreviewText")
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        detail = self.tr("{0} {1} to import.").format(f"{seen.records:,}", seen.unit)
        if seen.problems:
            detail += " " + self.tr("{0} problem(s): the report lists them; nothing is written unless you choose "
                                    "to import the valid records only.").format(seen.problems)
        self.detail = QLabel(detail)
        self.detail.setWordWrap(True)
        layout.addWidget(self.detail)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(self.tr("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ok.setDefault(True)


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
        if r.read_as:  # what was guessed about the file: its encoding, a date column's order
            parts.append("<ul>" + "".join(f"<li>{e(note)}</li>" for note in r.read_as) + "</ul>")
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
               skip_invalid: bool, done, *, options: dict[Path, dict] | None = None) -> ops.Operation:
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
                progress=lambda d, t, n=number: job.report(n * 100 + int(100 * d / max(t, 1)), len(paths) * 100),
                **(options or {}).get(path, {})))
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
