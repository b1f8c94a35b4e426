"""Point prompts -> SAM objects: each peak its own object, duplicates of one object dropped.

A peak whose mask is the same object as a stronger peak's (mask IoU >= DUPLICATE_IOU) is
dropped, so one object is not written twice when SAMIC puts two peaks on it.
"""

from __future__ import annotations

import numpy as np

from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.types import ImageEmbedding, MaskResult, Prompt

DUPLICATE_IOU = 0.7
Found = list[tuple[np.ndarray, MaskResult]]  # [(points (N, 2) xy, SAM's mask for them)]


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def prompt_objects(
    engine: ClickEngine, emb: ImageEmbedding, points: np.ndarray, one_prompt: bool = False
) -> Found:
    """SAM's objects for peaks `points` (N, 2) xy, strongest first.

    Each point is a lone positive click decoded in batches (ClickEngine.decode_points); empty
    masks and masks that repeat a stronger peak's object are dropped. one_prompt: all points
    are one object's prompt.
    """
    points = np.asarray(points, np.float64).reshape(-1, 2)
    if len(points) == 0:
        return []
    if one_prompt:
        groups = [points]
        results = [engine.decode(emb, Prompt.from_points(points))]
    else:
        groups = [points[i : i + 1] for i in range(len(points))]
        results = engine.decode_points(emb, points)
    out: Found = []
    for pts, result in zip(groups, results, strict=True):
        if not result.mask.any():
            continue
        if any(mask_iou(result.mask, kept.mask) >= DUPLICATE_IOU for _, kept in out):
            continue  # SAM puts this peak into an object already found
        out.append((pts, result))
    return out
