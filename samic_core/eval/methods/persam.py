"""PerSAM, training-free (Zhang et al. 2023), on the project's SAM engine and embedding cache.

1. Target feature t: mean of the reference's SAM features (256, 64, 64) over the locations its
   mask covers (ClickEngine.feature_coverage: for SAM 1 the mask goes through SAM's resize,
   pixel normalisation and padding, is resized bilinearly to 64 x 64, and locations > 0 count).
   For K shots, the mean of the K shots' t.
2. Location confidence S (H, W): cosine similarity of t to each query feature location,
   upsampled x4 and post-processed to the image like a mask.
3. One positive point at argmax S and one negative point at argmin S.
4. With the SAM segmenter: a first decode with target-guided attention and target-semantic
   prompting (optional, on by default; ClickEngine.guided_decode, for SAM 1 and SAM 2.1 alike),
   then two cascaded refinements: same points with the
   previous low-res logits as mask_input (3 outputs, best score), then also the best mask's box.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from samic_core.errors import SamicError
from samic_core.eval.methods.base import Embedder, Prediction, PromptMethod, Query, Reference
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.types import ImageEmbedding, Prompt


class PerSamMethod(PromptMethod):
    """PerSAM's positive/negative location prior and, with SAM, its cascaded refinement."""

    name = "persam"
    needs_sam = True

    def __init__(self, engine: ClickEngine, embedder: Embedder, guidance: bool = True) -> None:
        self.engine = engine
        self.embedder = embedder
        self.guidance = guidance
        self.target: torch.Tensor | None = None  # (256,) un-normalised target feature t

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "guidance": self.guidance, "sam_model": self.engine.model_id}

    def set_references(self, references: list[Reference]) -> None:
        targets = []
        for ref in references:
            if not ref.mask.any():
                raise SamicError(f"{ref.path}: reference mask is empty")
            emb = self.embedder(ref.path)
            covered = self.engine.feature_coverage(ref.mask, emb).to(emb.features.device)
            feats = emb.features[0][:, covered]  # (256, n)
            targets.append(feats.float().mean(1))
        self.target = torch.stack(targets).mean(0)

    def similarity(self, emb: ImageEmbedding) -> torch.Tensor:
        """(H, W) cosine similarity of t to the query's features, at the image's size."""
        assert self.target is not None, "set_references first"
        feats = emb.features[0].float()  # (256, h, w)
        c, h, w = feats.shape
        feats = feats / feats.norm(dim=0, keepdim=True).clamp_min(1e-12)
        t = self.target / self.target.norm().clamp_min(1e-12)
        sim = (t @ feats.reshape(c, h * w)).reshape(1, 1, h, w)
        sim = F.interpolate(sim, scale_factor=4, mode="bilinear")
        return self.engine.upscale_logits(sim, emb)[0, 0]

    def predict(self, query: Query) -> Prediction:
        emb = self.embedder(query.path)
        sim = self.similarity(emb)  # (H, W)
        _, w = sim.shape
        best, worst = int(sim.argmax()), int(sim.argmin())
        points = np.array([[best % w, best // w], [worst % w, worst // w]], np.float64)
        return Prediction(points, np.array([1, 0], np.int64), {"similarity": sim})

    def segment(
        self, engine: ClickEngine, emb: ImageEmbedding, prediction: Prediction, grouping: str
    ) -> np.ndarray:
        """First decode (guided), then PerSAM's two cascaded refinements; `grouping` is unused."""
        sim = prediction.extras["similarity"]
        points, labels = prediction.points, prediction.labels
        attn_sim = target = None
        if self.guidance:
            std = (sim - sim.mean()) / sim.std().clamp_min(1e-12)
            std = F.interpolate(std[None, None], size=emb.features.shape[-2:], mode="bilinear")
            attn_sim = std.sigmoid().flatten(2)[None]  # (1, 1, 1, h*w)
            assert self.target is not None, "set_references first"
            target = self.target.reshape(1, 1, -1)
        first = engine.guided_decode(emb, points, labels, attn_sim, target, multimask=False)
        step1 = engine.decode(
            emb, Prompt.from_points(points, labels, mask_input=first.low_res_logits), True
        )
        if not step1.mask.any():
            return step1.mask
        ys, xs = np.nonzero(step1.mask)
        box = [xs.min(), ys.min(), xs.max(), ys.max()]
        step2 = engine.decode(
            emb, Prompt.from_points(points, labels, box, mask_input=step1.low_res_logits), True
        )
        return step2.mask
