"""The steps each click engine implements for its model (SAM 1: engine.py, SAM 2.1:
sam2_engine.py); ClickEngine (click_engine.py) writes everything else once on top of them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from samic_core.sam.guided import GuidedParts
from samic_core.sam.types import ImageEmbedding, PreparedImage


class EngineSteps(ABC):
    """The model-specific part of a click engine."""

    @abstractmethod
    def _load(self, model_type: str) -> str:
        """Build the model from self.checkpoint onto self.device; return its type name."""

    @abstractmethod
    def prepare(
        self, image: np.ndarray, image_sha256: str | None = None, name: str = ""
    ) -> PreparedImage:
        """Resize an RGB uint8 (H, W, 3) image for the encoder, as the model's own predictor
        does. Stateless and thread-safe: loader threads prepare the next images while one
        encodes."""

    @abstractmethod
    def _input_tensor(self, prepared: PreparedImage) -> torch.Tensor:
        """(1, 3, S, S) encoder input on the device (normalised, padded where the model pads)."""

    @abstractmethod
    def _encoder(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The encoder on (B, 3, S, S): the feature maps, (B, 256, 64, 64) first."""

    @property
    @abstractmethod
    def image_encoder(self) -> nn.Module:
        """The image encoder (what `encode` runs; its size is what an annotator waits for)."""

    @property
    @abstractmethod
    def encoder_blocks(self) -> Sequence[nn.Module]:
        """The encoder's transformer blocks (progress is reported between them)."""

    @property
    @abstractmethod
    def embedding_shapes(self) -> tuple[tuple[int, ...], ...]:
        """(1, C, H, W) of each feature map of one image (a cache entry must have them)."""

    @abstractmethod
    def input_coords(self, points: np.ndarray, original_size: tuple[int, int]) -> np.ndarray:
        """(N, 2) xy image pixels -> the prompt encoder's input frame."""

    @abstractmethod
    def _run_decoder(
        self,
        emb: ImageEmbedding,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        box: torch.Tensor | None,
        mask_in: torch.Tensor | None,
        multimask: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompt encoder + mask decoder: (B, C, 256, 256) low-res logits, (B, C) predicted IoU.

        points: coords (B, N, 2) in the input frame and labels (B, N); box (B, 4) in the input
        frame; mask_in (B, 1, 256, 256). Called under the decode lock."""

    @abstractmethod
    def upscale_logits(self, low_res: torch.Tensor, emb: ImageEmbedding) -> torch.Tensor:
        """(B, C, h, w) logits on the input frame -> (B, C, H, W) at the image's size."""

    @abstractmethod
    def frame_logits(self, low_res: torch.Tensor, emb: ImageEmbedding) -> torch.Tensor:
        """(B, C, h, w) low-res logits -> the logits whose bilinear resize to the image's size
        is `upscale_logits` (for a mask upscaled only in its rectangle: sam/placed.py)."""

    @abstractmethod
    def feature_coverage(self, mask: np.ndarray, emb: ImageEmbedding) -> torch.Tensor:
        """(h, w) bool cells of the (1, C, h, w) embedding an (H, W) mask covers (PerSAM)."""

    @abstractmethod
    def _guided_parts(self) -> GuidedParts:
        """The prompt encoder and mask decoder parts `guided_decode` runs (guided.py)."""
