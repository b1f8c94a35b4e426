"""How the app keeps an object's mask: the whole image's (H, W) for ordinary images, only the
mask's bounding rectangle and its place (origin y, x) for big ones, where one full-size mask
of a 400 MP image would be 400 MB and every undo step would keep one."""

from __future__ import annotations

import numpy as np

from samic_core.tiles.crop import Origin, paste, tight

__all__ = [
    "PLACED_PIXELS",
    "Origin",
    "Region",
    "is_big",
    "kept_form",
    "paste",
    "region_of",
    "tight",
    "union_region",
    "window",
]

PLACED_PIXELS = 1 << 24  # images over this many pixels keep masks as rectangles
Region = tuple[int, int, int, int]  # (y0, x0, y1, x1) in image pixels


def is_big(shape: tuple[int, int]) -> bool:
    return shape[0] * shape[1] > PLACED_PIXELS


def kept_form(
    mask: np.ndarray, origin: Origin, shape: tuple[int, int]
) -> tuple[np.ndarray, Origin]:
    """`mask` at `origin` in the form the app keeps for an image of `shape` (module doc)."""
    if not is_big(shape):
        if origin == (0, 0) and mask.shape == shape:
            return mask, origin
        return paste(mask, origin, shape), (0, 0)
    return tight(mask, origin)


def window(mask: np.ndarray, origin: Origin, region: Region) -> np.ndarray:
    """The part of a placed mask inside `region`, as a (y1 - y0, x1 - x0) bool array."""
    y0, x0, y1, x1 = region
    return paste(mask, (origin[0] - y0, origin[1] - x0), (y1 - y0, x1 - x0))


def union_region(a: Region, b: Region) -> Region:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def region_of(mask: np.ndarray, origin: Origin) -> Region:
    return origin[0], origin[1], origin[0] + mask.shape[0], origin[1] + mask.shape[1]
