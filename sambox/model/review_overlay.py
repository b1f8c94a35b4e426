"""How predicted, not yet reviewed objects look on the canvas: hatched fill, dashed outline.

Manual (and reviewed) objects keep the solid fill and outline of overlay.py, so the annotator
sees at a glance which masks still need a look. Works on the RGBA layers overlay.py renders.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

HATCH_FRACTION = 1 / 80  # stripe period as a share of the image's longer side (>= 8 px), so
DASH_FRACTION = 1 / 60  # the pattern stays visible when a large image is fitted to the window


def _stripes(shape: tuple[int, int], period: int) -> np.ndarray:
    """(H, W) bool: True on diagonal stripes of width period / 2."""
    h, w = shape
    y, x = np.ogrid[:h, :w]
    return ((x + y) % period) < period // 2


def _dashes(shape: tuple[int, int], period: int) -> np.ndarray:
    """(H, W) bool: a checker of period-sized cells, so edges of any direction get gaps."""
    h, w = shape
    y, x = np.ogrid[:h, :w]
    return ((x // (period // 2)) + (y // (period // 2))) % 2 == 0


def style_predicted(
    fill: np.ndarray, outline: np.ndarray, instances: np.ndarray, predicted: Iterable[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Hatch the fill and dash the outline of the `predicted` object ids.

    fill, outline: (H, W, 4) uint8 RGBA from overlay.render_fill / render_outline;
    instances: (H, W) uint16 ids. Returns new arrays; the inputs are not changed.
    """
    ids = np.asarray(sorted(set(predicted)), dtype=instances.dtype)
    if ids.size == 0:
        return fill, outline
    side = max(instances.shape)
    hatch = max(8, round(side * HATCH_FRACTION))
    dash = max(10, round(side * DASH_FRACTION))
    mask = np.isin(instances, ids)
    fill, outline = fill.copy(), outline.copy()
    fill[mask & ~_stripes(instances.shape, hatch)] = 0
    outline[mask & ~_dashes(instances.shape, dash)] = 0
    return fill, outline
