"""Sam2Engine: the click engine on Meta's SAM 2.1 (the `sam2` package).

Encoding and decoding follow SAM2ImagePredictor step for step: SAM2Transforms (a 1024 x 1024
square, ImageNet normalisation), forward_image with the decoder's high-resolution projections,
the no-memory embedding added to the lowest-resolution map, points and a box given to the prompt
encoder as one point set (box corners labelled 2 and 3, first), the decoder with its dynamic
multimask fallback, and a bilinear upscale to the image; so masks equal the predictor's.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.guided import GuidedParts, at_least_centre
from samic_core.sam.sam2_loading import load_sam2
from samic_core.sam.types import ImageEmbedding, PreparedImage, check_rgb


class Sam2Engine(ClickEngine):
    """A loaded SAM 2.1 model (hiera t / s / b+ / l) with an embedding cache."""

    family = "sam2"
    logit_clamp = 32.0  # SAM2ImagePredictor hands back low-res logits clamped to +-32

    def _load(self, model_type: str) -> str:
        from sam2.utils.transforms import SAM2Transforms

        model, found = load_sam2(self.checkpoint, model_type)
        self.model: Any = model.to(self.device)  # sam2's SAM2Base (sam2 ships no types)
        self.size = int(self.model.image_size)
        with warnings.catch_warnings():  # sam2 scripts its transforms; torch 2.14 calls that
            warnings.simplefilter("ignore", FutureWarning)  # deprecated, which users can't fix
            self._transforms = SAM2Transforms(resolution=self.size, mask_threshold=0.0)
        s = self.size
        self._feat_sizes = [(s // 4, s // 4), (s // 8, s // 8), (s // 16, s // 16)]
        return found

    def prepare(
        self, image: np.ndarray, image_sha256: str | None = None, name: str = ""
    ) -> PreparedImage:
        """SAM2Transforms: to a 1024 x 1024 square, normalised; (3, 1024, 1024) float32."""
        check_rgb(image)
        pixels = self._transforms(image).numpy()
        return PreparedImage(
            pixels, (int(image.shape[0]), int(image.shape[1])), image_sha256, name,
            input_size=(self.size, self.size),
        )  # fmt: skip

    def _input_tensor(self, prepared: PreparedImage) -> torch.Tensor:
        return torch.as_tensor(prepared.pixels, device=self.device)[None]

    def _encoder(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """image_embed (B, 256, 64, 64), then high_res_feats (B, 32, 256, 256) and
        (B, 64, 128, 128)."""
        backbone_out = self.model.forward_image(x)
        _, vision_feats, _, _ = self.model._prepare_backbone_features(backbone_out)
        if self.model.directly_add_no_mem_embed:
            vision_feats[-1] = vision_feats[-1] + self.model.no_mem_embed
        b = x.shape[0]
        feats = [
            f.permute(1, 2, 0).reshape(b, -1, *size)  # (HW, B, C) -> (B, C, H, W)
            for f, size in zip(vision_feats[::-1], self._feat_sizes[::-1], strict=False)
        ][::-1]
        return (feats[-1], *feats[:-1])

    @property
    def image_encoder(self) -> nn.Module:
        return self.model.image_encoder

    @property
    def encoder_blocks(self) -> Sequence[nn.Module]:
        return self.model.image_encoder.trunk.blocks

    @property
    def embedding_shapes(self) -> tuple[tuple[int, ...], ...]:
        dim = int(self.model.sam_prompt_encoder.embed_dim)
        (h0, w0), (h1, w1), (h2, w2) = self._feat_sizes
        shapes: list[tuple[int, ...]] = [(1, dim, h2, w2)]
        if self.model.use_high_res_features_in_sam:
            dec = self.model.sam_mask_decoder
            shapes += [(1, int(dec.conv_s0.out_channels), h0, w0),
                       (1, int(dec.conv_s1.out_channels), h1, w1)]  # fmt: skip
        return tuple(shapes)

    def input_coords(self, points: np.ndarray, original_size: tuple[int, int]) -> np.ndarray:
        h, w = original_size
        pts = np.asarray(points, np.float64).copy()
        pts[..., 0] = pts[..., 0] / w * self.size
        pts[..., 1] = pts[..., 1] / h * self.size
        return pts

    def _run_decoder(
        self,
        emb: ImageEmbedding,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        box: torch.Tensor | None,
        mask_in: torch.Tensor | None,
        multimask: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if box is not None:  # box corners first, labelled 2 and 3 (SAM2ImagePredictor._predict)
            corners = box.reshape(-1, 2, 2)
            corner_labels = torch.tensor([[2, 3]], dtype=torch.int, device=box.device)
            corner_labels = corner_labels.repeat(corners.shape[0], 1)
            if points is not None:
                points = (
                    torch.cat([corners, points[0]], 1),
                    torch.cat([corner_labels, points[1]], 1),
                )
            else:
                points = (corners, corner_labels)
        pe = self.model.sam_prompt_encoder
        sparse, dense = pe(points=points, boxes=None, masks=mask_in)
        batched = points is not None and points[0].shape[0] > 1
        low_res, iou, _, _ = self.model.sam_mask_decoder(
            image_embeddings=emb.features,
            image_pe=pe.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
            repeat_image=batched,
            high_res_features=list(emb.high_res),
        )
        return low_res, iou

    def upscale_logits(self, low_res: torch.Tensor, emb: ImageEmbedding) -> torch.Tensor:
        return F.interpolate(
            low_res.float(), emb.original_size, mode="bilinear", align_corners=False
        )

    def frame_logits(self, low_res: torch.Tensor, emb: ImageEmbedding) -> torch.Tensor:
        return low_res.float()  # SAM2Transforms resizes the low-res logits straight to the image

    def feature_coverage(self, mask: np.ndarray, emb: ImageEmbedding) -> torch.Tensor:
        """PerSAM's rule on SAM 2.1's input: the mask resized to the 1024 square, then
        bilinearly to the grid; cells more than half covered count."""
        m = cv2.resize(
            np.asarray(mask, np.float32), (self.size, self.size), interpolation=cv2.INTER_LINEAR
        )
        grid = F.interpolate(
            torch.from_numpy(m)[None, None], size=emb.features.shape[-2:], mode="bilinear"
        )
        return at_least_centre(grid[0, 0] > 0.5, mask, emb.input_size, self.size)

    def _select_outputs(
        self, low_res: torch.Tensor, iou: torch.Tensor, multimask: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dec = self.model.sam_mask_decoder
        if not multimask and dec.dynamic_multimask_via_stability and not dec.training:
            return dec._dynamic_multimask_via_stability(low_res, iou)
        return super()._select_outputs(low_res, iou, multimask)

    def _guided_parts(self) -> GuidedParts:
        dec = self.model.sam_mask_decoder
        prefix = [dec.iou_token.weight, dec.mask_tokens.weight]
        if dec.pred_obj_scores:
            prefix.insert(0, dec.obj_score_token.weight)

        def upscale(src: torch.Tensor, emb: ImageEmbedding) -> torch.Tensor:
            if not dec.use_high_res_features:
                return dec.output_upscaling(src)
            dc1, ln1, act1, dc2, act2 = dec.output_upscaling
            feat_s0, feat_s1 = emb.high_res
            return act2(dc2(act1(ln1(dc1(src) + feat_s1))) + feat_s0)

        return GuidedParts(
            prompt_encoder=self.model.sam_prompt_encoder,
            transformer=dec.transformer,
            prefix=prefix,
            upscale=upscale,
            hypernetworks=dec.output_hypernetworks_mlps,
            iou_head=dec.iou_prediction_head,
            iou_index=1 if dec.pred_obj_scores else 0,
        )
