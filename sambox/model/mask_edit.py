"""Correcting a mask by hand: brush and eraser strokes and polygons, rasterised with OpenCV.

Pure functions on (H, W) bool masks in original-image pixels; the editor turns their results
into new ObjectStates (marked `edited`) so undo/redo, autosave and export treat them like any
other change.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from sambox.model.placed import Origin, kept_form, region_of, union_region, window

XY = tuple[float, float]

MIN_BRUSH, MAX_BRUSH = 1, 400  # brush radius in image pixels


def stroke_mask(shape: tuple[int, int], points: Sequence[XY], radius: float) -> np.ndarray:
    """(H, W) bool: the pixels a round brush of `radius` covers along the polyline `points`."""
    out = np.zeros(shape, np.uint8)
    r = max(1, round(radius))
    pts = [(round(x), round(y)) for x, y in points]
    if not pts:
        return out.astype(bool)
    cv2.circle(out, pts[0], r, 1, thickness=-1)
    for a, b in zip(pts, pts[1:], strict=False):
        cv2.line(out, a, b, 1, thickness=2 * r + 1)
        cv2.circle(out, b, r, 1, thickness=-1)
    return out.astype(bool)


def polygon_mask(shape: tuple[int, int], vertices: Sequence[XY]) -> np.ndarray:
    """(H, W) bool: the inside of the closed polygon `vertices` (at least 3 of them)."""
    out = np.zeros(shape, np.uint8)
    if len(vertices) >= 3:
        pts = np.round(np.asarray(vertices, np.float64)).astype(np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(out, [pts], 1)
    return out.astype(bool)


def paint(mask: np.ndarray | None, region: np.ndarray, erase: bool) -> np.ndarray:
    """`mask` with `region` added (brush, polygon) or removed (eraser, polygon cut)."""
    base = np.zeros(region.shape, bool) if mask is None else mask
    return base & ~region if erase else base | region


def clamp_radius(radius: float) -> int:
    return int(max(MIN_BRUSH, min(MAX_BRUSH, round(radius))))


def gesture_box(
    points: Sequence[XY], radius: float, shape: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(y0, x0, y1, x1): the pixels a stroke or polygon through `points` can touch, clipped."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    r = max(1, round(radius)) + 2
    x0, y0 = np.floor(pts.min(0)).astype(int) - r
    x1, y1 = np.ceil(pts.max(0)).astype(int) + r + 1
    return max(0, y0), max(0, x0), min(shape[0], y1), min(shape[1], x1)


def shifted(points: Sequence[XY], box: tuple[int, int, int, int]) -> list[XY]:
    """`points` rounded to image pixels (as the full-size rasterisers round them), then in the
    coordinates of `box`'s top-left pixel."""
    return [(float(round(x) - box[1]), float(round(y) - box[0])) for x, y in points]


def is_empty_box(box: tuple[int, int, int, int]) -> bool:
    """The gesture lies wholly outside the image."""
    return box[2] <= box[0] or box[3] <= box[1]


def apply_region(
    mask: np.ndarray | None,
    origin: Origin,
    region: np.ndarray,
    box: tuple[int, int, int, int],
    erase: bool,
    shape: tuple[int, int],
) -> tuple[np.ndarray, Origin]:
    """`paint` on placed masks: `region` (the gesture's pixels inside `box`) added to or cut
    from `mask` at `origin`; the result in the form the app keeps (sambox/model/placed.py), so
    a stroke on a big image touches only the rectangles involved."""
    if mask is not None and not mask.any():  # an empty mask has no place to keep
        mask = None
    area = box if mask is None else region_of(mask, origin)
    if not erase and mask is not None:
        area = union_region(area, box)
    base = None if mask is None else window(mask, origin, area)
    cut = window(region, (box[0], box[1]), area)
    return kept_form(paint(base, cut, erase), (area[0], area[1]), shape)


Region = tuple[np.ndarray, tuple[int, int, int, int]]  # a gesture's pixels in its box


def stroke_region(points: Sequence[XY], radius: float, shape: tuple[int, int]) -> Region | None:
    """A brush stroke's pixels inside its own box, (region, box); None wholly outside."""
    box = gesture_box(points, radius, shape)
    if is_empty_box(box):
        return None
    return stroke_mask((box[2] - box[0], box[3] - box[1]), shifted(points, box), radius), box


def polygon_region(vertices: Sequence[XY], shape: tuple[int, int]) -> Region | None:
    """A closed polygon's pixels inside its own box, (region, box); None when it covers none."""
    box = gesture_box(vertices, 0, shape)
    if is_empty_box(box):
        return None
    region = polygon_mask((box[2] - box[0], box[3] - box[1]), shifted(vertices, box))
    return (region, box) if region.any() else None
