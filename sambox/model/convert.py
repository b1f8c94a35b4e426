"""Document <-> the foundation's annotation format (ImageAnnotation + uint16 instance map)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sambox.model.document import Document, ObjectState, PromptKey, Snapshot
from sambox.model.placed import Region, is_big, kept_form
from samic_core.annotation import AnnotatedObject, ImageAnnotation, LoadedAnnotation, Point
from samic_core.annotation.masks import instances_from_masks, label_boxes
from samic_core.annotation.merge import base_of


def to_annotation(doc: Document) -> tuple[ImageAnnotation, np.ndarray]:
    """The saved form: objects with prompts (empty ones are left out) and the instance map.

    Each object's mask is SAM's full-resolution mask, holes included; later objects win overlaps.
    """
    kept = [o for o in doc.objects if o.has_prompts or o.mask is not None]
    objects = [
        AnnotatedObject(
            id=o.id,
            label=o.label,
            points=[Point(x=x, y=y, positive=p) for x, y, p in o.points],
            box=list(o.box) if o.box is not None else None,
            score=o.score,
            source=o.source,  # type: ignore[arg-type]
            reviewed=o.reviewed,
            candidate=o.result_candidate,
            edited=o.edited,
        )
        for o in kept
    ]
    ann = ImageAnnotation(
        image=doc.name,
        image_sha256=doc.image_sha256,
        width=doc.width,
        height=doc.height,
        sam_model=doc.sam_model,
        objects=objects,
        done=doc.state.done,
    )
    masks = [(o.id, o.mask, o.origin) for o in kept if o.mask is not None]
    return ann, instances_from_masks(masks, doc.shape)


def object_state(
    a: AnnotatedObject, instances: np.ndarray, boxes: dict[int, Region] | None = None
) -> ObjectState:
    """One saved object as the editor holds it, its mask cut from the instance map (H, W)
    (on a big image only its rectangle, sambox/model/placed.py; `boxes`: every id's rectangle,
    label_boxes of the map, computed once for all its objects)."""
    points = tuple((p.x, p.y, p.positive) for p in a.points)
    box = tuple(a.box) if a.box is not None else None
    forced = a.candidate if len(points) == 1 and box is None else None
    key = PromptKey(points, box, forced)  # type: ignore[arg-type]
    shape = (int(instances.shape[0]), int(instances.shape[1]))
    if is_big(shape):
        boxes = label_boxes(instances) if boxes is None else boxes
        y0, x0, y1, x1 = boxes.get(a.id, (0, 0, 1, 1))
        mask, origin = instances[y0:y1, x0:x1] == a.id, (y0, x0)
    else:
        mask, origin = kept_form(instances == a.id, (0, 0), shape)
    return ObjectState(
        id=a.id,
        label=a.label,
        points=points,
        box=box,  # type: ignore[arg-type]
        candidate=forced,
        mask=mask,
        origin=origin,
        mask_key=key,
        score=a.score,
        result_candidate=a.candidate,
        history=(a.score,) if a.score is not None else (),
        source=a.source,
        reviewed=a.reviewed,
        edited=a.edited,
    )


def from_loaded(image_path: Path, loaded: LoadedAnnotation) -> Document:
    """A document restored from disk: prompts as saved, masks cut from the saved instance map.

    The mask counts as decoded from the saved prompts, so nothing is re-decoded on reopen;
    a hand-edited mask (`edited`) in particular always comes from the PNG, never from SAM.
    """
    ann = loaded.annotation
    shape = (int(loaded.instances.shape[0]), int(loaded.instances.shape[1]))
    boxes = label_boxes(loaded.instances) if is_big(shape) else None
    objects = [object_state(a, loaded.instances, boxes) for a in ann.objects]
    current = objects[-1].id if objects else None
    return Document(
        image_path=image_path,
        image_sha256=ann.image_sha256,
        width=ann.width,
        height=ann.height,
        state=Snapshot(tuple(objects), current, ann.done),
        sam_model=ann.sam_model,
        base=base_of(ann),
    )
