"""Values passed between the app and the SAM service: engine config, decode request/result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sambox.model.document import PromptKey
from samic_core.config import EngineConfig

__all__ = ["DecodeRequest", "DecodeResult", "EngineConfig", "Rect"]

Rect = tuple[int, int, int, int]  # (y0, x0, y1, x1) in image pixels


@dataclass(frozen=True, eq=False)
class DecodeRequest:
    """Decode one object's prompts; mask_input (1, 256, 256) is the previous low-res logits."""

    request_id: int
    image_path: Path
    object_id: int
    key: PromptKey
    mask_input: np.ndarray | None = None
    # what the view showed (y0, x0, y1, x1 in image pixels) when the prompt was given: zoomed
    # in on a big image, the click is decoded in a tile (samic_core.tiles.spec.zoom_grid)
    view: Rect | None = None
    input_tile: Rect | None = None  # the tile mask_input's logits belong to (None: whole image)


@dataclass(frozen=True, eq=False)
class DecodeResult:
    """mask (H, W) bool, or on a big image its rectangle at `origin` (y, x); low_res (1, 256,
    256) float32; seconds = model time in the worker."""

    request: DecodeRequest
    mask: np.ndarray
    score: float
    low_res: np.ndarray
    candidate: int | None
    candidate_scores: tuple[float, ...]
    seconds: float
    tile: Rect | None = None  # the tile it was decoded in (y0, x0, y1, x1); None: whole image
    origin: tuple[int, int] = (0, 0)
