"""SamicService: the app's door to SAMIC (train, list models, suggest prompts, auto-annotate).

Values in, values out: the widgets pass TrainOptions / AutoAnnotateRequest and receive plain
dataclasses through signals. Training runs on its own one-thread pool so annotating (and SAM)
stays usable meanwhile; prediction jobs share a second one-thread pool, which serialises use of
the loaded predictor. The SAM engine is thread-safe, so suggestions and batches call it from
there while the SAM service keeps decoding clicks.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from sambox.model.samic_info import (
    AutoAnnotateOutcome,
    AutoAnnotateRequest,
    ModelInfo,
    Suggestion,
    TrainOptions,
    TrainOutcome,
    UnreadableModel,
    model_files,
    model_path,
)
from sambox.services.annotate_jobs import annotate_all_classes, outcome_of, peak_rule
from sambox.services.errors import describe_error, in_app_words
from sambox.services.runtime import ensure_runtime
from sambox.services.workers import Cancelled, JobContext, JobRunner, Worker
from samic_core.annotation import AnnotationStore
from samic_core.config import DEFAULT_PEAK_CHOICE
from samic_core.errors import FileProblem
from samic_core.train.episodes import (
    MIN_IMAGES_PER_CLASS,
    count_left_out,
    count_training_data,
)

if TYPE_CHECKING:  # torch behind these: the jobs import them on the worker threads
    from samic_core.predict.predictor import SamicPredictor
    from samic_core.sam.click_engine import ClickEngine
    from samic_core.train.config import TrainProgress

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # at most ~10 training updates a second reach the UI
ALL_REFS = 1_000_000


def _emit(ctx: JobContext, value: Any) -> None:
    """Report progress unless the job was cancelled (the core then stops by itself)."""
    if ctx.cancelled:
        return
    with contextlib.suppress(Cancelled):
        ctx.progress(value)


class SamicService(QObject):
    counts_ready = Signal(object, object)  # folder Path, {class: (images, objects)}
    left_out_ready = Signal(object, object)  # folder Path, {class: objects without a point}
    counts_failed = Signal(str)
    train_progress = Signal(object)  # samic_core TrainProgress (epoch, losses, eta_s, ...)
    train_finished = Signal(object)  # TrainOutcome (also after cancel)
    train_failed = Signal(str)
    suggest_ready = Signal(object, str, object)  # image Path, label, list[Suggestion]
    suggest_failed = Signal(str)
    suggest_progress = Signal(int, int)  # tiles done, tiles (a big image, a model of tiles)
    annotate_progress = Signal(int, int, str)  # done, total, image name
    annotate_finished = Signal(object)  # AutoAnnotateOutcome
    annotate_failed = Signal(str)
    models_changed = Signal()  # a model file was written

    min_images_per_class = MIN_IMAGES_PER_CLASS

    def __init__(
        self, engine: Callable[[], ClickEngine | None], parent: QObject | None = None
    ) -> None:
        """engine: returns the loaded ClickEngine, or None while SAM is not ready."""
        super().__init__(parent)
        self._engine = engine
        self.train_pool = QThreadPool(self)
        self.train_pool.setMaxThreadCount(1)
        self.predict_pool = QThreadPool(self)
        self.predict_pool.setMaxThreadCount(1)
        self.io_pool = QThreadPool(self)  # reading annotations, beside both of the above
        self.io_pool.setMaxThreadCount(1)
        self._jobs = JobRunner(self)
        self._train_job: Worker | None = None
        self._annotate_job: Worker | None = None
        self._predictor: tuple[tuple[Path, int, str], SamicPredictor] | None = None  # by key
        self._refs_key: tuple[object, ...] | None = None

    # ---- models ------------------------------------------------------------------------------
    def list_models(self, annotations_dir: Path) -> tuple[list[ModelInfo], list[UnreadableModel]]:
        """The folder's models, newest first, and the files that cannot be read, with why."""
        infos, unreadable = [], []
        for path in model_files(annotations_dir):
            try:
                infos.append(ModelInfo.read(path))
            except FileProblem as e:  # the entry names the file; the problem says what is wrong
                unreadable.append(UnreadableModel(path, in_app_words(e.problem)))
            except Exception as e:  # a damaged file must not hide the others
                unreadable.append(UnreadableModel(path, describe_error(e, f"reading {path.name}")))
        return infos, unreadable

    # ---- folders -----------------------------------------------------------------------------
    @staticmethod
    def images_in(folder: Path) -> list[Path]:
        """The images of `folder`, as the annotation store lists them."""
        return AnnotationStore(folder).images()

    # ---- training data -----------------------------------------------------------------------
    def request_counts(self, folder: Path) -> None:
        """Count annotated images and objects per class (hashes images, so in a worker)."""
        folder = Path(folder)

        def job(ctx: JobContext) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
            return count_training_data(folder), count_left_out(folder)

        def done(out: tuple[dict[str, tuple[int, int]], dict[str, int]]) -> None:
            self.left_out_ready.emit(folder, out[1])
            self.counts_ready.emit(folder, out[0])

        self._jobs.start(
            Worker(job, "count training data"),
            self.io_pool,
            done,
            lambda e: self.counts_failed.emit(describe_error(e, "reading the annotations")),
        )

    # ---- training ----------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self._train_job is not None

    def start_training(self, options: TrainOptions, annotations_dir: Path | None = None) -> Path:
        """Train in the background; returns the model file the run will write."""
        if self._train_job is not None:
            raise RuntimeError("a training run is already in progress")
        folder = Path(options.folder)
        out = model_path(annotations_dir or AnnotationStore(folder).dir, options.name)

        def job(ctx: JobContext) -> TrainOutcome:
            ensure_runtime()
            from samic_core.train.trainer import TrainConfig, train

            config = TrainConfig(
                folder=folder,
                out=out,
                epochs=options.epochs,
                batch_size=options.batch_size,
                schedule=options.schedule,
                patience=options.patience,
                time_limit=options.time_limit,
                image_size=options.image_size,
                device=options.device,
                backbone_weights=options.backbone_weights,
                classes=list(options.classes) or None,
                annotations=annotations_dir,
                pixel_cue=options.pixel_cue,
            )
            last = [0.0]

            def progress(p: TrainProgress) -> None:
                now = time.monotonic()
                if p.step == p.steps or now - last[0] >= PROGRESS_INTERVAL_S:
                    last[0] = now
                    _emit(ctx, p)

            result = train(config, progress=progress, should_stop=lambda: ctx.cancelled)
            history = tuple((h["epoch"], h["train_loss"], h["val_loss"]) for h in result.history)
            best = ModelInfo.read(result.best_path) if result.best_path is not None else None
            return TrainOutcome(best, result.cancelled, result.epochs_run, history)

        def finished(outcome: TrainOutcome) -> None:
            self._train_job = None
            if outcome.model is not None:
                self.models_changed.emit()
            self.train_finished.emit(outcome)

        def cancelled() -> None:
            self._train_job = None
            self.train_finished.emit(TrainOutcome(None, True, 0))

        def failed(e: BaseException) -> None:
            self._train_job = None
            if out.is_file():
                self.models_changed.emit()
            self.train_failed.emit(describe_error(e, "training SAMIC"))

        worker = Worker(job, f"train {options.name}")
        worker.signals.progress.connect(self._jobs.alive(self.train_progress.emit))
        worker.signals.cancelled.connect(self._jobs.alive(cancelled))
        self._train_job = worker
        self._jobs.start(worker, self.train_pool, finished, failed)
        return out

    def cancel_training(self) -> None:
        """Stop after the current step; the best epoch so far stays saved."""
        if self._train_job is not None:
            self._train_job.cancel()

    # ---- prediction --------------------------------------------------------------------------
    def _sam(self) -> ClickEngine:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("no SAM model is loaded yet; set one up in Settings first")
        return engine

    def _load_predictor(self, model: Path, device: str) -> SamicPredictor:
        """The predictor for `model` (cached while the file is unchanged); model thread only."""
        from samic_core.predict.predictor import SamicPredictor

        model = Path(model)
        key = (model.resolve(), model.stat().st_mtime_ns, device)
        if self._predictor is None or self._predictor[0] != key:
            self._predictor = (key, SamicPredictor.from_file(model, device))
            self._refs_key = None
        return self._predictor[1]

    def _set_references(
        self,
        predictor: SamicPredictor,
        folder: Path,
        label: str,
        names: tuple[str, ...] | None,
    ) -> None:
        """Give the predictor reference images of `label`: `names`, or the default choice (the
        same choice and object size as `samic predict`)."""
        from samic_core.predict.references import choose_references, use_references

        store = AnnotationStore(folder)
        chosen = choose_references(store, label, names)
        key = (id(predictor), Path(folder).resolve(), label, tuple(p.name for p, _ in chosen))
        if key != self._refs_key:
            use_references(predictor, store, label, chosen)
            self._refs_key = key

    def reference_candidates(self, folder: Path, label: str) -> list[str]:
        """Images usable as references for `label` (trusted objects with points), best first."""
        from samic_core.predict.references import select_references

        return [p.name for p, _ in select_references(AnnotationStore(folder), label, k=ALL_REFS)]

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
    ) -> None:
        """Predict prompts for one image and segment them; suggest_ready or suggest_failed.
        peaks: a samic_core.config.PEAK_CHOICES name ("model": the model's default rule)."""
        image_path = Path(image_path)

        def job(ctx: JobContext) -> list[Suggestion]:
            ensure_runtime()
            from samic_core.predict.autoannotate import suggest_objects

            engine = self._sam()
            predictor = self._load_predictor(model, device)
            self._set_references(predictor, Path(reference_folder), label, references)
            found = suggest_objects(
                predictor, engine, image_path, label, one_prompt=one_prompt, rule=peak_rule(peaks),
                progress=lambda done, total, _what: ctx.progress((done, total)),
            )  # fmt: skip
            return [
                Suggestion(
                    points=tuple((float(x), float(y)) for x, y in points),
                    mask=r.mask,
                    score=float(r.score),
                    low_res=r.low_res_logits,
                    candidate=r.candidate,
                    origin=r.origin,
                )
                for points, r in found
            ]

        worker = Worker(job, f"suggest {image_path.name}")
        emit = self.suggest_progress.emit
        worker.signals.progress.connect(self._jobs.alive(lambda v: emit(int(v[0]), int(v[1]))))
        self._jobs.start(
            worker,
            self.predict_pool,
            lambda out: self.suggest_ready.emit(image_path, label, out),
            lambda e: self.suggest_failed.emit(
                describe_error(e, f"suggesting prompts for {image_path.name}")
            ),
        )

    @property
    def annotating(self) -> bool:
        return self._annotate_job is not None

    def auto_annotate(self, request: AutoAnnotateRequest) -> None:
        """Write predicted annotations for request.images; never touches manual ones."""
        if self._annotate_job is not None:
            raise RuntimeError("an auto-annotation is already in progress")

        def job(ctx: JobContext) -> AutoAnnotateOutcome:
            ensure_runtime()
            from samic_core.predict.autoannotate import auto_annotate

            engine = self._sam()
            predictor = self._load_predictor(request.model, request.device)

            def progress(done: int, total: int, name: str) -> None:
                _emit(ctx, (done, total, name))

            if request.all_classes:  # every class in one pass over the images
                return annotate_all_classes(
                    predictor, engine, request, progress, lambda: ctx.cancelled
                )
            self._set_references(
                predictor, request.reference_folder, request.label, request.references or None
            )
            report = auto_annotate(
                predictor,
                engine,
                list(request.images),
                AnnotationStore(request.target_folder),
                request.label,
                progress=progress,
                should_stop=lambda: ctx.cancelled,
                one_prompt=request.one_prompt,
                rule=peak_rule(request.peaks),
            )
            return outcome_of(report)

        def finished(outcome: AutoAnnotateOutcome) -> None:
            self._annotate_job = None
            self.annotate_finished.emit(outcome)

        def cancelled() -> None:
            self._annotate_job = None
            self.annotate_finished.emit(AutoAnnotateOutcome(cancelled=True))

        def failed(e: BaseException) -> None:
            self._annotate_job = None
            self.annotate_failed.emit(describe_error(e, "auto-annotating"))

        worker = Worker(job, "auto-annotate")
        worker.signals.progress.connect(self._jobs.alive(lambda v: self.annotate_progress.emit(*v)))
        worker.signals.cancelled.connect(self._jobs.alive(cancelled))
        self._annotate_job = worker
        self._jobs.start(worker, self.predict_pool, finished, failed)

    def cancel_auto_annotate(self) -> None:
        if self._annotate_job is not None:
            self._annotate_job.cancel()

    # ---- plumbing ----------------------------------------------------------------------------
    @property
    def busy_text(self) -> str | None:
        if self.training:
            return "Training is still running (a trained model keeps its best epoch so far)."
        if self.annotating:
            return "Auto-annotation is still running (images already annotated stay)."
        return None

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel running jobs and wait for them (on window close)."""
        self.cancel_training()
        self.cancel_auto_annotate()
        for pool in (self.train_pool, self.predict_pool, self.io_pool):
            pool.clear()
            pool.waitForDone(timeout_ms)
