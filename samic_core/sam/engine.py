"""SamEngine: the click engine on Meta's SAM 1 (segment_anything).

Decoding follows segment_anything's SamPredictor.predict step for step (same transforms, prompt
encoder, mask decoder and post-processing), so masks are identical to SamPredictor's; it only
post-processes the one mask it returns, which keeps a click close to the bare decoder's cost.
Everything shared with SAM 2.1 (cache, batching, locks, candidates) is in click_engine.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from segment_anything.utils.transforms import ResizeLongestSide
from torch import nn

from samic_core.sam.click_engine import ClickEngine, ObjectsResult
from samic_core.sam.guided import GuidedParts, at_least_centre
from samic_core.sam.loading import load_sam
from samic_core.sam.types import ImageEmbedding, PreparedImage, check_rgb

__all__ = ["ObjectsResult", "SamEngine"]


class SamEngine(ClickEngine):
    """A loaded SAM 1 model (vit_b / vit_l / vit_h or a custom size) with an embedding cache."""

    family = "sam"

    def _load(self, model_type: str) -> str:
        sam, found = load_sam(self.checkpoint, model_type)
        self.sam = sam.to(self.device)
        self.mask_threshold = float(self.sam.mask_threshold)  # type: ignore[misc]
        self._transform = ResizeLongestSide(self.sam.image_encoder.img_size)  # SamPredictor's
        return found

    def prepare(
        self, image: np.ndarray, image_sha256: str | None = None, name: str = ""
    ) -> PreparedImage:
        """ResizeLongestSide to 1024, as SamPredictor.set_image does."""
        check_rgb(image)
        pixels = self._transform.apply_image(image)
        return PreparedImage(pixels, (int(image.shape[0]), int(image.shape[1])), image_sha256, name)

    def prepare_overview(
        self,
        overview: np.ndarray,
        original_size: tuple[int, int],
        image_sha256: str | None = None,
        name: str = "",
    ) -> PreparedImage:
        """The overview resized straight to the input size of the full image, so the embedding's
        input size is exactly the one `prepare` gives the full image."""
        side = self._transform.target_length
        h, w = self._transform.get_preprocess_shape(*original_size, side)
        fitted = cv2.resize(np.asarray(overview), (w, h), interpolation=cv2.INTER_AREA)
        return super().prepare_overview(fitted, original_size, image_sha256, name)

    def _input_tensor(self, prepared: PreparedImage) -> torch.Tensor:
        x = torch.as_tensor(prepared.pixels, device=self.device).permute(2, 0, 1).contiguous()
        return self.sam.preprocess(x[None])  # normalise and pad to 1024x1024, as SamPredictor

    def _encoder(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (self.sam.image_encoder(x),)  # (B, 256, 64, 64)

    @property
    def image_encoder(self) -> nn.Module:
        return self.sam.image_encoder

    @property
    def encoder_blocks(self) -> Sequence[nn.Module]:
        return self.sam.image_encoder.blocks

    @property
    def embedding_shapes(self) -> tuple[tuple[int, ...], ...]:
        pe = self.sam.prompt_encoder
        h, w = pe.image_embedding_size
        return ((1, int(pe.embed_dim), int(h), int(w)),)

    def input_coords(self, points: np.ndarray, original_size: tuple[int, int]) -> np.ndarray:
        return self._transform.apply_coords(np.asarray(points, np.float64), original_size)

    def _run_decoder(
        self,
        emb: ImageEmbedding,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        box: torch.Tensor | None,
        mask_in: torch.Tensor | None,
        multimask: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        sparse, dense = self.sam.prompt_encoder(points=points, boxes=box, masks=mask_in)
        return self.sam.mask_decoder(
            image_embeddings=emb.features,
            image_pe=self.sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
        )

    def upscale_logits(self, low_res: torch.Tensor, emb: ImageEmbedding) -> torch.Tensor:
        return self.sam.postprocess_masks(low_res, emb.input_size, emb.original_size)

    def frame_logits(self, low_res: torch.Tensor, emb: ImageEmbedding) -> torch.Tensor:
        """postprocess_masks up to its last resize: to the padded square, the padding cut."""
        size = self.sam.image_encoder.img_size
        square = F.interpolate(low_res.float(), (size, size), mode="bilinear", align_corners=False)
        return square[..., : emb.input_size[0], : emb.input_size[1]]

    def feature_coverage(self, mask: np.ndarray, emb: ImageEmbedding) -> torch.Tensor:
        """PerSAM's rule: the mask goes through SAM's resize, pixel normalisation and padding,
        is resized bilinearly to the grid, and cells > 0 count."""
        size = self.sam.image_encoder.img_size
        ih, iw = emb.input_size
        m = cv2.resize(np.asarray(mask, np.uint8) * 255, (iw, ih), interpolation=cv2.INTER_LINEAR)
        mean = float(self.sam.pixel_mean.flatten()[0])
        std = float(self.sam.pixel_std.flatten()[0])
        norm = torch.zeros(1, 1, size, size)
        norm[0, 0, :ih, :iw] = (torch.from_numpy(m).float() - mean) / std  # padding stays 0
        grid = F.interpolate(norm, size=emb.features.shape[-2:], mode="bilinear")[0, 0]
        return at_least_centre(grid > 0, mask, emb.input_size, size)

    def _guided_parts(self) -> GuidedParts:
        dec = self.sam.mask_decoder
        return GuidedParts(
            prompt_encoder=self.sam.prompt_encoder,
            transformer=dec.transformer,
            prefix=[dec.iou_token.weight, dec.mask_tokens.weight],
            upscale=lambda src, _emb: dec.output_upscaling(src),
            hypernetworks=dec.output_hypernetworks_mlps,
            iou_head=dec.iou_prediction_head,
        )
