"""Score point prompts against instance masks: recall, precision, oracle IoU, empty images.

Used by the multi-instance benchmark (scripts/bench_recall.py) and the learning tests. Unlike
the connected components of `samic eval`, instances come from an instance-id map, so touching
objects count apart. The oracle segmenter turns each point into the instance it lands in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from samic_core.peaks import PeakRule


def point_instance_ids(points: np.ndarray, instances: np.ndarray) -> np.ndarray:
    """(N,) instance id under each (x, y) point; 0 for background or outside the image."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    h, w = instances.shape
    xi = np.rint(pts[:, 0]).astype(int)
    yi = np.rint(pts[:, 1]).astype(int)
    inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    ids = np.zeros(len(pts), np.int64)
    ids[inside] = instances[yi[inside], xi[inside]]
    return ids


@dataclass
class PromptScores:
    """Counts summed over images; the properties are the benchmark's columns."""

    instances: int = 0
    found: int = 0  # instances with at least one point
    points: int = 0
    points_inside: int = 0
    duplicates: int = 0  # points beyond the first on an already found instance
    empty_images: int = 0
    empty_without_prompt: int = 0
    images: int = 0
    inter: float = 0.0  # oracle foreground intersection and union, summed over images
    union: float = 0.0
    per_image_points: list[int] = field(default_factory=list)

    def add(self, points: np.ndarray, instances: np.ndarray) -> None:
        ids = point_instance_ids(points, instances)
        gt_ids = set(np.unique(instances).tolist()) - {0}
        hit = set(ids.tolist()) - {0}
        self.images += 1
        self.instances += len(gt_ids)
        self.found += len(hit & gt_ids)
        self.points += len(ids)
        self.points_inside += int((ids > 0).sum())
        self.duplicates += int((ids > 0).sum()) - len(hit)
        self.per_image_points.append(len(ids))
        if not gt_ids:
            self.empty_images += 1
            self.empty_without_prompt += int(len(ids) == 0)
        pred = np.isin(instances, list(hit)) if hit else np.zeros(instances.shape, bool)
        gt = instances > 0
        self.inter += float((pred & gt).sum())
        self.union += float((pred | gt).sum())

    @property
    def recall(self) -> float:
        return self.found / self.instances if self.instances else float("nan")

    @property
    def precision(self) -> float:
        return self.points_inside / self.points if self.points else float("nan")

    @property
    def oracle_iou(self) -> float:
        return self.inter / self.union if self.union else float("nan")

    @property
    def empty_clean(self) -> float:
        """Share of images without the object that got no prompt."""
        if not self.empty_images:
            return float("nan")
        return self.empty_without_prompt / self.empty_images

    @property
    def points_per_image(self) -> float:
        return float(np.mean(self.per_image_points)) if self.per_image_points else 0.0

    def row(self) -> dict[str, float]:
        return {
            "recall": self.recall,
            "precision": self.precision,
            "oracle_iou": self.oracle_iou,
            "empty_clean": self.empty_clean,
            "points_per_image": self.points_per_image,
            "instances_per_image": self.instances / max(self.images - self.empty_images, 1),
        }


def parse_rules(text: str) -> dict[str, PeakRule | None]:
    """A benchmark's `--rules`: "model" (the model's own rule, None) plus extra nms rules
    written threshold/floor, comma-separated."""
    rules: dict[str, PeakRule | None] = {"model": None}
    for item in filter(None, text.split(",")):
        threshold, floor = (float(v) for v in item.split("/"))
        rules[f"nms {threshold:g}/{floor:g}"] = PeakRule(threshold=threshold, floor=floor)
    return rules
