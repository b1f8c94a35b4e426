"""Writing auto-annotation results: merge found objects into an image's annotation and save it.

One image's save covers every class predicted for it: objects of those classes that were
predicted earlier and not reviewed are replaced, objects of other classes kept with their pixels
(a prediction paints only where no kept object is). An image with any manual or reviewed
object, or marked done, is never touched. Every writer of a folder (the app, the CLI, the app's
auto-annotate thread, Ray actors) follows one rule: the protection is decided, the merge made and
the result written under the folder's inter-process lock, on the annotation as it is on disk at
that moment; so two runs of different classes compose, and a save made meanwhile is never
overwritten. Saves are atomic (AnnotationStore).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from samic_core.annotation import AnnotatedObject, AnnotationStore, ImageAnnotation, Point
from samic_core.annotation.masks import instances_from_masks, label_boxes
from samic_core.errors import SamicError

if TYPE_CHECKING:
    from samic_core.predict.objects import Found

log = logging.getLogger(__name__)

OUTCOMES = ("written", "empty", "protected", "failed")


@dataclass(frozen=True)
class ImageOutcome:
    """What happened to one image for one class: status is one of OUTCOMES."""

    image: str
    status: str
    objects: int = 0  # objects of the label in the saved annotation ("written" only)
    error: str = ""  # "failed" only


@dataclass
class AutoAnnotateReport:
    """What happened to each image of an auto-annotation run (for one class)."""

    written: list[str] = field(default_factory=list)  # annotations written (with objects)
    objects: int = 0  # objects written in total
    skipped_protected: list[str] = field(default_factory=list)  # manual/reviewed objects, or done
    empty: list[str] = field(default_factory=list)  # no peak above the threshold; nothing written
    failed: list[tuple[str, str]] = field(default_factory=list)  # (image name, error)
    cancelled: bool = False
    seconds: float = 0.0  # wall time of the run
    first_write_s: float | None = None  # from the run's start to its first saved annotation

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


def is_protected(ann: ImageAnnotation) -> bool:
    """Manual or reviewed objects, or an image the annotator marked done: never replaced."""
    return ann.done or any(o.source == "manual" or o.reviewed for o in ann.objects)


def protected_on_disk(store: AnnotationStore, name: str) -> bool:
    """Whether the saved annotation of image `name` is protected (see is_protected)."""
    return store.exists(name) and is_protected(store.load_json(name))


class ProtectedNow(Exception):
    """The image became protected while it was being predicted (e.g. saved in the app)."""


def merge_found(
    store: AnnotationStore,
    image_path: Path,
    found: Mapping[str, Found],
    sam_model: str,
    image_hw: tuple[int, int],
    image_sha256: str | None = None,
    current: Mapping[str, str] | None = None,
) -> tuple[ImageAnnotation, np.ndarray]:
    """The new annotation: objects of other classes kept, then each class's found objects.

    Overlaps: what was there first keeps its pixels. Kept objects are painted last, and of the
    classes in `found` an earlier class over a later one (so one pass over several classes
    equals one run per class in that order); within a class the best mask is painted last.
    Objects left without a pixel are dropped. A label renamed since the run started is written
    under its new name (`current`: store.current_labels of `found`, read here when not given).
    Call it under `store.lock()` (save_found does). Raises ProtectedNow when the saved
    annotation is protected.
    """
    name = image_path.name
    kept: list[AnnotatedObject] = []
    kept_masks: list[tuple[int, np.ndarray, tuple[int, int]]] = []
    sha = image_sha256 or store.image_sha256(image_path)
    h, w = image_hw
    if current is None:
        current = store.current_labels(list(found))
    if store.exists(name):
        old = store.load(name, verify_image=True)
        if is_protected(old.annotation):
            raise ProtectedNow(name)
        replaced = set(current.values())
        kept = [o for o in old.annotation.objects if o.label not in replaced]
        boxes = label_boxes(old.instances)  # each kept mask within its rectangle
        kept_masks = [
            (o.id, old.instances[y0:y1, x0:x1] == o.id, (y0, x0))
            for o in kept
            if o.id in boxes
            for y0, x0, y1, x1 in [boxes[o.id]]
        ]
        h, w = old.instances.shape
    next_id = max((o.id for o in kept), default=0) + 1
    new: list[AnnotatedObject] = []
    per_class: list[list[tuple[int, np.ndarray, tuple[int, int]]]] = []
    for found_label, class_found in found.items():
        label = current[found_label]
        per_class.append([])
        for pts, result in sorted(class_found, key=lambda f: f[1].score):  # best mask painted last
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
            per_class[-1].append((next_id, result.mask, result.origin))
            next_id += 1
    masks = [m for masks_of_class in reversed(per_class) for m in masks_of_class]
    instances = instances_from_masks(masks + kept_masks, (h, w))  # kept objects painted last
    visible = set(np.unique(instances).tolist())
    objects = [o for o in kept + new if o.id in visible]
    ann = ImageAnnotation(
        image=name,
        image_sha256=sha,
        width=w,
        height=h,
        sam_model=sam_model,
        objects=sorted(objects, key=lambda o: o.id),
    )
    return ann, instances


def _has_labels(store: AnnotationStore, name: str, labels: set[str]) -> bool:
    """Whether the saved annotation of `name` has objects of any of `labels`."""
    return store.exists(name) and any(o.label in labels for o in store.load_json(name).objects)


def save_found(
    store: AnnotationStore,
    image_path: Path,
    found: Mapping[str, Found],
    sam_model: str,
    image_hw: tuple[int, int],
    image_sha256: str | None = None,
) -> list[ImageOutcome]:
    """Save one image's objects of every class in `found` in one atomic write; one outcome per
    class, in `found`'s order. A class with nothing found loses its earlier unreviewed
    predictions ("empty"); an annotation left with no object is deleted. The check, the merge
    and the write are one step under the folder's lock. Never raises for a bad file: it
    becomes a "failed" outcome."""
    name = image_path.name
    try:
        sha = image_sha256 or store.image_sha256(image_path)  # hashed before taking the lock
        with store.lock():
            current = store.current_labels(list(found))  # names renamed since the run started
            if not any(found.values()) and not _has_labels(store, name, set(current.values())):
                return [ImageOutcome(name, "empty") for _ in found]  # nothing to write or drop
            ann, instances = merge_found(
                store, image_path, found, sam_model, image_hw, sha, current
            )
            if ann.objects:
                store.save(ann, instances)
            else:
                store.delete(name)
    except ProtectedNow:
        return [ImageOutcome(name, "protected") for _ in found]
    except (SamicError, OSError, ValueError) as e:
        log.warning("%s: %s", name, e)
        return [ImageOutcome(name, "failed", error=str(e)) for _ in found]
    counts = {label: sum(o.label == current[label] for o in ann.objects) for label in found}
    return [
        ImageOutcome(name, "written", counts[label]) if objects else ImageOutcome(name, "empty")
        for label, objects in found.items()
    ]
