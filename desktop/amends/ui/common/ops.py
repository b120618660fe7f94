"""Running core work off the UI thread, with a success *and* a failure path.

Modelled on Anki's ``QueryOp``: the job gets its own database connection
(SQLite connections stay on the thread that made them), reports progress
through a callback, checks a cancel flag, and its result or error comes back
on the UI thread as a signal. A worker without an error path would leave a
dialog waiting forever; here every exception arrives at ``failure``, and a
caller that gives none gets the default: the error is shown to the person
(over ``parent``'s window) and logged as a warning. Nothing in the UI talks
to sqlite3: Cancel goes through :meth:`Database.interrupt`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QApplication, QWidget

from amends.core.errors import Cancelled
from amends.core.store import Database
from amends.ui.common.messages import show_error

log = logging.getLogger("amends.ops")


@dataclass
class Job:
    """What a worker function receives: its own connection, a progress
    reporter and a cancel check (TagStudio-style progress, no Qt in core)."""

    db: Database
    report: Callable[[int, int], None]
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class _Signals(QObject):
    progress = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, db: Database, work: Callable[[Job], Any], signals: _Signals,
                 cancel_event: threading.Event) -> None:
        super().__init__()
        self._db = db
        self._work = work
        self._signals = signals
        self._cancel = cancel_event
        self.connection: Database | None = None

    def run(self) -> None:  # runs on a pool thread
        own: Database | None = None
        try:
            own = self._db.reopen()
            self.connection = own
            if self._cancel.is_set():
                raise Cancelled()
            job = Job(own, lambda done, total: self._signals.progress.emit(done, total), self._cancel)
            result = self._work(job)
        except BaseException as error:  # every failure goes back to the UI thread
            if self._cancel.is_set() and _interrupted(error):
                error = Cancelled()  # we interrupted the query ourselves
            log.debug("operation failed", exc_info=True)  # its handler (or the default) reports it
            self._deliver(self._signals.failed, error)
        else:
            self._deliver(self._signals.succeeded, result)
        finally:
            self.connection = None
            if own is not None:
                own.close()


    @staticmethod
    def _deliver(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window that asked is gone (closed while we worked): nobody to tell
            log.debug("result of a finished operation dropped: its receiver was deleted")


class Operation(QObject):
    """A handle on a running job: connect to its signals, or cancel it."""

    progress = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self.done = False
        self.runnable: _Runnable | None = None

    def cancel(self) -> None:
        """Ask the job to stop, and interrupt the query it is running now
        (:meth:`Database.interrupt` is safe from another thread)."""
        self.cancel_event.set()
        connection = getattr(self.runnable, "connection", None)
        if connection is not None and not self.done:
            connection.interrupt()


_running: set[Operation] = set()


def _interrupted(error: BaseException | None) -> bool:
    """The statement was stopped by :meth:`Database.interrupt` ("interrupted"),
    however the core wrapped it."""
    while error is not None:
        if "interrupt" in str(error).lower():
            return True
        error = error.__cause__ or error.__context__
    return False


def _widget(parent: QObject | None):
    """The widget to show an error over: ``parent`` or its nearest widget ancestor."""
    while parent is not None and not isinstance(parent, QWidget):
        parent = parent.parent()
    return parent or QApplication.activeWindow()


def show_and_log(parent: QObject | None) -> Callable[[BaseException], None]:
    """The default failure path: tell the person, and log it as a warning.
    A cancelled job was asked to stop by the person: only logged."""
    def failed(error: BaseException) -> None:
        if isinstance(error, Cancelled):
            log.info("operation cancelled: %s", error)
            return
        log.warning("operation failed: %s", error, exc_info=(type(error), error, error.__traceback__))
        show_error(_widget(parent), error)
    return failed


def run(db: Database, work: Callable[[Job], Any], *, success: Callable[[Any], None] | None = None,
        failure: Callable[[BaseException], None] | None = None, parent: QObject | None = None,
        pool: QThreadPool | None = None) -> Operation:
    """Run ``work(job)`` on the thread pool; call ``success(result)`` or
    ``failure(error)`` on the UI thread afterwards. Without ``failure`` the
    error is shown and logged (:func:`show_and_log`): it cannot be lost."""
    if failure is None:
        failure = show_and_log(parent)
    op = Operation(parent)
    signals = _Signals()
    signals.progress.connect(op.progress)

    def finisher(callback: Callable[[Any], None] | None, signal) -> Callable[[Any], None]:
        def finish(value: Any) -> None:
            op.done = True
            _running.discard(op)
            if callback is not None:
                callback(value)
            signal.emit(value)
            op.finished.emit()
        return finish

    signals.succeeded.connect(finisher(success, op.succeeded))
    signals.failed.connect(finisher(failure, op.failed))
    op._signals = signals  # keep the QObject alive as long as the handle
    _running.add(op)
    runnable = _Runnable(db, work, signals, op.cancel_event)
    runnable.setAutoDelete(False)  # the handle keeps it (for cancel)
    op.runnable = runnable
    (pool or QThreadPool.globalInstance()).start(runnable)
    return op


def stop_all(timeout_ms: int = 10_000) -> bool:
    """Cancel every running job and wait for the workers to finish (before
    the window or the database goes away). True when all stopped."""
    for op in list(_running):
        op.cancel()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
