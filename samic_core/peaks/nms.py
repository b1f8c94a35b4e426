"""The default peak rule, `nms`: one prompt per local maximum of the network's own output.

It keeps the maxima that stand above both an absolute floor (so an image without the object
gets no prompt) and a share of the image's strongest peak, and suppresses any maximum within
`radius` of a stronger one. Touching instances keep their own maxima where a binarised blob
would merge them, and weaker instances are kept down to `threshold` x the strongest instead of
0.5. Measurements behind the defaults: docs/model.md.
"""

from __future__ import annotations

import cv2
import numpy as np

from samic_core.heatmap import SIGMA, Peak
from samic_core.peaks.rule import DEFAULT_FLOOR, DEFAULT_THRESHOLD, PeakMethodSpec, PeakRule


def nms_peaks(heat: np.ndarray, image_size: tuple[int, int] | None, rule: PeakRule) -> list[Peak]:
    """The local maxima above the rule's floor and threshold, at least `radius` apart."""
    h, w = heat.shape
    H, W = image_size if image_size is not None else (h, w)
    top = float(heat.max()) if heat.size else 0.0
    if top < rule.floor or top <= 0:
        return []
    level = max(rule.floor, rule.threshold * top)
    radius_px = max(1.0, (rule.radius if rule.radius is not None else 2 * SIGMA) * max(h, w))
    k = 2 * int(np.ceil(radius_px)) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    is_max = (heat >= cv2.dilate(heat, kernel)) & (heat >= level)
    ys, xs = np.nonzero(is_max)
    order = np.argsort(-heat[ys, xs], kind="stable")
    kept: list[tuple[float, float, float]] = []  # (x, y, score) in heat-map pixels
    for i in order:
        y, x = int(ys[i]), int(xs[i])
        if any((x - kx) ** 2 + (y - ky) ** 2 <= radius_px**2 for kx, ky, _ in kept):
            continue  # a plateau's other pixels, or a weaker maximum too close to a kept one
        cx, cy = _refine(heat, x, y)
        kept.append((cx, cy, float(heat[y, x])))
        if len(kept) >= rule.max_peaks:
            break
    return [
        Peak(x=(cx + 0.5) * W / w - 0.5, y=(cy + 0.5) * H / h - 0.5, score=s, area=1)
        for cx, cy, s in kept
    ]


def _refine(heat: np.ndarray, x: int, y: int) -> tuple[float, float]:
    """Sub-pixel position: the centroid of the 3x3 neighbourhood weighted by heat above its min."""
    y0, y1, x0, x1 = (
        max(y - 1, 0),
        min(y + 2, heat.shape[0]),
        max(x - 1, 0),
        min(x + 2, heat.shape[1]),
    )
    patch = heat[y0:y1, x0:x1].astype(np.float64)
    weights = patch - patch.min()
    total = weights.sum()
    if total <= 0:
        return float(x), float(y)
    gy, gx = np.mgrid[y0:y1, x0:x1]
    return float((weights * gx).sum() / total), float((weights * gy).sum() / total)


NMS = PeakMethodSpec(
    name="nms",
    help="one prompt per local maximum, none on images without the object",
    heat="raw",
    find=nms_peaks,
    threshold=DEFAULT_THRESHOLD,
    floor=DEFAULT_FLOOR,
)
