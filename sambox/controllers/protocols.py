"""What controllers and widgets may use of each service: one Protocol per service.

Controllers and widgets never import sambox.services (an import-linter contract); they are
typed against these Protocols, which the services satisfy structurally, and the composition
root (sambox/app.py) hands them the real services. Tests may hand them stand-ins. Signals are
typed `SignalInstance` (what a Qt Signal is on an instance); the comment says what it carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import SignalInstance

from sambox.model.decoding import DecodeRequest, EngineConfig
from sambox.model.samic_info import AutoAnnotateRequest, ModelInfo, TrainOptions, UnreadableModel
from samic_core.config import DEFAULT_PEAK_CHOICE


class BackgroundService(Protocol):
    """A service with background jobs: says what is running and stops on window close."""

    @property
    def busy_text(self) -> str | None:
        """What is running, in plain words for the close question; None when idle (or when a
        close may stop it without asking)."""
        ...

    def shutdown(self) -> None:
        """Cancel running jobs and wait for them (on window close)."""
        ...


class SegmentationService(Protocol):
    """What the editor needs from the SAM service (a stand-in may be used in widget tests)."""

    decode_ready: SignalInstance  # DecodeResult
    decode_failed: SignalInstance  # DecodeRequest, message

    @property
    def ready(self) -> bool: ...

    def new_request_id(self) -> int: ...

    def request_decode(self, request: DecodeRequest) -> None: ...


class SamServiceLike(SegmentationService, BackgroundService, Protocol):
    """The SAM engine service: loading, embeddings of a folder, decodes (SamService)."""

    engine_loading: SignalInstance  # checkpoint path
    engine_loading_step: SignalInstance  # plain words
    engine_ready: SignalInstance  # model id
    engine_failed: SignalInstance  # message
    embedding_ready: SignalInstance  # image path, was cached
    embedding_progress: SignalInstance  # image path, blocks done, blocks
    embedding_failed: SignalInstance  # image path, message
    folder_progress: SignalInstance  # done, total, image name
    folder_finished: SignalInstance  # done, total

    @property
    def model_id(self) -> str | None: ...

    @property
    def device(self) -> str | None: ...

    @property
    def screen_image(self) -> Path | None: ...

    @property
    def folder_busy(self) -> bool: ...

    def load_engine(self, config: EngineConfig) -> None: ...

    def show_image(self, path: Path, rgb: np.ndarray) -> None: ...

    def request_embedding(self, path: Path) -> None: ...

    def is_embedded(self, path: Path) -> bool: ...

    def embed_folder(self, paths: Iterable[Path], first: Path | None = None) -> None: ...

    def prioritize(self, path: Path) -> None: ...

    def cancel_folder(self) -> None: ...


class SamicServiceLike(BackgroundService, Protocol):
    """SAMIC training, suggestions and auto-annotation (SamicService)."""

    counts_ready: SignalInstance  # folder Path, {class: (images, objects)}
    left_out_ready: SignalInstance  # folder Path, {class: objects without a point}
    counts_failed: SignalInstance  # message
    train_progress: SignalInstance  # samic_core TrainProgress
    train_finished: SignalInstance  # TrainOutcome
    train_failed: SignalInstance  # message
    suggest_ready: SignalInstance  # image Path, label, list[Suggestion]
    suggest_progress: SignalInstance  # tiles done, tiles
    suggest_failed: SignalInstance  # message
    annotate_progress: SignalInstance  # done, total, image name
    annotate_finished: SignalInstance  # AutoAnnotateOutcome
    annotate_failed: SignalInstance  # message
    models_changed: SignalInstance

    min_images_per_class: int

    @property
    def training(self) -> bool: ...

    @property
    def annotating(self) -> bool: ...

    def list_models(
        self, annotations_dir: Path
    ) -> tuple[list[ModelInfo], list[UnreadableModel]]: ...

    def images_in(self, folder: Path) -> list[Path]: ...

    def request_counts(self, folder: Path) -> None: ...

    def start_training(
        self, options: TrainOptions, annotations_dir: Path | None = None
    ) -> Path: ...

    def cancel_training(self) -> None: ...

    def reference_candidates(self, folder: Path, label: str) -> list[str]: ...

    def suggest(
        self,
        model: Path,
        image_path: Path,
        label: str,
        reference_folder: Path,
        references: tuple[str, ...] | None = None,
        device: str = "auto",
        one_prompt: bool = False,
        peaks: str = DEFAULT_PEAK_CHOICE,
    ) -> None: ...

    def auto_annotate(self, request: AutoAnnotateRequest) -> None: ...

    def cancel_auto_annotate(self) -> None: ...


class TransferJobs(Protocol):
    """Export and import jobs as the dialogs see them (TransferService, TransferController)."""

    progress: SignalInstance  # done, total, image name
    finished: SignalInstance  # ExportReport | ImportReport
    failed: SignalInstance  # message
    cancelled: SignalInstance

    @property
    def busy(self) -> bool: ...

    def start_export(
        self, folder: Path, fmt: str, out: Path, include_unreviewed: bool, overwrite: bool
    ) -> None: ...

    def start_import(self, src: Path, fmt: str, folder: Path, overwrite: bool) -> None: ...

    def cancel(self) -> None: ...


class TransferServiceLike(TransferJobs, BackgroundService, Protocol):
    """Export and import of a folder's annotations, stopped on close (TransferService)."""


class ClipServiceLike(BackgroundService, Protocol):
    """A video's frames extracted, and a clip's objects tracked, in a worker (ClipService)."""

    progress: SignalInstance  # done, total, frame name
    finished: SignalInstance  # kind ("extract" | "track"), result
    failed: SignalInstance  # message
    cancelled: SignalInstance

    @property
    def busy(self) -> bool: ...

    def start_extract(self, video: Path) -> None: ...

    def start_track(
        self, folder: Path, config: EngineConfig, samic_model: Path | None, restart: bool
    ) -> None: ...

    def cancel(self) -> None: ...


class DownloaderLike(BackgroundService, Protocol):
    """The official SAM checkpoint download (CheckpointDownloader)."""

    progress: SignalInstance  # bytes done, total (0 = unknown)
    finished: SignalInstance  # checkpoint path
    failed: SignalInstance  # message
    cancelled: SignalInstance

    def start(
        self, model_type: str, dest_dir: Path | None = None, url: str | None = None
    ) -> None: ...

    def cancel(self) -> None: ...
