"""Clips in the app: open a video (its frames extracted once) and track the annotated objects
through the open clip, through the clip service.

Before tracking, the edits on screen are saved (the frames on disk are the prompts); after it,
the folder is reopened on the same frame so the tracked objects and statuses show. The engine
is the one the settings describe (a SAM 2.1 checkpoint tracks with its video predictor; SAM 1
needs a SAMIC model).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from sambox.controllers.protocols import ClipServiceLike
from sambox.controllers.session import Session
from sambox.model.decoding import EngineConfig
from sambox.model.single_job import SingleJob
from samic_core.sam.registry import family_of


class ClipController(QObject):
    progress = Signal(int, int, str)  # done, total, frame name
    finished = Signal(str, object)  # kind, result (after the folder was reopened)
    failed = Signal(str)
    cancelled = Signal()
    message = Signal(str)  # why a job cannot start now, in plain words

    def __init__(self, session: Session, clips: ClipServiceLike, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.project, self.service = session, session.project, clips
        self._job: SingleJob[str] = SingleJob(cancel=lambda _: self.service.cancel())
        clips.progress.connect(self._job.relay(self.progress.emit))
        clips.failed.connect(self._job.ending(lambda _kind, text: self.failed.emit(text)))
        clips.cancelled.connect(self._job.ending(self._cancelled))
        clips.finished.connect(self._job.ending(self._finished))

    @property
    def busy(self) -> bool:
        return self.service.busy

    def open_video(self, video: Path) -> None:
        """Extract `video`'s frames (once; a second time finds them) and open them."""
        if self.service.busy:
            self.message.emit("A clip is still being extracted or tracked.")
            return
        self.service.start_extract(video)
        self._job.begin("extract")

    def prepare_track(self) -> bool:
        """Whether tracking may start: a folder is open, nothing else runs, edits are saved."""
        if self.project.folder is None:
            self.message.emit("Open a clip (a folder of frames or a video) first.")
            return False
        if self.service.busy:
            self.message.emit("A clip is still being extracted or tracked.")
            return False
        return self.session.flush()

    def engine_is_sam2(self) -> bool | None:
        """Whether tracking will use SAM 2.1: the loaded engine says, else the settings' model
        type; None while neither knows (an `auto` checkpoint not loaded yet)."""
        model_id = self.session.service.model_id
        if model_id:
            return model_id.startswith("sam2.1")
        family = family_of(self.session.settings.model_type)
        return None if family is None else family == "sam2"

    def engine_config(self) -> EngineConfig | None:
        """The settings' engine (None: no checkpoint set up, the banner says so)."""
        ckpt = self.session.checkpoint()
        if ckpt is None:
            return None
        s = self.session.settings
        return EngineConfig(
            ckpt, s.model_type, s.device, s.cache_dir, s.cache_dtype, s.cache_max_gb
        )

    def start_track(self, samic_model: Path | None, restart: bool) -> None:
        folder, config = self.project.folder, self.engine_config()
        if folder is None or config is None:
            self.message.emit("Set up a SAM checkpoint first (File > Settings).")
            return
        self.service.start_track(folder, config, samic_model, restart)
        self._job.begin("track")

    def cancel(self) -> None:
        self._job.cancel()

    def _finished(self, kind: str, result_kind: str, result: object) -> None:
        if kind == "extract" and isinstance(result, Path):
            self.session.open_folder(result)
        elif kind == "track":
            self._reopen()
        self.finished.emit(result_kind, result)

    def _cancelled(self, kind: str) -> None:
        if kind == "track":
            self._reopen()  # the frames written before the cancel
        self.cancelled.emit()

    def _reopen(self) -> None:
        """Show the tracked objects and statuses: the folder reopened on the same frame."""
        if self.project.folder is None:
            return
        current = self.session.current
        self.session.open_folder(self.project.folder)
        if current is not None:
            self.session.open_image(current)
