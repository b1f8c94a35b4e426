"""One worker pattern for every slow job: Worker(QRunnable) + WorkerSignals(QObject).

A job is `fn(ctx) -> result`; it reports progress with `ctx.progress(value)` and sees a cancel
through `ctx.check()` (which `ctx.progress` calls too): both raise `Cancelled`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import isValid

from samic_core.jobs import Cancelled

__all__ = ["Cancelled", "JobContext", "JobRunner", "Worker", "WorkerSignals"]

log = logging.getLogger(__name__)


class WorkerSignals(QObject):
    """Signals of one job; emitted from the pool thread, delivered queued to the GUI thread."""

    progress = Signal(object)
    result = Signal(object)
    error = Signal(object)  # the exception
    cancelled = Signal()
    finished = Signal()  # always last


class JobContext:
    """What a running job may use: report progress, see whether it was cancelled."""

    def __init__(self, signals: WorkerSignals, cancel: threading.Event) -> None:
        self._signals = signals
        self._cancel = cancel

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, value: Any) -> None:
        self.check()
        self._signals.progress.emit(value)


class Worker(QRunnable):
    """Runs `fn(ctx)` on a QThreadPool; connect to `.signals` before starting it."""

    def __init__(self, fn: Callable[[JobContext], Any], name: str = "job") -> None:
        super().__init__()
        self.fn = fn
        self.name = name
        self.signals = WorkerSignals()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        ctx = JobContext(self.signals, self._cancel)
        try:
            if self._cancel.is_set():
                raise Cancelled()
            out = self.fn(ctx)
        except Cancelled:
            self.signals.cancelled.emit()
        except BaseException as e:  # reported to the GUI, never lost in a thread
            log.debug("%s failed", self.name, exc_info=True)
            self.signals.error.emit(e)
        else:
            self.signals.result.emit(out)
        finally:
            self.signals.finished.emit()


class JobRunner:
    """Starts a service's workers: keeps each one referenced until it has finished (a pool
    does not own a Python runnable's signals), and drops the results and errors that land after
    the owning service has been deleted (a job may outlive the window)."""

    def __init__(self, owner: QObject) -> None:
        self._owner = owner
        self._running: set[Worker] = set()

    def start(
        self,
        worker: Worker,
        pool: QThreadPool,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        priority: int = 0,
    ) -> None:
        if on_result is not None:
            worker.signals.result.connect(self.alive(on_result))
        if on_error is not None:
            worker.signals.error.connect(self.alive(on_error))
        self._running.add(worker)
        worker.signals.finished.connect(lambda: self._running.discard(worker))
        pool.start(worker, priority)

    def alive(self, fn: Callable[..., None]) -> Callable[..., None]:
        """`fn`, skipped once the owner is deleted."""

        def call(*args: Any) -> None:
            if isValid(self._owner):
                fn(*args)

        return call
