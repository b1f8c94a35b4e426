"""An editor's save that keeps what another writer added meanwhile.

The app holds an image's annotation while the user works on it; a `samic predict` run (or the
app's own auto-annotate thread, or another window) may save objects into the same image in the
meantime. Writing the editor's copy back would drop them. So the editor remembers which objects
it loaded (`object_key`s, its *base*), and its save, under the folder lock, keeps every object
on disk that is neither in that base nor in the editor's copy: something another writer added.
Objects the user deleted were in the base and stay deleted. Kept objects get new ids after the
editor's and keep only the pixels no object of the editor covers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from samic_core.annotation.models import AnnotatedObject, ImageAnnotation

if TYPE_CHECKING:
    from samic_core.annotation.store import AnnotationStore, LoadedAnnotation

ObjectKey = tuple[object, ...]


def object_key(obj: AnnotatedObject) -> ObjectKey:
    """What identifies an object across saves: its class, origin, prompts and box."""
    points = tuple((p.x, p.y, p.positive) for p in obj.points)
    return (obj.label, obj.source, points, tuple(obj.box) if obj.box is not None else None)


def base_of(ann: ImageAnnotation | None) -> frozenset[ObjectKey]:
    """The base of an editor that loaded `ann` (None: the image had no annotation yet)."""
    return frozenset() if ann is None else frozenset(object_key(o) for o in ann.objects)


def keep_others(
    ann: ImageAnnotation,
    instances: np.ndarray,
    disk: ImageAnnotation | None,
    disk_instances: np.ndarray | None,
    base: frozenset[ObjectKey],
) -> tuple[ImageAnnotation, np.ndarray, list[AnnotatedObject]]:
    """(`ann` with the objects another writer added to `disk` since `base`, their pixels,
    those objects as kept). `instances` (H, W) is not modified."""
    if disk is None or disk_instances is None or disk_instances.shape != instances.shape:
        return ann, instances, []
    mine = {object_key(o) for o in ann.objects}
    others = [o for o in disk.objects if object_key(o) not in base and object_key(o) not in mine]
    if not others:
        return ann, instances, []
    out = instances.copy()
    next_id = max((o.id for o in ann.objects), default=0) + 1
    kept: list[AnnotatedObject] = []
    for obj in others:
        mask = disk_instances == obj.id
        free = mask & (out == 0)
        if mask.any() and not free.any():
            continue  # the editor's objects cover it entirely
        out[free] = next_id
        kept.append(obj.model_copy(update={"id": next_id}))
        next_id += 1
    merged = ann.model_copy(update={"objects": [*ann.objects, *kept]})
    return merged, out, kept


def save_keeping(
    store: AnnotationStore, ann: ImageAnnotation, instances: np.ndarray, base: frozenset[ObjectKey]
) -> tuple[LoadedAnnotation, list[AnnotatedObject]]:
    """Under the folder lock: read the image's annotation as it is now, keep what another
    writer added since `base`, save. A damaged file on disk raises AnnotationError (it is
    reported, never overwritten)."""
    with store.lock():
        disk = store.load(ann.image, verify_image=False) if store.exists(ann.image) else None
        merged, merged_instances, kept = keep_others(
            ann,
            np.asarray(instances),
            disk.annotation if disk is not None else None,
            disk.instances if disk is not None else None,
            base,
        )
        return store.save(merged, merged_instances), kept
