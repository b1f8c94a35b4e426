"""Auto-annotation: SAMIC's point prompts -> SAM masks -> SAMBOX annotations (source "predicted").

Each peak is its own object, prompted separately (or all peaks as one prompt); a peak whose mask
is the same object as a stronger peak's (mask IoU >= DUPLICATE_IOU) is dropped, so one object is
not written twice. An image that has any manual or reviewed object is never touched; earlier
unreviewed predictions of the same label are replaced, those of other labels kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks
from samic_core.errors import SamicError
from samic_core.fileio import read_image_rgb
from samic_core.jobs import Progress, ShouldStop
from samic_core.peaks import PeakRule
from samic_core.predict.predictor import SamicPredictor
from samic_core.sam.engine import SamEngine
from samic_core.sam.types import MaskResult, Prompt

log = logging.getLogger(__name__)

DUPLICATE_IOU = 0.7


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def suggest_objects(
    predictor: SamicPredictor,
    engine: SamEngine,
    image_path: str | Path,
    label: str,
    one_prompt: bool = False,
    rule: PeakRule | None = None,
    image: np.ndarray | None = None,
) -> list[tuple[np.ndarray, MaskResult]]:
    """[(points (N, 2) xy, SAM's mask for them)] for one image; empty when no peak was found.

    `label` names the class being suggested (for logging; the predictor's references decide
    what is found). one_prompt: send all peaks to SAM as a single object. rule: how peaks are
    found (default PeakRule(): local maxima with an absolute floor, samic_core/peaks.py).
    image: the file's pixels when already read (read_image_rgb), e.g. by a Ray reader task.
    """
    if image is None:
        image = read_image_rgb(image_path)
    peaks = predictor.peaks(image, rule)
    log.debug("%s: %d %s peaks", Path(image_path).name, len(peaks), label)
    if not peaks:
        return []
    points = np.array([[p.x, p.y] for p in peaks], np.float64)
    emb, _ = engine.embed_file(image_path, image=image)
    groups = [points] if one_prompt else [points[i : i + 1] for i in range(len(points))]
    out: list[tuple[np.ndarray, MaskResult]] = []
    for pts in groups:  # strongest peak first
        result = engine.decode(emb, Prompt.from_points(pts))
        if not result.mask.any():
            continue
        if any(_iou(result.mask, kept.mask) >= DUPLICATE_IOU for _, kept in out):
            continue  # SAM puts this peak into an object already found
        out.append((pts, result))
    return out


@dataclass
class AutoAnnotateReport:
    """What happened to each image of an auto-annotation run."""

    written: list[str] = field(default_factory=list)  # annotations written (with objects)
    objects: int = 0  # objects written in total
    skipped_protected: list[str] = field(default_factory=list)  # manual/reviewed objects, or done
    empty: list[str] = field(default_factory=list)  # no peak above the threshold; nothing written
    failed: list[tuple[str, str]] = field(default_factory=list)  # (image name, error)
    cancelled: bool = False

    def add(self, outcome: ImageOutcome) -> None:
        """Count one image's outcome."""
        if outcome.status == "written":
            self.written.append(outcome.image)
            self.objects += outcome.objects
        elif outcome.status == "empty":
            self.empty.append(outcome.image)
        elif outcome.status == "protected":
            self.skipped_protected.append(outcome.image)
        else:
            self.failed.append((outcome.image, outcome.error))


def _protected(ann: ImageAnnotation) -> bool:
    """Manual or reviewed objects, or an image the annotator marked done: never replaced."""
    return ann.done or any(o.source == "manual" or o.reviewed for o in ann.objects)


class _ProtectedNow(Exception):
    """The image became protected while it was being predicted (e.g. saved in the app)."""


def _merge(
    store: AnnotationStore,
    image_path: Path,
    label: str,
    found: list[tuple[np.ndarray, MaskResult]],
    engine: SamEngine,
) -> tuple[ImageAnnotation, np.ndarray]:
    """The new annotation: kept objects of other labels plus the found ones, masks painted."""
    name = image_path.name
    kept: list[AnnotatedObject] = []
    masks: list[tuple[int, np.ndarray]] = []
    sha = store.image_sha256(image_path)
    if store.exists(name):
        old = store.load(name, verify_image=True)
        if _protected(old.annotation):  # re-checked right before writing, not only up front
            raise _ProtectedNow(name)
        kept = [o for o in old.annotation.objects if o.label != label]
        masks = [(o.id, old.instances == o.id) for o in kept]
        h, w = old.instances.shape
    else:
        h, w = found[0][1].mask.shape if found else read_image_rgb(image_path).shape[:2]
    next_id = max((o.id for o in kept), default=0) + 1
    new: list[AnnotatedObject] = []
    for pts, result in sorted(found, key=lambda f: f[1].score):  # best mask painted last
        new.append(
            AnnotatedObject(
                id=next_id,
                label=label,
                points=[Point(x=float(x), y=float(y), positive=True) for x, y in pts],
                score=float(result.score),
                source="predicted",
                reviewed=False,
                candidate=result.candidate,
            )
        )
        masks.append((next_id, result.mask))
        next_id += 1
    instances = instances_from_masks(masks, (h, w))
    visible = set(np.unique(instances).tolist())
    objects = [o for o in kept + new if o.id in visible]  # drop objects painted over entirely
    ann = ImageAnnotation(
        image=name,
        image_sha256=sha,
        width=w,
        height=h,
        sam_model=engine.model_id,
        objects=sorted(objects, key=lambda o: o.id),
    )
    return ann, instances


def _drop_stale(store: AnnotationStore, path: Path, label: str, engine: SamEngine) -> None:
    """Nothing found now: remove earlier unreviewed predictions of `label` for this image."""
    if not store.exists(path.name):
        return
    if not any(o.label == label for o in store.load_json(path.name).objects):
        return
    ann, instances = _merge(store, path, label, [], engine)
    if ann.objects:
        store.save(ann, instances)
    else:
        store.delete(path.name)


@dataclass(frozen=True)
class ImageOutcome:
    """What annotate_image did to one image: status is one of OUTCOMES."""

    image: str
    status: str
    objects: int = 0  # objects of the label in the saved annotation ("written" only)
    error: str = ""  # "failed" only


OUTCOMES = ("written", "empty", "protected", "failed")


def annotate_image(
    predictor: SamicPredictor,
    engine: SamEngine,
    path: Path,
    store: AnnotationStore,
    label: str,
    one_prompt: bool = False,
    rule: PeakRule | None = None,
    image: np.ndarray | None = None,
) -> ImageOutcome:
    """Predict one image and save it (atomic, protection re-checked); never raises for bad input.

    The unit of work shared by `auto_annotate` and the Ray path (samic_core/scale), so both
    write the same annotation. image: the already-read pixels, if any (see suggest_objects).
    """
    try:
        if store.exists(path.name) and _protected(store.load_json(path.name)):
            return ImageOutcome(path.name, "protected")
        found = suggest_objects(predictor, engine, path, label, one_prompt, rule, image)
        if not found:
            _drop_stale(store, path, label, engine)
            return ImageOutcome(path.name, "empty")
        ann, instances = _merge(store, path, label, found, engine)
        store.save(ann, instances)
        return ImageOutcome(path.name, "written", sum(o.label == label for o in ann.objects))
    except _ProtectedNow:
        return ImageOutcome(path.name, "protected")
    except (SamicError, OSError, ValueError) as e:
        log.warning("%s: %s", path.name, e)
        return ImageOutcome(path.name, "failed", error=str(e))


def auto_annotate(
    predictor: SamicPredictor,
    engine: SamEngine,
    image_paths: Sequence[str | Path],
    store: AnnotationStore,
    label: str,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    one_prompt: bool = False,
    rule: PeakRule | None = None,
) -> AutoAnnotateReport:
    """Predict and save annotations for every image; never overwrites manual or reviewed work.

    progress(done, total, image name) is called after each image; should_stop is polled before
    each image. Every save is atomic (AnnotationStore.save).
    """
    report = AutoAnnotateReport()
    total = len(image_paths)
    for i, raw in enumerate(image_paths):
        path = Path(raw)
        if should_stop is not None and should_stop():
            report.cancelled = True
            break
        report.add(annotate_image(predictor, engine, path, store, label, one_prompt, rule))
        if progress is not None:
            progress(i + 1, total, path.name)
    return report
