"""Values passed between the app and the SAM service: engine config, decode request/result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sambox.model.document import PromptKey


@dataclass(frozen=True, eq=False)
class DecodeRequest:
    """Decode one object's prompts; mask_input (1, 256, 256) is the previous low-res logits."""

    request_id: int
    image_path: Path
    object_id: int
    key: PromptKey
    mask_input: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class DecodeResult:
    """mask (H, W) bool; low_res (1, 256, 256) float32; seconds = model time in the worker."""

    request: DecodeRequest
    mask: np.ndarray
    score: float
    low_res: np.ndarray
    candidate: int | None
    candidate_scores: tuple[float, ...]
    seconds: float


@dataclass(frozen=True)
class EngineConfig:
    """How to build the engine; `cache_dir` None = the user cache."""

    checkpoint: Path
    model_type: str = "auto"
    device: str = "auto"
    cache_dir: Path | None = None
    cache_dtype: str = "float32"
    cache_max_gb: float | None = None  # None: SAMIC_CACHE_MAX_GB or the default (10 GiB)
    precision: str = "auto"  # encoder autocast: bf16 on CUDA, fp32 on CPU (samic_core.precision)
