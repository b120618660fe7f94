"""File menu work that is not about one pane: demo data, import, export,
the quarterly report, backups and the database doctor.

The controller is given what it needs (the database, the bus, a parent for
its dialogs and two small providers) instead of the window: it reports
through the :class:`DataBus` and never calls back into the shell."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QProgressDialog, QWidget

from amends.core import tickets
from amends.core.errors import AmendsError
from amends.core.store import Database
from amends.ui.common import file_dialogs, ops
from amends.ui.common.databus import Changed, DataBus
from amends.ui.common.messages import show_error

DEMO_TICKETS = 2000


class FilesController(QObject):
    def __init__(self, db: Database, bus: DataBus, parent: QWidget, *,
                 current_query: Callable[[], tickets.InboxQuery],
                 report_defaults: Callable[[], tuple[Any, Any]]) -> None:
        """``current_query``: the inbox view an export writes; ``report_defaults``:
        (period, insights settings) the Review pane shows, or the defaults."""
        super().__init__(parent)
        self.db = db
        self.bus = bus
        self.parent_widget = parent
        self.current_query = current_query
        self.report_defaults = report_defaults
        self.mapping_dialog: QDialog | None = None
        self.preview_dialog: QDialog | None = None
        self.import_report: QDialog | None = None
        self.check_dialog: QDialog | None = None
        self.restore_dialog: QDialog | None = None
        self.exported: tuple[Path, int] | None = None
        self.report_written: Path | None = None
        self._import_op: ops.Operation | None = None

    # -- demo data -------------------------------------------------------------
    def is_empty(self) -> bool:
        return not tickets.page(self.db, tickets.InboxQuery(status="all"), limit=1)[0]

    def offer_demo(self) -> None:
        """Fill an empty database with demo data, in a worker with progress
        and cancel (cancel leaves the database as it was)."""
        if not self.is_empty():
            QMessageBox.information(self.parent_widget, self.tr("Demo data"),
                                    self.tr("Demo data can only go into an empty database. Open a new file "
                                            "(File → Open, then type a new name) to try it."))
            return
        self.load_demo(DEMO_TICKETS)

    def load_demo(self, count: int) -> ops.Operation:
        from amends.core import demo

        progress = QProgressDialog(self.tr("Creating demo data…"), self.tr("Cancel"), 0, 100, self.parent_widget)
        progress.setObjectName("demoProgress")
        progress.setWindowTitle(self.tr("Demo data"))
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)

        def work(job: ops.Job):
            return demo.generate(job.db, count, progress=job.report, cancelled=job.cancelled)

        def done(summary) -> None:
            progress.close()
            self.bus.say(self.tr("Loaded {0:,} demo tickets.").format(summary.tickets), 6000)
            self.bus.announce(Changed.EVERYTHING)

        def failed(error: BaseException) -> None:
            progress.close()
            if not isinstance(error, demo.Cancelled):
                show_error(self.parent_widget, error)

        op = ops.run(self.db, work, success=done, failure=failed, parent=self)
        op.progress.connect(lambda done_, total: progress.setValue(int(100 * done_ / max(total, 1))))
        progress.canceled.connect(op.cancel)
        self._demo_op = op
        return op

    # -- import and export -------------------------------------------------------
    def import_filters(self, first: str = "all") -> str:
        """File → Import's list of formats, by name, ``first`` on top (the
        welcome's helpdesk or customers choice)."""
        filters = {
            "all": self.tr("Everything Amends reads (*.json *.csv *.tsv *.txt *.eml *.mbox)"),
            "helpdesk": self.tr("Helpdesk exports: Zendesk, Help Scout, Freshdesk, Gorgias (*.json)"),
            "customers": self.tr("Customers and subscriptions: Stripe, Recharge, Skio, Cratejoy, Shopify, "
                                 "or any customers CSV (*.csv *.tsv *.txt)"),
            "tickets": self.tr("Tickets from a spreadsheet (*.csv *.tsv *.txt)"),
            "mail": self.tr("Mail: single messages or mailboxes (*.eml *.mbox *.mbx)"),
            "amends": self.tr("Amends exchange file (*.json)"),
        }
        order = [first] + [k for k in filters if k != first]
        return ";;".join([filters[k] for k in order] + [self.tr("All files (*)")])

    def ask_import(self, first: str = "all") -> None:
        names, _ = file_dialogs.get_open_file_names(
            self.parent_widget, self.tr("Import"), str(Path.home()), self.import_filters(first))
        if names:
            self.import_files([Path(n) for n in names])

    def import_files(self, paths: list[Path], skip_invalid: bool = False) -> ops.Operation | None:
        """CSV files get the column mapping first (a platform's export a
        preview naming the platform); then everything imports in
        a worker and a report lists what came in and every problem."""
        from amends.core import importers
        from amends.ui.files.import_dialogs import MappingDialog, PlatformPreviewDialog

        mappings, options = {}, {}
        for path in paths:
            try:
                fmt = importers.detect(path)
            except AmendsError as error:
                show_error(self.parent_widget, error)
                return None
            if fmt == "csv":
                dialog = MappingDialog(path, self.parent_widget)
                self.mapping_dialog = dialog
                if dialog.exec() != QDialog.DialogCode.Accepted:
                    return None
                mappings[path] = dialog.mapping()
                options[path] = dialog.options()
            elif fmt == "customers" and (seen := importers.recognised(path)) is not None:
                preview = PlatformPreviewDialog(path, seen, self.parent_widget)  # a platform's file: no mapping
                self.preview_dialog = preview
                if preview.exec() != QDialog.DialogCode.Accepted:
                    return None
        return self._import_and_report(paths, mappings, skip_invalid, options)

    def _import_and_report(self, paths: list[Path], mappings: dict, skip_invalid: bool,
                           options: dict | None = None) -> ops.Operation:
        from amends.ui.files.import_dialogs import ImportReportDialog, run_import

        def done(reports) -> None:
            self.bus.announce(Changed.EVERYTHING)
            report = ImportReportDialog(reports, self.parent_widget)
            report.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            report.retry_skipping.connect(lambda: self._import_and_report(paths, mappings, True, options))
            self.import_report = report
            report.open()

        self._import_op = run_import(self.parent_widget, self.db, paths, mappings, skip_invalid, done,
                                     options=options)
        return self._import_op

    def ask_export(self) -> None:
        name, chosen = file_dialogs.get_save_file_name(
            self.parent_widget, self.tr("Export"), str(Path.home() / "amends-export.csv"),
            self.tr("CSV, the current view (*.csv);;JSON, the current view (*.json);;"
                    "Amends exchange format, everything (*.amends.json)"))
        if name:
            kind = "amends" if "exchange" in chosen else ("json" if name.endswith(".json") else "csv")
            self.export_to(Path(name), kind, force=True)  # the save dialog asked before replacing

    def export_to(self, path: Path, kind: str, *, force: bool = False) -> ops.Operation:
        """The current inbox view (csv, json) or everything (amends), in a worker.
        ``force``: the person confirmed replacing ``path`` in the save dialog."""
        from amends.core.exporters import amends, tables

        query = self.current_query() if kind != "amends" else None

        def work(job: ops.Job) -> int:
            # the same atomic writers as `amends export`: they refuse the database and, without force, a file
            if kind == "amends":
                return amends.write_document(job.db, path, force=force)
            return (tables.write_json if kind == "json" else tables.write_csv)(job.db, path, query, force=force)

        def done(count: int) -> None:
            self.bus.say(self.tr("Exported {0:,} tickets to {1}").format(count, path), 8000)
            self.exported = (path, count)

        self._export_op = ops.run(self.db, work, success=done, failure=lambda error: show_error(
            self.parent_widget, error), parent=self)
        return self._export_op

    # -- the quarterly report ---------------------------------------------------------
    def ask_report(self) -> None:
        period, _settings = self.report_defaults()
        suggested = str(Path.home() / f"amends-report-{period.since}-{period.until}.pdf")
        path, _ = file_dialogs.get_save_file_name(self.parent_widget, self.tr("Save the relations report"), suggested,
                                              self.tr("PDF files (*.pdf)"))
        if path:
            self.write_report(Path(path), period, force=True)  # the save dialog asked before replacing

    def write_report(self, path: Path, period, settings=None, *, force: bool = False) -> ops.Operation:
        """Compute the figures in a worker, then draw the PDF (charts must be
        drawn on the UI thread)."""
        from amends.core import insights
        from amends.ui.report import write_report

        settings = settings or self.report_defaults()[1]
        self.bus.say(self.tr("Computing the report for {0}…").format(period.label()), 0)

        def done(data: dict) -> None:
            try:
                written = write_report(self.db, period, path, settings, data=data, force=force)
            except (AmendsError, OSError) as error:
                show_error(self.parent_widget, error)
                return
            self.bus.say(self.tr("Report written to {0}").format(written), 8000)
            self.report_written = written

        def work(job: ops.Job) -> dict:
            return insights.compute(job.db, period, settings, progress=job.report, cancelled=job.cancelled).to_json()

        self._report_op = ops.run(self.db, work, success=done, failure=lambda error: show_error(
            self.parent_widget, error), parent=self)
        return self._report_op

    # -- backups and the doctor -----------------------------------------------------------
    def open_check(self) -> QDialog:
        from amends.ui.files.database_dialogs import CheckDialog

        dialog = CheckDialog(self.db, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished_check.connect(lambda: self.bus.announce(Changed.TICKETS))
        self.check_dialog = dialog
        dialog.open()
        dialog.run()
        return dialog

    def open_restore(self) -> QDialog:
        from amends.ui.files.database_dialogs import RestoreDialog

        dialog = RestoreDialog(self.db, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restored.connect(self._after_restore)
        self.restore_dialog = dialog
        dialog.open()
        return dialog

    def _after_restore(self) -> None:
        """The same handling as a restore seen by the poll (the shell's
        REPLACED handler): banner, undo cleared, everything re-read."""
        self.bus.say(self.tr("Restored; a copy of the previous data was kept."), 8000)
        self.bus.announce(Changed.EVERYTHING | Changed.REPLACED)

    def rolling_backup(self) -> ops.Operation | None:
        """The daily backup, in a worker, a little after start-up."""
        from amends.core import backups

        if self.db.readonly:
            return None

        def failed(error: BaseException) -> None:
            ops.log.warning("the daily backup failed: %s", error)
            self.bus.say(self.tr("The daily backup failed: {0}").format(error), 10000)

        self._backup_op = ops.run(self.db, lambda job: backups.rolling(job.db), success=lambda _result: None,
                                  failure=failed, parent=self)
        return self._backup_op
