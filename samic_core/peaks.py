"""Heat map -> point prompts: one peak per instance (`nms`), or the paper's contour rule.

`nms` (the default) keeps the local maxima of the network's own output that stand above both an
absolute floor (so an image without the object gets no prompt) and a share of the image's
strongest peak, and suppresses any maximum within `radius` of a stronger one. Touching
instances keep their own maxima where a binarised blob would merge them, and weaker instances
are kept down to `threshold` x the strongest instead of 0.5. `paper` max-normalises the map,
binarises it at 0.5 and takes one centroid per connected component (paper section 3.4).
Measurements behind the defaults: docs/model.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np

from samic_core.config import PEAK_METHODS, PeakMethod
from samic_core.errors import SamicError
from samic_core.heatmap import SIGMA, Peak, heatmap_to_peaks

__all__ = ["PEAK_METHODS", "PeakMethod", "PeakRule", "find_peaks"]


@dataclass(frozen=True)
class PeakRule:
    """How a heat map becomes point prompts.

    method: "nms" (local maxima, default) or "paper" (0.5 of the max, contour centroids).
    threshold: relative to the image's strongest peak (nms: 0.3; paper: its 0.5 binarisation).
    floor: absolute floor on the network's output in [0, 1]; below it nothing is prompted (nms;
      0.1, measured in docs/model.md).
    radius: suppression radius as a fraction of the map's side; None = from the references'
      object size when known (`with_object_radius`), else 2 sigma of the prompt heat maps.
    max_peaks: at most this many prompts per image.
    """

    method: PeakMethod = "nms"
    threshold: float = 0.3
    floor: float = 0.1  # 3 seeds of the multi-instance benchmark: 0.3 -> 0.1 triples recall
    radius: float | None = None
    max_peaks: int = 64

    def __post_init__(self) -> None:
        if self.method not in PEAK_METHODS:
            raise SamicError(f"unknown peak rule {self.method!r}; use one of {PEAK_METHODS}")
        if not (0.0 < self.threshold <= 1.0 and 0.0 <= self.floor < 1.0):
            raise SamicError(
                f"peak threshold must be in (0, 1] and floor in [0, 1), got "
                f"{self.threshold} and {self.floor}"
            )
        if self.radius is not None and not 0.0 < self.radius < 0.5:
            raise SamicError(
                f"peak radius must be in (0, 0.5) of the image side, got {self.radius}"
            )

    @classmethod
    def paper(cls) -> PeakRule:
        return cls(method="paper", threshold=0.5, floor=0.0)

    @classmethod
    def named(cls, name: str, threshold: float | None = None) -> PeakRule:
        """The default rule of a method name ('nms' or 'paper'), optionally another threshold."""
        rule = cls.paper() if name == "paper" else cls(method=name)  # type: ignore[arg-type]
        if threshold is not None:
            rule = cls(**{**asdict(rule), "threshold": threshold})
        return rule

    def with_object_radius(self, object_radius: float | None) -> PeakRule:
        """Fill an unset radius from the reference objects' typical radius (fraction of side)."""
        if self.radius is not None or object_radius is None or object_radius <= 0:
            return self
        radius = float(np.clip(0.6 * object_radius, 1.5 * SIGMA, 0.25))
        return PeakRule(**{**asdict(self), "radius": radius})

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def find_peaks(
    heat: np.ndarray, image_size: tuple[int, int] | None = None, rule: PeakRule = PeakRule()
) -> list[Peak]:
    """Point prompts in original-image pixels (`image_size` = (H, W)), strongest first.

    heat: (h, w) float map. For `nms` it must be the network's own output in [0, 1] (not
    max-normalised), so that the floor means the same on every image.
    """
    heat = np.asarray(heat, np.float32)
    if heat.ndim != 2:
        raise ValueError(f"heat map must be 2-D, got shape {heat.shape}")
    if rule.method == "paper":
        top = float(heat.max()) if heat.size else 0.0
        if top <= 0:
            return []
        return heatmap_to_peaks(heat / top, image_size, rule.threshold)[: rule.max_peaks]
    return _nms_peaks(heat, image_size, rule)


def _nms_peaks(heat: np.ndarray, image_size: tuple[int, int] | None, rule: PeakRule) -> list[Peak]:
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
