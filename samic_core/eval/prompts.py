"""Reference point prompts derived from a mask, for datasets that have masks but no clicks.

The rule stands in for a SAMBOX annotator (see docs/evaluation.md): one set of clicks per
object instance (connected component), the first at the component's most interior pixel
(the maximum of the distance transform, where a click is least ambiguous for SAM), and further
clicks on other thick parts of the same component, spread apart, as an annotator adds clicks
on further parts until SAM's score saturates. `centroid` is the paper's peak convention
(moment centroid per component) for comparison; it can fall outside non-convex shapes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from samic_core.errors import SamicError

RULE_KINDS = ("interior", "centroid")


@dataclass(frozen=True)
class PromptRule:
    """How reference clicks are placed on a mask; `parse("interior:3")` builds one from text.

    points_per_component: at most this many clicks per component (interior rule);
    min_area: components smaller than this many pixels get no click;
    max_components: only the largest components get clicks;
    min_depth: an extra click needs a distance to the edge >= min_depth x the component's max;
    min_separation: and a distance to earlier clicks >= min_separation x that max.
    """

    kind: str = "interior"
    points_per_component: int = 3
    min_area: int = 16
    max_components: int = 8
    min_depth: float = 0.4
    min_separation: float = 0.8

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise SamicError(f"unknown prompt rule {self.kind!r}; use one of {RULE_KINDS}")
        if self.points_per_component < 1 or self.max_components < 1:
            raise SamicError("a prompt rule needs at least 1 point and 1 component")

    @classmethod
    def parse(cls, text: str) -> PromptRule:
        """'interior', 'interior:5' (5 clicks per component at most) or 'centroid'."""
        kind, _, count = text.partition(":")
        if not count:
            return cls(kind=kind)
        try:
            return cls(kind=kind, points_per_component=int(count))
        except ValueError:
            raise SamicError(f"prompt rule must be KIND or KIND:N, got {text!r}") from None

    def describe(self) -> dict:
        return asdict(self)

    def component_points(self, mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per kept component, largest first: (its (H, W) bool pixels, its (N, 2) xy clicks)."""
        n, labels, stats, centroids = cv2.connectedComponentsWithStats(
            np.asarray(mask, np.uint8), connectivity=8
        )
        order = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= self.min_area]
        order.sort(key=lambda i: -stats[i, cv2.CC_STAT_AREA])
        out = []
        for i in order[: self.max_components]:
            pixels = labels == i
            if self.kind == "centroid":
                pts = centroids[i][None].astype(np.float64)
            else:
                pts = self._interior_points(pixels)
            out.append((pixels, pts))
        return out

    def points(self, mask: np.ndarray) -> np.ndarray:
        """(N, 2) float64 clicks (x, y) in pixels for a (H, W) bool mask; (0, 2) if it is empty."""
        parts = [pts for _, pts in self.component_points(mask)]
        return np.concatenate(parts, 0) if parts else np.zeros((0, 2), np.float64)

    def _interior_points(self, pixels: np.ndarray) -> np.ndarray:
        # Pad with background so the image border counts as an edge: clicks stay off borders.
        padded = np.pad(pixels.astype(np.uint8), 1)
        depth = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]  # (H, W) float32
        deepest = float(depth.max())
        ys, xs = np.nonzero(pixels)
        d = depth[ys, xs].astype(np.float64)  # (P,)
        first = int(np.argmax(d))
        chosen = [first]
        nearest = np.hypot(xs - xs[first], ys - ys[first])  # distance to the nearest click
        eligible = d >= self.min_depth * deepest
        for _ in range(self.points_per_component - 1):
            ok = eligible & (nearest >= self.min_separation * deepest)
            if not ok.any():
                break
            score = np.where(ok, np.minimum(d, nearest), -1.0)
            k = int(np.argmax(score))
            chosen.append(k)
            nearest = np.minimum(nearest, np.hypot(xs - xs[k], ys - ys[k]))
        return np.stack([xs[chosen], ys[chosen]], 1).astype(np.float64)
