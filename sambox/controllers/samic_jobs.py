"""SAMIC's two long jobs, training and auto-annotation, between their dialogs and the service.

Each controller owns its job: it starts the service's run, knows whether a run of its own is in
progress, cancels it, and passes on only that run's progress and result. The dialogs show those
values and send the user's requests here, as the export/import dialogs do through
TransferController. A trained model is announced with `model_trained`; a finished
auto-annotation batch is shown in the open folder through the ReviewController (statuses and the
open image re-read) before `finished` is emitted, so the batch lands whether or not its dialog
is still on screen.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from sambox.controllers.protocols import SamicServiceLike
from sambox.controllers.review import ReviewController
from sambox.model.samic_info import (
    AutoAnnotateOutcome,
    AutoAnnotateRequest,
    TrainOptions,
    TrainOutcome,
    check_model_name,
    model_path,
    training_problems,
)
from sambox.model.single_job import SingleJob


class TrainController(QObject):
    """Training SAMIC on a folder: counts of the training data, start, stop, progress, result."""

    counts_ready = Signal(object, object, object)  # folder, {class: (images, objects)}, left out
    counts_failed = Signal(str)
    started = Signal(object)  # TrainOptions of the run that began
    progress = Signal(object)  # samic_core TrainProgress of this controller's run
    finished = Signal(object)  # TrainOutcome (also after a stop)
    failed = Signal(str)
    model_trained = Signal(object)  # ModelInfo of the saved (best) model

    def __init__(self, samic: SamicServiceLike, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = samic
        # the run this controller started, known by its options
        self._run: SingleJob[TrainOptions] = SingleJob(
            cancel=lambda _: self.service.cancel_training()
        )
        self._left_out: dict[Path, dict[str, int]] = {}
        samic.left_out_ready.connect(self._left_out_ready)
        samic.counts_ready.connect(self._counts_ready)
        samic.counts_failed.connect(self.counts_failed)
        samic.train_progress.connect(self._run.relay(self.progress.emit))
        samic.train_finished.connect(self._run.ending(self._finished))
        samic.train_failed.connect(self._run.ending(self._failed))

    @property
    def running(self) -> bool:
        return self._run.running

    @property
    def options(self) -> TrainOptions | None:
        """The options of the run in progress (None when none is)."""
        return self._run.job

    @property
    def min_images_per_class(self) -> int:
        return self.service.min_images_per_class

    # ---- training data -----------------------------------------------------------------------
    def request_counts(self, folder: Path) -> None:
        """Count the folder's training data; the answer comes as `counts_ready`."""
        self.service.request_counts(Path(folder))

    def _left_out_ready(self, folder: Path, left_out: dict[str, int]) -> None:
        self._left_out[Path(folder)] = dict(left_out)

    def _counts_ready(self, folder: Path, counts: dict[str, tuple[int, int]]) -> None:
        left_out = self._left_out.pop(Path(folder), {})
        self.counts_ready.emit(Path(folder), dict(counts), left_out)

    def problems(
        self,
        annotations_dir: Path,
        counts: dict[str, tuple[int, int]],
        classes: list[str],
        name: str,
    ) -> list[str]:
        """Why a run with these classes and this model name cannot start (empty: it can)."""
        problems = training_problems(counts, classes, self.min_images_per_class)
        name_problem = check_model_name(name)
        if name_problem is None and model_path(annotations_dir, name).exists():
            name_problem = f"A model named {name.strip()!r} exists; choose another name."
        return problems + ([name_problem] if name_problem else [])

    # ---- the run -----------------------------------------------------------------------------
    def start(self, options: TrainOptions, annotations_dir: Path | None = None) -> bool:
        """Start training in the background; False when a run is already in progress."""
        if self._run.running or self.service.training:
            return False
        self.service.start_training(options, annotations_dir)
        self._run.begin(options)
        self.started.emit(options)
        return True

    def cancel(self) -> None:
        """Stop after the current step; the best epoch so far stays saved."""
        self._run.cancel()

    def _finished(self, _options: TrainOptions, outcome: TrainOutcome) -> None:
        if outcome.model is not None:
            self.model_trained.emit(outcome.model)
        self.finished.emit(outcome)

    def _failed(self, _options: TrainOptions, text: str) -> None:
        self.failed.emit(text)


class AutoAnnotateController(QObject):
    """Auto-annotating images with a trained model: references, start, cancel, progress, result."""

    started = Signal(object)  # AutoAnnotateRequest
    progress = Signal(int, int, str)  # done, total, image name (of this controller's batch)
    finished = Signal(object, object)  # AutoAnnotateRequest, AutoAnnotateOutcome
    failed = Signal(str)

    def __init__(
        self,
        samic: SamicServiceLike,
        review: ReviewController | None = None,
        parent: QObject | None = None,
    ) -> None:
        """review: shows a finished batch in the open folder (None: nothing is open)."""
        super().__init__(parent)
        self.service = samic
        self.review = review
        self._batch: SingleJob[AutoAnnotateRequest] = SingleJob(
            cancel=lambda _: self.service.cancel_auto_annotate()
        )
        samic.annotate_progress.connect(self._batch.relay(self.progress.emit))
        samic.annotate_finished.connect(self._batch.ending(self._finished))
        samic.annotate_failed.connect(self._batch.ending(self._failed))

    @property
    def running(self) -> bool:
        return self._batch.running

    @property
    def request(self) -> AutoAnnotateRequest | None:
        """The batch in progress (None when none is)."""
        return self._batch.job

    def reference_candidates(self, folder: Path, label: str) -> list[str]:
        """Images of `folder` usable as references for `label`, best first."""
        return self.service.reference_candidates(Path(folder), label) if label else []

    def images_in(self, folder: Path) -> list[Path]:
        """The images of another folder (empty when it is not a folder)."""
        folder = Path(folder)
        return self.service.images_in(folder) if folder.is_dir() else []

    def start(self, request: AutoAnnotateRequest) -> bool:
        """Start the batch in the background; False when one is already in progress."""
        if self._batch.running or self.service.annotating:
            return False
        self._batch.begin(request)
        self.started.emit(request)
        self.service.auto_annotate(request)
        return True

    def cancel(self) -> None:
        """Stop after the image in progress; the files written so far stay."""
        self._batch.cancel()

    def _finished(self, request: AutoAnnotateRequest, outcome: AutoAnnotateOutcome) -> None:
        if self.review is not None:
            self.review.batch_written(request, outcome)
        self.finished.emit(request, outcome)

    def _failed(self, _request: AutoAnnotateRequest, text: str) -> None:
        self.failed.emit(text)
