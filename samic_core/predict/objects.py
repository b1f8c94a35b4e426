"""Point prompts -> SAM objects: each peak its own object, duplicates of one object dropped.

A peak whose mask is the same object as a stronger peak's (mask IoU >= DUPLICATE_IOU) is
dropped, so one object is not written twice when SAMIC puts two peaks on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.types import ImageEmbedding, MaskResult, Prompt, placed_iou

DUPLICATE_IOU = 0.7
PLACED_PIXELS = 1 << 24  # suggestions on images bigger than this keep masks as rectangles
Found = list[tuple[np.ndarray, MaskResult]]  # [(points (N, 2) xy, SAM's mask for them)]


class Decoder(Protocol):
    """What prompts objects on one image: its whole embedding (`WholeImage`) or its tiles
    (samic_core.sam.tiled.TiledImage); points in image pixels."""

    def decode(self, prompt: Prompt) -> MaskResult: ...

    def decode_points(self, points: np.ndarray) -> list[MaskResult]: ...


@dataclass
class WholeImage:
    """A click engine and one image's embedding, as a Decoder. crop: keep each mask as its
    bounding rectangle (`MaskResult.origin`), upscaled only there (ClickEngine's `placed`), as
    tiles do: what auto-annotation holds of a big image's hundreds of objects is then their
    size, and no full-size mask is ever made."""

    engine: ClickEngine
    emb: ImageEmbedding
    crop: bool = False

    def decode(self, prompt: Prompt) -> MaskResult:
        return self.engine.decode(self.emb, prompt, placed=self.crop)

    def decode_points(self, points: np.ndarray) -> list[MaskResult]:
        return self.engine.decode_points(self.emb, points, placed=self.crop)


def prompt_objects(
    engine: ClickEngine, emb: ImageEmbedding, points: np.ndarray, one_prompt: bool = False
) -> Found:
    """SAM's objects for peaks `points` (N, 2) xy on a whole-image embedding (`decode_objects`);
    on an image over PLACED_PIXELS each mask is its bounding rectangle (`MaskResult.origin`)."""
    h, w = emb.original_size
    return decode_objects(WholeImage(engine, emb, crop=h * w > PLACED_PIXELS), points, one_prompt)


def decode_objects(decoder: Decoder, points: np.ndarray, one_prompt: bool = False) -> Found:
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
        results = [decoder.decode(Prompt.from_points(points))]
    else:
        groups = [points[i : i + 1] for i in range(len(points))]
        results = decoder.decode_points(points)
    out: Found = []
    for pts, result in zip(groups, results, strict=True):
        if not result.mask.any():
            continue
        if any(placed_iou(result, kept) >= DUPLICATE_IOU for _, kept in out):
            continue  # SAM puts this peak into an object already found
        out.append((pts, result))
    return out
