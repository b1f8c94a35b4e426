"""Instance and semantic masks from per-object binary masks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from samic_core.annotation.models import AnnotatedObject


def instances_from_masks(
    masks: Iterable[tuple[int, np.ndarray] | tuple[int, np.ndarray, tuple[int, int]]],
    shape: tuple[int, int],
) -> np.ndarray:
    """Paint (id, bool mask) pairs into a uint16 (H, W) instance map; later pairs win overlaps.

    A mask of another size than (H, W) comes with its top-left pixel (y, x) in the image, as
    (id, mask, origin): a tile's decode keeps only its object's rectangle (sam/tiled.py)."""
    out = np.zeros(shape, np.uint16)
    for item in masks:
        obj_id, mask = item[0], np.asarray(item[1], bool)
        if len(item) == 2:
            out[mask] = obj_id
            continue
        y, x = item[2]
        h, w = mask.shape
        y0, x0, y1, x1 = max(y, 0), max(x, 0), min(y + h, shape[0]), min(x + w, shape[1])
        if y0 < y1 and x0 < x1:
            out[y0:y1, x0:x1][mask[y0 - y : y1 - y, x0 - x : x1 - x]] = obj_id
    return out


def union_mask(instances: np.ndarray, ids: Sequence[int], side: int) -> np.ndarray:
    """(H, W) instance map -> (side, side) bool union of the `ids`' masks (aspect squeezed)."""
    mask = np.isin(instances, list(ids)).astype(np.uint8)
    return cv2.resize(mask, (side, side), interpolation=cv2.INTER_AREA) > 0


def semantic_from_instances(
    instances: np.ndarray, objects: Sequence[AnnotatedObject], classes: Sequence[str]
) -> np.ndarray:
    """uint8 (H, W) map: 0 background, k = 1-based index of the object's class in `classes`."""
    lut = np.zeros(int(instances.max(initial=0)) + 1, np.uint8)
    index = {name: i + 1 for i, name in enumerate(classes)}
    for o in objects:
        if o.id < len(lut):
            lut[o.id] = index[o.label]
    return lut[instances]


def label_boxes(instances: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """Every id's bounding rectangle (y0, x0, y1, x1) in an (H, W) instance map, in one pass
    over its rows and one over its columns (no mask per id: a 48 MP map has hundreds)."""
    top = int(instances.max(initial=0)) + 1
    lo = np.full((2, top), np.iinfo(np.int64).max)
    hi = np.full((2, top), -1)
    for axis, lines in enumerate((instances, instances.T)):
        for i, line in enumerate(lines):
            ids = np.unique(line)
            lo[axis, ids] = np.minimum(lo[axis, ids], i)
            hi[axis, ids] = i
    return {
        int(k): (int(lo[0, k]), int(lo[1, k]), int(hi[0, k]) + 1, int(hi[1, k]) + 1)
        for k in range(1, top)
        if hi[0, k] >= 0
    }
