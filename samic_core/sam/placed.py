"""A mask of a big image upscaled only where it is: its bounding rectangle, never the whole image.

SAM's last step resizes logits bilinearly to the image's size; on a 400 MP image that is 1.6 GB
of float32 for one click. An output pixel is above the threshold only if one of the (at most 4)
input pixels it mixes is, so the positive input pixels bound the output's rectangle; the
resize is then computed for that rectangle alone, with the sample positions and weights of
`F.interpolate(mode="bilinear", align_corners=False)`, so the mask equals the full resize's
(up to float rounding of a logit at the threshold).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from samic_core.tiles.crop import tight

CHUNK_PIXELS = 1 << 22  # output pixels resized at a time (16 MB of float32)


def _taps(start: int, stop: int, size_in: int, size_out: int) -> tuple[torch.Tensor, ...]:
    """For output rows [start, stop): the two input rows each mixes and their weights, as
    torch's bilinear resize (align_corners=False) computes them."""
    scale = size_in / size_out
    src = ((torch.arange(start, stop, dtype=torch.float64) + 0.5) * scale - 0.5).clamp(min=0)
    i0 = src.floor().long().clamp(max=size_in - 1)
    i1 = (i0 + 1).clamp(max=size_in - 1)
    w1 = (src - i0).clamp(0, 1)
    return i0, i1, (1 - w1).float(), w1.float()


def _span(lo: int, hi: int, size_in: int, size_out: int) -> tuple[int, int]:
    """Output rows whose bilinear taps reach input rows [lo, hi] (inclusive)."""
    scale = size_in / size_out
    start = math.floor((lo - 1 + 0.5) / scale - 0.5)
    stop = math.ceil((hi + 1 + 0.5) / scale - 0.5) + 1
    return max(start, 0), min(stop, size_out)


def resize_region(
    frame: torch.Tensor, out_hw: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int]
) -> torch.Tensor:
    """Rows [r0, r1) x cols [c0, c1) of `frame` (h, w) resized bilinearly to `out_hw`."""
    h, w = frame.shape
    y0, y1, wy0, wy1 = _taps(*rows, h, out_hw[0])
    x0, x1, wx0, wx1 = _taps(*cols, w, out_hw[1])
    f = frame.float().cpu()
    part = f[y0] * wy0[:, None] + f[y1] * wy1[:, None]  # (r1 - r0, w)
    return part[:, x0] * wx0[None] + part[:, x1] * wx1[None]  # (r1 - r0, c1 - c0)


def placed_mask(
    frame: torch.Tensor, out_hw: tuple[int, int], threshold: float
) -> tuple[np.ndarray, tuple[int, int]]:
    """`frame` (h, w) logits resized to `out_hw` and thresholded, kept as the mask's bounding
    rectangle: ((mh, mw) bool, origin (y, x)). An empty mask is (1, 1) False at (0, 0)."""
    h, w = frame.shape
    positive = (frame > threshold).cpu().numpy()
    ys, xs = np.flatnonzero(positive.any(1)), np.flatnonzero(positive.any(0))
    if not len(ys):
        return np.zeros((1, 1), bool), (0, 0)
    rows = _span(int(ys[0]), int(ys[-1]), h, out_hw[0])
    cols = _span(int(xs[0]), int(xs[-1]), w, out_hw[1])
    mask = np.zeros((rows[1] - rows[0], cols[1] - cols[0]), bool)
    step = max(1, CHUNK_PIXELS // mask.shape[1])  # float rows at a time: never the whole float map
    for r0 in range(rows[0], rows[1], step):
        r1 = min(r0 + step, rows[1])
        part = resize_region(frame, out_hw, (r0, r1), cols) > threshold
        mask[r0 - rows[0] : r1 - rows[0]] = part.numpy()
    if not mask.any():
        return np.zeros((1, 1), bool), (0, 0)
    return tight(mask, (rows[0], cols[0]))
