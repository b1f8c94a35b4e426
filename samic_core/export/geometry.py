"""Exact mask <-> polygon conversion on the pixel grid, shared by every export format.

Coordinates are continuous image coordinates where pixel (row r, col c) covers
x in [c, c+1], y in [r, r+1] (the COCO / LabelMe / YOLO convention). Polygons traced here run
along pixel edges, so rasterising them with the pixel-centre rule gives back the mask exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ring:
    """A closed polygon (N, 2) of xy corners (first point not repeated); `hole` = inner boundary."""

    points: np.ndarray
    hole: bool

    @property
    def area(self) -> float:
        return abs(signed_area(self.points))


def signed_area(points: np.ndarray) -> float:
    """Shoelace area of an (N, 2) xy polygon; positive = clockwise on screen (y points down)."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


# Edge directions as (dx, dy); the index is used to pick turns at saddle vertices.
_DIRS = np.array([(1, 0), (0, 1), (-1, 0), (0, -1)])  # right, down, left, up


def mask_to_rings(mask: np.ndarray) -> list[Ring]:
    """Trace every boundary of a bool (H, W) mask along pixel edges.

    Outer boundaries run clockwise on screen (positive `signed_area`), holes anticlockwise.
    At a vertex where two pixels touch only diagonally, the trace keeps them apart
    (4-connected objects), so each ring is a simple polygon except for touching corners.
    Collinear vertices are dropped: a rectangle is 4 points.
    """
    m = np.pad(np.asarray(mask, bool), 1)
    fg = m[1:-1, 1:-1]
    # Each foreground pixel with a background neighbour contributes a directed unit edge,
    # oriented so the foreground lies on the right of the direction of travel (y down).
    r, c = np.nonzero(fg & ~m[:-2, 1:-1])  # top edge, travelling right
    starts = [np.stack([c, r], 1)]
    dirs = [np.full(len(r), 0)]
    r, c = np.nonzero(fg & ~m[1:-1, 2:])  # right edge, travelling down
    starts.append(np.stack([c + 1, r], 1))
    dirs.append(np.full(len(r), 1))
    r, c = np.nonzero(fg & ~m[2:, 1:-1])  # bottom edge, travelling left
    starts.append(np.stack([c + 1, r + 1], 1))
    dirs.append(np.full(len(r), 2))
    r, c = np.nonzero(fg & ~m[1:-1, :-2])  # left edge, travelling up
    starts.append(np.stack([c, r + 1], 1))
    dirs.append(np.full(len(r), 3))
    start = np.concatenate(starts).astype(np.int64)
    direction = np.concatenate(dirs)
    if len(start) == 0:
        return []
    width = int(fg.shape[1]) + 1
    key = start[:, 1] * width + start[:, 0]
    # outgoing[v] = edge indices leaving vertex v (two only at diagonal "saddle" vertices)
    order = np.argsort(key, kind="stable")
    outgoing: dict[int, list[int]] = {}
    for i in order.tolist():
        outgoing.setdefault(int(key[i]), []).append(i)
    used = np.zeros(len(start), bool)
    rings: list[Ring] = []
    for first in order.tolist():
        if used[first]:
            continue
        corners: list[tuple[int, int]] = []
        e = first
        prev_dir = -1
        while not used[e]:
            used[e] = True
            d = int(direction[e])
            if d != prev_dir:
                corners.append((int(start[e, 0]), int(start[e, 1])))
            prev_dir = d
            x, y = start[e] + _DIRS[d]
            cands = [i for i in outgoing[int(y) * width + int(x)] if not used[i]]
            if not cands:
                break
            if len(cands) == 1:
                e = cands[0]
            else:
                # Saddle: turn right (towards this pixel) so diagonal neighbours stay separate.
                right = (d + 1) % 4
                e = next((i for i in cands if direction[i] == right), cands[0])
        # The ring closes on its first edge; drop the first corner if it is collinear.
        if len(corners) > 1 and int(direction[first]) == prev_dir:
            corners = corners[1:]
        pts = np.asarray(corners, np.float64)
        rings.append(Ring(pts, hole=signed_area(pts) < 0))
    return rings


def polygon_to_mask(
    rings: Sequence[np.ndarray | Sequence[float]], shape: tuple[int, int]
) -> np.ndarray:
    """Rasterise one (possibly multi-ring) polygon into a bool (H, W) mask, even-odd rule.

    Each ring is (N, 2) xy or flat [x0, y0, x1, ...]. A pixel is inside when its centre
    (c + 0.5, r + 0.5) is, with half-open tests so no centre is counted twice; rings from
    `mask_to_rings` (holes included) and bridged polygons from `bridge_rings` come back exactly.
    """
    h, w = shape
    segs = []
    for ring in rings:
        pts = np.asarray(ring, np.float64).reshape(-1, 2)
        if len(pts) >= 3:
            segs.append(np.concatenate([pts, np.roll(pts, -1, axis=0)], 1))
    out = np.zeros((h, w + 1), np.int32)
    if not segs:
        return out[:, :w].astype(bool)
    x0, y0, x1, y1 = np.concatenate(segs).T
    ylo, yhi = np.minimum(y0, y1), np.maximum(y0, y1)
    # rows whose centre y = r + 0.5 satisfies ylo <= y < yhi (horizontal edges span none)
    r_start = np.clip(np.ceil(ylo - 0.5), 0, h).astype(np.int64)
    r_stop = np.clip(np.ceil(yhi - 0.5), 0, h).astype(np.int64)
    n = np.maximum(r_stop - r_start, 0)
    edge = np.repeat(np.arange(len(n)), n)
    row = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + r_start[edge]
    yc = row + 0.5
    t = (yc - y0[edge]) / (y1[edge] - y0[edge])
    xc = x0[edge] + t * (x1[edge] - x0[edge])
    order = np.lexsort((xc, row))
    row, xc = row[order], xc[order]
    # crossings pair up within each row: [x_2k, x_2k+1) is inside
    xa, xb, rr = xc[0::2], xc[1::2], row[0::2]
    c_start = np.clip(np.ceil(xa - 0.5), 0, w).astype(np.int64)
    c_stop = np.clip(np.ceil(xb - 0.5), 0, w).astype(np.int64)
    np.add.at(out, (rr, c_start), 1)
    np.add.at(out, (rr, c_stop), -1)
    return np.cumsum(out, axis=1)[:, :w] > 0


def bridge_rings(rings: Sequence[Ring]) -> np.ndarray:
    """Join every ring of an object into one (N, 2) polygon with zero-width bridges.

    Formats that allow one polygon per object (YOLO, LabelMe) keep holes and separate parts
    this way: each hole keeps its opposite orientation, and each bridge is walked once in each
    direction, so it covers no pixel centre under `polygon_to_mask`'s rule. Rings are chained
    in reading order (ring k+1 hangs off ring k), which keeps the cost linear in the vertices.
    """
    if not rings:
        return np.zeros((0, 2))
    ordered = sorted(
        rings, key=lambda r: (float(r.points[:, 1].min()), float(r.points[:, 0].min()))
    )
    merged = ordered[0].points
    prev, prev_start, prev_roll = ordered[0].points, 0, 0
    for ring in ordered[1:]:
        # vertex of this ring nearest the previous ring's centre, then its nearest there
        j = int(np.argmin(((ring.points - prev.mean(0)) ** 2).sum(1)))
        i = int(np.argmin(((prev - ring.points[j]) ** 2).sum(1)))
        at = prev_start + (i - prev_roll) % len(prev)  # index of prev[i] inside `merged`
        loop = np.roll(ring.points, -j, axis=0)
        merged = np.concatenate([merged[: at + 1], loop, loop[:1], merged[at:]])
        prev, prev_start, prev_roll = ring.points, at + 1, j
    return merged


def mask_bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """[x, y, w, h] of the mask's pixels in the pixel-edge convention; None if empty."""
    rows = np.flatnonzero(mask.any(1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(mask.any(0))
    return (
        int(cols[0]),
        int(rows[0]),
        int(cols[-1] - cols[0] + 1),
        int(rows[-1] - rows[0] + 1),
    )


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two bool masks (1.0 when both are empty)."""
    union = int(np.logical_or(a, b).sum())
    return 1.0 if union == 0 else int(np.logical_and(a, b).sum()) / union
