"""A reference cut from a big image: the tile-sized window around its objects (what a model
trained on tiles sees of a reference; prediction and the tile-model peak fit alike)."""

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
