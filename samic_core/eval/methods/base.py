"""What every compared method implements: take K references, put prompt points on a query.

A method returns positive (and optionally negative) points; the harness turns them into a mask
with the chosen segmenter. With the SAM segmenter, `segment` decodes the points with SAM; a
method with its own SAM pipeline (PerSAM's cascaded refinement) overrides it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from samic_core.errors import SamicError
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.types import ImageEmbedding, Prompt

SAM_GROUPINGS = ("joint", "per-point")

# Returns the SAM embedding of an image file (from the embedding cache when possible).
Embedder = Callable[[Path], ImageEmbedding]


@dataclass
class Reference:
    """One support image: (H, W, 3) uint8 RGB, (H, W) bool mask and (N, 2) xy positive clicks."""

    image: np.ndarray
    mask: np.ndarray
    points: np.ndarray
    path: Path


@dataclass
class Query:
    """The image to prompt: (H, W, 3) uint8 RGB and its file."""

    image: np.ndarray
    path: Path


@dataclass
class Prediction:
    """Prompt points for one query: (N, 2) float64 xy and (N,) int64 labels (1 pos, 0 neg)."""

    points: np.ndarray
    labels: np.ndarray
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def positives(cls, points: np.ndarray) -> Prediction:
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        return cls(pts, np.ones(len(pts), np.int64))

    @property
    def positive(self) -> np.ndarray:
        return self.points[self.labels == 1]


def sam_mask(
    engine: ClickEngine,
    emb: ImageEmbedding,
    points: np.ndarray,
    labels: np.ndarray,
    grouping: str = "per-point",
) -> np.ndarray:
    """SAM's (H, W) bool mask for prompt points; empty when there is no positive point.

    per-point: one decode per positive point (with all negative points) and the union of the
    masks, as `samic predict` makes one object per peak; joint: one decode with every point.
    """
    h, w = emb.original_size
    pos = points[labels == 1]
    if len(pos) == 0:
        return np.zeros((h, w), bool)
    if grouping == "joint":
        return engine.decode(emb, Prompt.from_points(points, labels)).mask
    if grouping != "per-point":
        raise SamicError(f"unknown SAM grouping {grouping!r}; use one of {SAM_GROUPINGS}")
    neg = points[labels == 0]
    prompts = [
        Prompt.from_points(
            np.concatenate([p[None], neg], 0), np.r_[1, np.zeros(len(neg), np.int64)]
        )
        for p in pos
    ]
    return engine.decode_objects(emb, prompts).union


class PromptMethod(ABC):
    """A way to place prompt points on a query image given K reference images."""

    name: ClassVar[str]
    needs_sam: ClassVar[bool] = False  # True when the points themselves come from SAM features

    @abstractmethod
    def set_references(self, references: list[Reference]) -> None: ...

    @abstractmethod
    def predict(self, query: Query) -> Prediction: ...

    def segment(
        self, engine: ClickEngine, emb: ImageEmbedding, prediction: Prediction, grouping: str
    ) -> np.ndarray:
        """The SAM segmenter's mask for this method's points."""
        return sam_mask(engine, emb, prediction.points, prediction.labels, grouping)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}
