"""The points SAMIC learns an object from: its clicks, or for an object drawn by hand its mask's
deepest point.

SAMIC learns where an annotator clicks. An object drawn with the polygon or the brush, or with a
box only, has a mask but no positive click; rather than teach nothing, it stands for one click
at the pixel farthest from the edge of its mask (the maximum of the distance transform), in the
largest piece when the mask is in several. The image border counts as an edge, and of a ridge
of equal depth (a rectangle's middle line) the pixel nearest the ridge's centre is taken.
"""

from __future__ import annotations

import cv2
import numpy as np

from samic_core.annotation.models import AnnotatedObject

XY = tuple[float, float]


def deepest_point(mask: np.ndarray) -> XY | None:
    """(x, y) of the pixel of `mask` farthest from its outline, in its largest 8-connected
    piece; None when the mask is empty. A click there is inside the object, away from its edges."""
    m = np.asarray(mask, bool)
    if not m.any():
        return None
    x0, y0, w, h = cv2.boundingRect(m.astype(np.uint8))
    crop = np.pad(m[y0 : y0 + h, x0 : x0 + w], 1).astype(np.uint8)  # the border is an edge
    n, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    largest = 1 + int(np.argmax(stats[1:n, cv2.CC_STAT_AREA]))
    piece = (labels == largest).astype(np.uint8)
    depth = cv2.distanceTransform(piece, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ys, xs = np.nonzero(depth >= depth.max())
    k = int(np.argmin((xs - xs.mean()) ** 2 + (ys - ys.mean()) ** 2))  # middle of a ridge
    return float(x0 + xs[k] - 1), float(y0 + ys[k] - 1)


def object_points(obj: AnnotatedObject, instances: np.ndarray | None) -> list[XY]:
    """The xy points SAMIC learns `obj` from: its positive clicks, else the deepest point of its
    pixels in the (H, W) instance map (none when it has no pixel there or no map is given)."""
    clicks = [(p.x, p.y) for p in obj.positive_points]
    if clicks or instances is None:
        return clicks
    point = deepest_point(instances == obj.id)
    return [] if point is None else [point]


def mask_object_radius(mask: np.ndarray) -> float | None:
    """Median equivalent radius sqrt(area / pi) of the mask's connected regions, as a fraction
    of its longer side (what reference_object_radius gives from a SAMBOX annotation)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(np.asarray(mask, np.uint8), connectivity=8)
    areas = stats[1:n, cv2.CC_STAT_AREA].astype(np.float64)
    if len(areas) == 0:
        return None
    return float(np.median(np.sqrt(areas / np.pi)) / max(mask.shape))
