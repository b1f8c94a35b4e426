"""Choose reference images for K-shot prediction from an annotated folder."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from samic_core.annotation import AnnotationStore
from samic_core.errors import SamicError
from samic_core.train.episodes import is_training_object

log = logging.getLogger(__name__)


def select_references(
    store: AnnotationStore, class_name: str, k: int = 5
) -> list[tuple[Path, np.ndarray]]:
    """Up to k (image path, (N, 2) positive xy points of `class_name`) from trusted annotations.

    Trusted = manual objects, or predicted objects a person reviewed (as for training). Images
    marked done come first, then by name, so the choice is stable.
    """
    if k < 1:
        raise SamicError(f"need at least one reference, got k = {k}")
    found: list[tuple[bool, str, Path, np.ndarray]] = []
    for path in store.images():
        if not store.exists(path.name):
            continue
        ann = store.load_json(path.name)
        if ann.image != path.name or ann.image_sha256 != store.image_sha256(path):
            # another image with the same stem, or the image changed since it was annotated:
            # its points would not belong to this picture
            log.warning("%s: annotation does not match this image; not used as a reference", path)
            continue
        pts = [
            (p.x, p.y)
            for o in ann.objects
            if o.label == class_name and is_training_object(o)
            for p in o.positive_points
        ]
        if pts:
            found.append((not ann.done, path.name.lower(), path, np.asarray(pts, np.float64)))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(path, pts) for _, _, path, pts in found[:k]]
