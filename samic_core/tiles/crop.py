"""Cutting and pasting in big images: a reference's tile-sized window around its objects (what a
model trained on tiles sees of a reference; prediction and the tile-model peak fit alike), and
masks kept as their bounding rectangles (a tile's decode, the app's objects on big images)."""

from __future__ import annotations

import numpy as np

from samic_core.tiles.grid import Tile


def reference_crop(
    image: np.ndarray, points: np.ndarray, side: int
) -> tuple[np.ndarray, np.ndarray]:
    """A side x side crop of a reference image around its objects, and the (N, 2) xy points in
    it: the window, centred on one of the points, that holds the most of them (an image no
    bigger than `side` is returned whole)."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image, pts
    th, tw = min(side, h), min(side, w)
    best: tuple[int, Tile] | None = None
    for x, y in pts:
        x0 = int(np.clip(round(x - tw / 2), 0, w - tw))
        y0 = int(np.clip(round(y - th / 2), 0, h - th))
        tile = Tile(y0, x0, y0 + th, x0 + tw)
        n = int(tile.contains(pts).sum())
        if best is None or n > best[0]:
            best = (n, tile)
    assert best is not None
    tile = best[1]
    return np.ascontiguousarray(image[tile.slices]), tile.to_tile(pts[tile.contains(pts)])


Origin = tuple[int, int]  # (y, x) of a mask's top-left pixel in the image


def paste(mask: np.ndarray, origin: Origin, hw: tuple[int, int]) -> np.ndarray:
    """An (h, w) bool mask at `origin` (y, x) -> an (H, W) bool mask (clipped to it)."""
    out = np.zeros(hw, bool)
    y, x = origin
    h, w = mask.shape
    y0, x0, y1, x1 = max(y, 0), max(x, 0), min(y + h, hw[0]), min(x + w, hw[1])
    if y0 < y1 and x0 < x1:
        out[y0:y1, x0:x1] = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    return out


def tight(mask: np.ndarray, origin: Origin) -> tuple[np.ndarray, Origin]:
    """The mask at `origin` cut to its bounding rectangle ((1, 1) False at `origin` when empty)."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return np.zeros((1, 1), bool), origin
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return np.ascontiguousarray(mask[y0:y1, x0:x1]), (origin[0] + y0, origin[1] + x0)
