"""DAVIS video-object-segmentation metrics: J (region similarity) and F (boundary accuracy).

Both follow the DAVIS benchmark's reference code (davis2017-evaluation, `metrics.py`):

- J: the Jaccard index |P & G| / |P | G| of the frame's masks; 1 when both are empty.
- F: the boundary F-measure. The boundary of a mask is `seg2bmap` (a pixel is on the boundary
  when it differs from its right, lower or lower-right neighbour); a boundary pixel of one mask
  matches when the other mask's boundary, dilated by a disk of radius
  ceil(0.008 x image diagonal) pixels, covers it. Precision = matched predicted boundary /
  predicted boundary, recall = matched true boundary / true boundary, F = 2PR / (P + R);
  precision and recall are 1 for an empty boundary on both sides and 0/1 when one side is empty.
- Void: the functions take an optional void mask (left out of J, cleared from both masks before
  F), as the reference functions do. The reference evaluation itself turns void (255) into
  background when it reads an annotation, so the void mask it passes is never set: a prediction
  over a void border counts as a false positive. `samic eval` scores the same way (davis.py).
- A sequence's J (F) is the mean over its objects of each object's mean over the scored frames;
  DAVIS scores every frame except the first and the last. J&F is the mean of J and F.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

BOUND_TH = 0.008  # DAVIS: boundary tolerance as a fraction of the image diagonal


def jaccard(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None) -> float:
    """Region similarity J of one frame; 1.0 when both masks are empty."""
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} differ in shape")
    if void is not None:
        keep = ~np.asarray(void, bool)
        pred, gt = pred & keep, gt & keep
    union = np.count_nonzero(pred | gt)
    if union == 0:
        return 1.0
    return np.count_nonzero(pred & gt) / union


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """(H, W) bool boundary map of a mask, as DAVIS's `_seg2bmap` at the mask's own size."""
    seg = np.asarray(seg, bool)
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = False
    return b


def disk(radius: int) -> np.ndarray:
    """uint8 disk structuring element: (x, y) with x^2 + y^2 <= radius^2 (skimage's `disk`)."""
    r = np.arange(-radius, radius + 1)
    return ((r[:, None] ** 2 + r[None, :] ** 2) <= radius**2).astype(np.uint8)


def bound_pixels(shape: tuple[int, int], bound_th: float = BOUND_TH) -> int:
    """The dilation radius: bound_th itself when >= 1, else ceil(bound_th x diagonal)."""
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(*shape)))


def f_measure(
    pred: np.ndarray,
    gt: np.ndarray,
    void: np.ndarray | None = None,
    bound_th: float = BOUND_TH,
) -> float:
    """Boundary F-measure of one frame (DAVIS `f_measure`)."""
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} differ in shape")
    if void is not None:  # DAVIS clears void pixels in both masks before taking boundaries
        keep = ~np.asarray(void, bool)
        pred, gt = pred & keep, gt & keep
    kernel = disk(bound_pixels(gt.shape, bound_th))
    fg_b, gt_b = seg2bmap(pred), seg2bmap(gt)
    fg_dil = cv2.dilate(fg_b.astype(np.uint8), kernel).astype(bool)
    gt_dil = cv2.dilate(gt_b.astype(np.uint8), kernel).astype(bool)
    n_fg, n_gt = int(fg_b.sum()), int(gt_b.sum())
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        precision = int((fg_b & gt_dil).sum()) / n_fg
        recall = int((gt_b & fg_dil).sum()) / n_gt
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def scored_frames(n_frames: int) -> range:
    """DAVIS scores frames 1 .. n - 2 (not the first, whose mask is given, nor the last)."""
    return range(1, max(n_frames - 1, 1))


def summarise(per_object: dict[str, dict[str, list[float]]]) -> dict[str, float | None]:
    """Overall J, F and J&F: means over objects of each object's per-frame means."""
    j = [float(np.mean(v["J"])) for v in per_object.values() if v["J"]]
    f = [float(np.mean(v["F"])) for v in per_object.values() if v["F"]]
    jm = float(np.mean(j)) if j else None
    fm = float(np.mean(f)) if f else None
    jf = None if jm is None or fm is None else (jm + fm) / 2
    return {"J": jm, "F": fm, "J&F": jf}
