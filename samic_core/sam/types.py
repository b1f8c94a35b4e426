"""Values passed between the SAM engine, the cache, the CLI and the app (numpy-facing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class ImageEmbedding:
    """SAM's image embedding for one image.

    features: (1, 256, 64, 64) float32 on the engine's device.
    original_size: (H, W) of the image; input_size: (h, w) after ResizeLongestSide(1024).
    """

    features: torch.Tensor
    original_size: tuple[int, int]
    input_size: tuple[int, int]
    model_id: str
    image_sha256: str | None = None


@dataclass(frozen=True)
class PreparedImage:
    """An image resized for SAM's encoder (ResizeLongestSide to 1024), ready to be batched.

    pixels: (h, w, 3) uint8 after the resize; original_size: (H, W) of the file's image.
    Made by `SamEngine.prepare`, which loader threads may call while the encoder runs.
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    image_sha256: str | None = None
    name: str = ""


@dataclass
class Prompt:
    """The prompts of one object, in original-image pixels.

    points: (N, 2) float (x, y); labels: (N,) int, 1 positive / 0 negative;
    box: (4,) XYXY or None; mask_input: (1, 256, 256) low-res logits of an earlier decode or None.
    """

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float64))
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int64))
    box: np.ndarray | None = None
    mask_input: np.ndarray | None = None

    @classmethod
    def from_points(
        cls,
        points: list[tuple[float, float]] | np.ndarray,
        labels: list[int] | np.ndarray | None = None,
        box: Sequence[float] | np.ndarray | None = None,
        mask_input: np.ndarray | None = None,
    ) -> Prompt:
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        lab = np.ones(len(pts), np.int64) if labels is None else np.asarray(labels, np.int64)
        if lab.shape != (len(pts),):
            raise ValueError(f"{len(pts)} points but {lab.size} labels")
        b = None if box is None else np.asarray(box, np.float64).reshape(4)
        return cls(pts, lab, b, mask_input)

    @property
    def is_empty(self) -> bool:
        return len(self.points) == 0 and self.box is None


@dataclass
class MaskResult:
    """One decode: the chosen mask and SAM's predicted IoU (the confidence shown to annotators).

    mask: (H, W) bool; score: predicted IoU of that mask; low_res_logits: (1, 256, 256) float32,
    to feed back as `Prompt.mask_input`; candidate: which multimask output was chosen (None for
    the single-mask output); candidate_scores: predicted IoU of each returned output.
    """

    mask: np.ndarray
    score: float
    low_res_logits: np.ndarray
    candidate: int | None
    candidate_scores: np.ndarray
