"""Values passed between the SAM engine, the cache, the CLI and the app (numpy-facing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from samic_core.tiles.crop import paste


@dataclass
class ImageEmbedding:
    """A click engine's image embedding for one image.

    features: (1, 256, 64, 64) float32 on the engine's device (SAM's image embedding, SAM 2's
    `image_embed`). high_res: the engine's further feature maps, empty for SAM 1; for SAM 2.1
    its two high-resolution maps (1, 32, 256, 256) and (1, 64, 128, 128), already projected by
    the mask decoder's conv_s0 / conv_s1 as SAM2ImagePredictor keeps them.
    original_size: (H, W) of the image; input_size: (h, w) of the image as the encoder saw it
    before padding (SAM 1: ResizeLongestSide(1024); SAM 2: the 1024 x 1024 square).
    """

    features: torch.Tensor
    original_size: tuple[int, int]
    input_size: tuple[int, int]
    model_id: str
    image_sha256: str | None = None
    high_res: tuple[torch.Tensor, ...] = ()

    @property
    def maps(self) -> tuple[torch.Tensor, ...]:
        """Every feature map, `features` first (what the cache stores)."""
        return (self.features, *self.high_res)

    def to(self, device: torch.device | str) -> ImageEmbedding:
        """The same embedding with its maps on `device` (itself when they are there already)."""
        if self.features.device == torch.device(device):
            return self
        return ImageEmbedding(
            self.features.to(device),
            self.original_size,
            self.input_size,
            self.model_id,
            self.image_sha256,
            tuple(m.to(device) for m in self.high_res),
        )


@dataclass(frozen=True)
class PreparedImage:
    """An image made ready for a click engine's encoder, ready to be batched.

    pixels: what that engine's encoder takes (SAM 1: (h, w, 3) uint8 after ResizeLongestSide;
    SAM 2: (3, 1024, 1024) float32, resized and normalised as SAM2Transforms does);
    input_size: (h, w) the encoder sees before padding; original_size: (H, W) of the file's
    image. Made by `ClickEngine.prepare`, which loader threads may call while the encoder runs.
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    image_sha256: str | None = None
    name: str = ""
    input_size: tuple[int, int] | None = None  # None: pixels' own (h, w) (SAM 1)


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
    A decode in tiles of a big image (sam/tiled.py) keeps only the mask's bounding rectangle:
    `mask` is then (h, w) with its top-left pixel at `origin` (y, x) of the image, and
    low_res_logits belong to the tile `tile` (y0, x0, y1, x1) it was decoded in.
    """

    mask: np.ndarray
    score: float
    low_res_logits: np.ndarray
    candidate: int | None
    candidate_scores: np.ndarray
    origin: tuple[int, int] = (0, 0)
    tile: tuple[int, int, int, int] | None = None

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(y0, x0, y1, x1) of `mask` in the image."""
        y, x = self.origin
        return y, x, y + int(self.mask.shape[0]), x + int(self.mask.shape[1])

    def full_mask(self, hw: tuple[int, int]) -> np.ndarray:
        """The mask at the image's size (H, W) (itself when it is already that)."""
        if self.origin == (0, 0) and tuple(self.mask.shape) == tuple(hw):
            return self.mask
        return paste(self.mask, self.origin, hw)


def placed_iou(a: MaskResult, b: MaskResult) -> float:
    """IoU of two masks placed in one image (each at its origin), without full-size copies."""
    ay0, ax0, ay1, ax1 = a.box
    by0, bx0, by1, bx1 = b.box
    union = int(a.mask.sum()) + int(b.mask.sum())
    y0, x0, y1, x1 = max(ay0, by0), max(ax0, bx0), min(ay1, by1), min(ax1, bx1)
    if y0 >= y1 or x0 >= x1 or union == 0:
        return 0.0
    pa = a.mask[y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0]
    pb = b.mask[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0]
    inter = int(np.logical_and(pa, pb).sum())
    return inter / (union - inter) if union > inter else 0.0


def check_rgb(image: np.ndarray) -> None:
    """ValueError unless `image` is RGB uint8 (H, W, 3), what every engine's prepare takes."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 (H, W, 3) image, got {image.shape} {image.dtype}")
