"""Correcting a mask by hand: brush and eraser strokes and polygons, rasterised with OpenCV.

Pure functions on (H, W) bool masks in original-image pixels; the editor turns their results
into new ObjectStates (marked `edited`) so undo/redo, autosave and export treat them like any
other change.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

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
