"""Clips in a worker: a video's frames extracted once, and `samic track` for the open clip.

Runs samic_core.video's open_clip / track_clip (what `samic track` runs) on its own thread,
with progress and cancel; the engine for tracking is built from the same EngineConfig as the
click engine (SAM 2.1's video predictor, or SAMIC frame to frame on SAM 1).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, Signal

from sambox.model.decoding import EngineConfig
from sambox.model.single_job import SingleJob
from sambox.services.errors import describe_error
from sambox.services.runtime import ensure_runtime
from sambox.services.workers import JobContext, Worker


class ClipService(QObject):
    """One clip job at a time: "extract" (result: the frames folder) or "track" (TrackReport)."""

    progress = Signal(int, int, str)  # done, total, frame name
    finished = Signal(str, object)  # kind, result
    failed = Signal(str)  # plain words naming the file
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
        return "A clip is still being extracted or tracked." if self.busy else None

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel the running job and wait for it (on window close)."""
        self.cancel()
        self.pool.waitForDone(timeout_ms)

    def start_extract(self, video: Path) -> None:
        def job(ctx: JobContext) -> Path:
            from samic_core.video.clip import extract_frames

            return extract_frames(video, lambda d, t, n: ctx.progress((d, t, n)),
                                  lambda: ctx.cancelled)  # fmt: skip

        self._run("extract", job, f"reading the frames of {video.name}")

    def start_track(
        self, folder: Path, config: EngineConfig, samic_model: Path | None, restart: bool
    ) -> None:
        def job(ctx: JobContext) -> object:
            ensure_runtime()
            from samic_core.video.clip import open_clip
            from samic_core.video.track import track_clip
            from samic_core.video.trackers import build_tracker

            tracker = build_tracker(config, samic_model)
            return track_clip(open_clip(folder), tracker,
                              progress=lambda d, t, n: ctx.progress((d, t, n)),
                              should_stop=lambda: ctx.cancelled, restart=restart)  # fmt: skip

        self._run("track", job, f"tracking the objects of {folder.name}")

    def cancel(self) -> None:
        self._job.cancel()

    def wait(self, timeout_ms: int = 30_000) -> None:
        self.pool.waitForDone(timeout_ms)

    def _run(self, kind: str, job: Callable[[JobContext], object], what: str) -> None:
        if self._job.running:
            raise RuntimeError("a clip job is already running")
        worker = Worker(job, kind)
        worker.signals.progress.connect(lambda v: self.progress.emit(int(v[0]), int(v[1]), v[2]))
        worker.signals.result.connect(lambda r: self._result(kind, r))
        worker.signals.error.connect(lambda e: self.failed.emit(describe_error(e, what)))
        worker.signals.cancelled.connect(self.cancelled.emit)
        worker.signals.finished.connect(self._job.end)  # always last: busy until then
        self._job.begin(worker)
        self.pool.start(worker)

    def _result(self, kind: str, result: object) -> None:
        if getattr(result, "cancelled", False):
            self.cancelled.emit()
        else:
            self.finished.emit(kind, result)
