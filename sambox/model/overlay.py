"""Render the objects' masks as RGBA images for the canvas (numpy only, no Qt).

Objects are drawn in their class's colour when the caller passes one per object id (see
samic_core.annotation.colors), else in a colour per object id; the fill is drawn translucent by
the canvas and the outline opaque, so holes and the boundaries between instances stay visible.
"""

from __future__ import annotations

import numpy as np

from sambox.assets import object_palette


def object_colour(object_id: int) -> tuple[int, int, int]:
    """The default colour of object `object_id` (resources/palette.json, repeating)."""
    palette = object_palette()
    return palette[(object_id - 1) % len(palette)]


Colours = dict[int, tuple[int, int, int]]  # object id -> RGB


def _lut(max_id: int, colours: Colours | None) -> np.ndarray:
    lut = np.zeros((max_id + 1, 4), np.uint8)
    for i in range(1, max_id + 1):
        lut[i, :3] = (colours or {}).get(i) or object_colour(i)
        lut[i, 3] = 255
    return lut


def render_fill(instances: np.ndarray, colours: Colours | None = None) -> np.ndarray:
    """(H, W) uint16 ids -> (H, W, 4) uint8 RGBA, transparent background."""
    return _lut(int(instances.max(initial=0)), colours)[instances]


def boundary(instances: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose 4-neighbourhood holds another id (object edges and holes)."""
    edge = np.zeros(instances.shape, bool)
    edge[:-1] |= instances[:-1] != instances[1:]
    edge[1:] |= instances[1:] != instances[:-1]
    edge[:, :-1] |= instances[:, :-1] != instances[:, 1:]
    edge[:, 1:] |= instances[:, 1:] != instances[:, :-1]
    return edge & (instances > 0)


def render_outline(instances: np.ndarray, colours: Colours | None = None) -> np.ndarray:
    """(H, W, 4) uint8 RGBA: each object's boundary in its colour, opaque."""
    out = render_fill(instances, colours)
    out[~boundary(instances)] = 0
    return out
