"""Export and import of a folder's annotations in a worker, with progress and cancel.

Runs samic_core.export's export_folder / import_folder (the same functions as
`samic export` / `samic import`) on its own thread; not the model thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThreadPool, Signal

from sambox.model.single_job import SingleJob
from sambox.services.errors import describe_error
from sambox.services.workers import JobContext, Worker

if TYPE_CHECKING:  # imported by the jobs themselves, on the worker thread
    from samic_core.export.common import ExportReport, ImportReport


class TransferService(QObject):
    """One export or import at a time; reports are samic_core.export's report dataclasses."""

    progress = Signal(int, int, str)  # done, total, image name
    finished = Signal(object)  # ExportReport | ImportReport
    failed = Signal(str)  # plain-words message naming the file
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._job: SingleJob[Worker] = SingleJob(cancel=Worker.cancel)

    @property
    def busy(self) -> bool:
        return self._job.running

    @property
    def busy_text(self) -> str | None:
        return "An export or import is still running." if self.busy else None

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel the running export or import and wait for it (on window close)."""
        self.cancel()
        self.pool.waitForDone(timeout_ms)

    def start_export(
        self, folder: Path, fmt: str, out: Path, include_unreviewed: bool, overwrite: bool
    ) -> None:
        def job(ctx: JobContext) -> ExportReport:
            from samic_core.export import export_folder

            return export_folder(
                folder,
                fmt,
                out,
                include_unreviewed=include_unreviewed,
                overwrite=overwrite,
                progress=lambda d, t, n: ctx.progress((d, t, n)),
                should_stop=lambda: ctx.cancelled,
            )

        self._run(job, f"export {fmt}", f"exporting {folder.name} as {fmt}")

    def start_import(self, src: Path, fmt: str, folder: Path, overwrite: bool) -> None:
        def job(ctx: JobContext) -> ImportReport:
            from samic_core.export import import_folder

            return import_folder(
                src,
                fmt,
                folder,
                overwrite=overwrite,
                progress=lambda d, t, n: ctx.progress((d, t, n)),
                should_stop=lambda: ctx.cancelled,
            )

        self._run(job, f"import {fmt}", f"importing {src.name}")

    def cancel(self) -> None:
        self._job.cancel()

    def wait(self, timeout_ms: int = 30_000) -> None:
        self.pool.waitForDone(timeout_ms)

    def _run(
        self, job: Callable[[JobContext], ExportReport | ImportReport], name: str, what: str
    ) -> None:
        if self._job.running:
            raise RuntimeError("an export or import is already running")
        worker = Worker(job, name)
        worker.signals.progress.connect(lambda v: self.progress.emit(int(v[0]), int(v[1]), v[2]))
        worker.signals.result.connect(self._result)
        worker.signals.error.connect(lambda e: self.failed.emit(describe_error(e, what)))
        worker.signals.cancelled.connect(self.cancelled.emit)
        worker.signals.finished.connect(self._job.end)  # always last: busy until then
        self._job.begin(worker)
        self.pool.start(worker)

    def _result(self, report: ExportReport | ImportReport) -> None:
        if report.cancelled:
            self.cancelled.emit()
        else:
            self.finished.emit(report)
