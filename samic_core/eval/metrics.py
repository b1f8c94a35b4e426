"""Segmentation and prompt metrics.

IoU follows HSNet's common/evaluation.py + common/logger.py: per episode the background and
foreground intersection and union pixel counts are added to per-class sums; a class's IoU is its
summed foreground intersection over its summed union (clamped to >= 1 pixel), mIoU is the mean of
the class IoUs, and FB-IoU is the mean over {background, foreground} of (intersection summed
over classes / union summed over classes). All values are fractions in [0, 1].

Prompt metrics do not depend on SAM: point precision (share of positive points on the object),
instance recall (share of ground-truth parts hit by a positive point) and the oracle segmenter,
which turns each positive point into the ground-truth part that contains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def intersection_union(
    pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(2,) int64 intersection and union pixel counts, index 0 background, 1 foreground.

    ignore: pixels counted in neither (HSNet's Pascal borders, label 255).
    """
    pred = np.asarray(pred, bool)
    gt = np.asarray(gt, bool)
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} differ in shape")
    if ignore is not None:
        keep = ~np.asarray(ignore, bool)
        pred, gt = pred[keep], gt[keep]
    fg_i = int(np.count_nonzero(pred & gt))
    fg_u = int(np.count_nonzero(pred | gt))
    bg_i = int(np.count_nonzero(~pred & ~gt))
    bg_u = int(np.count_nonzero(~pred | ~gt))
    return np.array([bg_i, fg_i], np.int64), np.array([bg_u, fg_u], np.int64)


@dataclass
class IoUMeter:
    """Per-class sums of background/foreground intersection and union over episodes."""

    inter: dict[str, np.ndarray] = field(default_factory=dict)
    union: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, class_name: str, inter: np.ndarray, union: np.ndarray) -> None:
        if class_name not in self.inter:
            self.inter[class_name] = np.zeros(2, np.int64)
            self.union[class_name] = np.zeros(2, np.int64)
        self.inter[class_name] += inter
        self.union[class_name] += union

    def update(self, class_name: str, pred: np.ndarray, gt: np.ndarray) -> float:
        """Add one episode; returns that episode's own foreground IoU."""
        inter, union = intersection_union(pred, gt)
        self.add(class_name, inter, union)
        return float(inter[1] / max(union[1], 1))

    def class_iou(self) -> dict[str, float]:
        """Foreground IoU per class."""
        return {c: float(self.inter[c][1] / max(self.union[c][1], 1)) for c in self.inter}

    def miou(self) -> float:
        ious = list(self.class_iou().values())
        return float(np.mean(ious)) if ious else 0.0

    def fb_iou(self) -> float:
        if not self.inter:
            return 0.0
        inter = np.sum(list(self.inter.values()), axis=0)  # (2,)
        union = np.sum(list(self.union.values()), axis=0)
        return float(np.mean(inter / np.maximum(union, 1)))


# ---- prompt metrics ------------------------------------------------------------------------
def point_pixels(
    points: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, valid): the pixel of each (x, y) point and whether it lies in the image.

    Pixel (i, j) covers x in [j - 0.5, j + 0.5), y in [i - 0.5, i + 0.5) (samic_core.heatmap).
    """
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    cols = np.floor(pts[:, 0] + 0.5).astype(np.int64)
    rows = np.floor(pts[:, 1] + 0.5).astype(np.int64)
    valid = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return np.where(valid, rows, 0), np.where(valid, cols, 0), valid


def points_inside(points: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(N,) bool: which points fall on a foreground pixel of `mask`."""
    rows, cols, valid = point_pixels(points, mask.shape)
    return valid & np.asarray(mask, bool)[rows, cols]


def components_hit(points: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Sorted ids (>= 1) of the parts in `components` (H, W) int that some point falls on."""
    rows, cols, valid = point_pixels(points, components.shape)
    ids = components[rows[valid], cols[valid]]
    return np.unique(ids[ids > 0])


def oracle_mask(points: np.ndarray, components: np.ndarray) -> np.ndarray:
    """The oracle segmenter: the union of the ground-truth parts that contain a point."""
    return np.isin(components, components_hit(points, components))


@dataclass
class PromptCounts:
    """Counts behind point precision and instance recall, summed over a class's episodes."""

    points: int = 0
    inside: int = 0
    components: int = 0
    hit: int = 0
    episodes: int = 0
    empty: int = 0  # episodes with no positive point

    def add(self, other: PromptCounts) -> None:
        self.points += other.points
        self.inside += other.inside
        self.components += other.components
        self.hit += other.hit
        self.episodes += other.episodes
        self.empty += other.empty

    @property
    def precision(self) -> float | None:
        return self.inside / self.points if self.points else None

    @property
    def recall(self) -> float | None:
        return self.hit / self.components if self.components else None


def prompt_counts(points: np.ndarray, mask: np.ndarray, components: np.ndarray) -> PromptCounts:
    """One episode's counts for positive `points` (N, 2) against the query's ground truth."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    return PromptCounts(
        points=len(pts),
        inside=int(points_inside(pts, mask).sum()),
        components=int(components.max(initial=0)),
        hit=len(components_hit(pts, components)),
        episodes=1,
        empty=int(len(pts) == 0),
    )


@dataclass
class PromptMeter:
    """Prompt metrics per class; means are over the classes where the metric is defined."""

    per_class: dict[str, PromptCounts] = field(default_factory=dict)

    def add(self, class_name: str, counts: PromptCounts) -> None:
        self.per_class.setdefault(class_name, PromptCounts()).add(counts)

    def _mean(self, values: list[float | None]) -> float | None:
        defined = [v for v in values if v is not None]
        return float(np.mean(defined)) if defined else None

    def point_precision(self) -> float | None:
        return self._mean([c.precision for c in self.per_class.values()])

    def instance_recall(self) -> float | None:
        return self._mean([c.recall for c in self.per_class.values()])

    def points_per_image(self) -> float:
        total = sum(c.points for c in self.per_class.values())
        episodes = sum(c.episodes for c in self.per_class.values())
        return total / episodes if episodes else 0.0
