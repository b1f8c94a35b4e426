"""Download an official SAM checkpoint in a worker, with progress and cancel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from sambox.model.single_job import SingleJob
from sambox.services.errors import in_app_words
from sambox.services.runtime import ensure_runtime
from sambox.services.workers import JobContext, Worker


class CheckpointDownloader(QObject):
    """One download at a time on its own thread (network, not the model thread)."""

    progress = Signal(int, int)  # bytes done, total (0 = unknown)
    finished = Signal(str)  # path of the checkpoint
    failed = Signal(str)  # plain-words message
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
    def busy_text(self) -> None:
        return None  # closing simply stops a download; the next start fetches it again

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel a running download and wait for its thread (on window close); the window is
        going away, so nothing is signalled (no "cancelled" restarts the engine)."""
        self.blockSignals(True)
        self.cancel()
        self.pool.waitForDone(timeout_ms)

    def start(self, model_type: str, dest_dir: Path | None = None, url: str | None = None) -> None:
        if self._job.running:
            return

        def job(ctx: JobContext) -> str:
            ensure_runtime()  # the SAM 2.1 file check loads torch: one thread imports it
            from samic_core.sam.fetch import fetch_checkpoint

            def report(done: int, total: int, _name: str) -> None:
                ctx.progress((done, total))  # raises Cancelled once the job is cancelled

            return str(fetch_checkpoint(model_type, dest_dir, progress=report, url=url))

        worker = Worker(job, f"download {model_type}")
        worker.signals.progress.connect(lambda v: self.progress.emit(int(v[0]), int(v[1])))
        worker.signals.result.connect(self.finished.emit)
        worker.signals.error.connect(
            lambda e: self.failed.emit(in_app_words(f"The download failed: {e}"))
        )
        worker.signals.cancelled.connect(self.cancelled.emit)
        worker.signals.finished.connect(self._job.end)  # always last: busy until then
        self._job.begin(worker)
        self.pool.start(worker)

    def cancel(self) -> None:
        self._job.cancel()
