"""A fixed grid of overlapping square tiles over a big image (SAM's and SAMIC's tiles).

Along each axis the fewest tiles of side `size` that share at least `overlap` pixels with each
neighbour are spread evenly from border to border, so every tile lies inside the image and has
the full size (as SAHI's slices and micro-sam's tiles do). A side no longer than `size`
is one tile of that side. A tile is named by its rectangle, so a cache entry keyed by it stays
valid whatever grid produced it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, order=True)
class Tile:
    """Pixels [y0, y1) x [x0, x1) of an image."""

    y0: int
    x0: int
    y1: int
    x1: int

    @property
    def key(self) -> str:
        """The tile's name in cache keys and file names: x0_y0_x1_y1."""
        return f"{self.x0}_{self.y0}_{self.x1}_{self.y1}"

    @property
    def hw(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    @property
    def origin(self) -> tuple[int, int]:
        """(y, x) of the tile's top-left pixel in the image."""
        return self.y0, self.x0

    @property
    def slices(self) -> tuple[slice, slice]:
        """Index an (H, W, ...) array with these to get the tile's pixels."""
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def contains(self, points: np.ndarray) -> np.ndarray:
        """(N,) bool: which (N, 2) xy points lie inside the tile."""
        p = np.asarray(points, np.float64).reshape(-1, 2)
        return (
            (p[:, 0] >= self.x0) & (p[:, 0] < self.x1) & (p[:, 1] >= self.y0) & (p[:, 1] < self.y1)
        )

    def to_tile(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) image xy -> the tile's own pixel frame."""
        return np.asarray(points, np.float64).reshape(-1, 2) - (self.x0, self.y0)

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) tile xy -> image pixels."""
        return np.asarray(points, np.float64).reshape(-1, 2) + (self.x0, self.y0)


def _starts(length: int, size: int, overlap: int) -> list[int]:
    """Where tiles of `size` start along an axis of `length`: the fewest tiles that share at
    least `overlap` px with each neighbour, spread evenly, the last one ending at the border."""
    if length <= size:
        return [0]
    n = -(-(length - size) // (size - overlap)) + 1
    return [round(i * (length - size) / (n - 1)) for i in range(n)]


@dataclass(frozen=True)
class TileGrid:
    """The tiles of an (height, width) image: side `size`, neighbours sharing `overlap` px."""

    height: int
    width: int
    size: int
    overlap: int

    def __post_init__(self) -> None:
        if self.height < 1 or self.width < 1:
            raise ValueError(f"image size must be positive, got {self.width}x{self.height}")
        if self.size < 1 or not 0 <= self.overlap < self.size:
            raise ValueError(
                f"need 0 <= overlap < size, got size {self.size}, overlap {self.overlap}"
            )

    @property
    def rows(self) -> list[int]:
        return _starts(self.height, self.size, self.overlap)

    @property
    def cols(self) -> list[int]:
        return _starts(self.width, self.size, self.overlap)

    def __len__(self) -> int:
        return len(self.rows) * len(self.cols)

    def __iter__(self) -> Iterator[Tile]:
        for y in self.rows:
            for x in self.cols:
                yield self._tile(y, x)

    def _tile(self, y: int, x: int) -> Tile:
        return Tile(y, x, min(y + self.size, self.height), min(x + self.size, self.width))

    @property
    def is_whole(self) -> bool:
        """One tile covering the whole image: tiling changes nothing."""
        return len(self) == 1

    def inner_margin(self, tile: Tile, points: np.ndarray) -> np.ndarray:
        """(N,) distance of each xy point to the nearest edge of `tile` that is not the image's
        border (inf where every edge is a border): how far a click is from the cut."""
        p = np.asarray(points, np.float64).reshape(-1, 2)
        out = np.full(len(p), np.inf)
        edges = (
            (tile.x0 > 0, p[:, 0] - tile.x0),
            (tile.y0 > 0, p[:, 1] - tile.y0),
            (tile.x1 < self.width, tile.x1 - p[:, 0]),
            (tile.y1 < self.height, tile.y1 - p[:, 1]),
        )
        for inner, distance in edges:
            if inner:
                out = np.minimum(out, distance)
        return out

    def best_tile(self, points: np.ndarray) -> Tile:
        """The tile to decode these (N, 2) xy points in: of the tiles holding all of them, the
        one where the point closest to a cut is farthest from it (the whole object most likely
        inside); when no tile holds them all, the one holding most, nearest their middle."""
        p = np.asarray(points, np.float64).reshape(-1, 2)
        if len(p) == 0:
            raise ValueError("best_tile needs at least one point")
        best: tuple[float, float, Tile] | None = None
        middle = p.mean(0)
        for tile in self:
            inside = tile.contains(p)
            if inside.all():
                score = (float(len(p)) + 1.0, float(self.inner_margin(tile, p).min()))
            else:
                cx, cy = (tile.x0 + tile.x1) / 2, (tile.y0 + tile.y1) / 2
                score = (float(inside.sum()), -float(np.hypot(cx - middle[0], cy - middle[1])))
            if best is None or score > best[:2]:
                best = (*score, tile)
        assert best is not None
        return best[2]

    def fits(self, points: np.ndarray, box: np.ndarray | Sequence[float] | None = None) -> bool:
        """Whether one tile holds all (N, 2) xy points and the XYXY box's corners (a box may
        reach the tile's far edge)."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        corners = np.zeros((0, 2)) if box is None else np.asarray(box, np.float64).reshape(2, 2)
        every = np.concatenate([pts, corners])
        if len(every) == 0:
            return False
        t = self.best_tile(every)
        x, y = corners[:, 0], corners[:, 1]
        box_in = ((x >= t.x0) & (x <= t.x1) & (y >= t.y0) & (y <= t.y1)).all()
        return bool(t.contains(pts).all() and box_in)

    def neighbours(self, tile: Tile) -> list[Tile]:
        """The grid's tiles that overlap or touch `tile` (itself excluded)."""
        return [
            t
            for t in self
            if t != tile
            and t.x0 <= tile.x1
            and tile.x0 <= t.x1
            and t.y0 <= tile.y1
            and tile.y0 <= t.y1
        ]
