"""ClickEngine: the one interface through which the project reaches a segmenter.

Encode an image once (alone or in a batch, through the embedding cache), then decode any set of
clicks, a box and an earlier mask from that embedding. SAM 1 (engine.py, segment_anything) and
SAM 2.1 (sam2_engine.py, sam2) implement the few model-specific steps (engine_steps.py);
everything that touches locks, batching, progress and candidate choice is written once here,
and the embedding cache once in cached_embeddings.py, so both engines behave the same in the
app, the CLI, the prediction pipeline and on Ray.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from samic_core.device import resolve_device
from samic_core.fileio import FileHasher
from samic_core.jobs import Progress
from samic_core.precision import DEFAULT_PRECISION, autocast, resolve_precision
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.cached_embeddings import CachedEmbeddings
from samic_core.sam.checkpoint_id import checkpoint_id
from samic_core.sam.guided import guided_decode
from samic_core.sam.placed import placed_mask
from samic_core.sam.registry import Family
from samic_core.sam.types import ImageEmbedding, MaskResult, PreparedImage, Prompt

log = logging.getLogger(__name__)

# decode_points upscales a chunk's masks to the image's size in one go (float32 logits and
# their copies): at most this many pixels a chunk, so a 12 MP image decodes one point a pass
# (a 16-point chunk there took gigabytes) and a 1 MP one still 16.
CHUNK_PIXELS = 1 << 24


@dataclass
class ObjectsResult:
    """Per-object decodes and their union (H, W) bool, for several separately prompted objects."""

    union: np.ndarray
    objects: list[MaskResult]


class ClickEngine(CachedEmbeddings):
    """A loaded promptable segmenter with an embedding cache; thread-safe.

    Encoding and decoding hold separate locks: decoding reads only stateless modules, so a
    click can be decoded on one thread while another thread encodes the next image.
    """

    family: ClassVar[Family]
    mask_threshold: ClassVar[float] = 0.0
    logit_clamp: ClassVar[float | None] = None  # SAM 2.1 hands back logits clamped to +-32

    def __init__(
        self,
        checkpoint: str | Path,
        model_type: str = "auto",
        device: str | torch.device = "auto",
        cache: EmbeddingCache | None = None,
        precision: str = DEFAULT_PRECISION,
    ) -> None:
        self.checkpoint = Path(checkpoint)
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        self.model_type = self._load(model_type)
        # embeddings of another precision are other values: they get their own cache entries
        suffix = "" if self.precision == "fp32" else f"-{self.precision}"
        self.model_id = f"{self.model_type}-{checkpoint_id(self.checkpoint)}{suffix}"
        self.cache = cache
        self._encode_lock = threading.Lock()
        self._decode_lock = threading.Lock()
        self._hasher = FileHasher()

    def _select_outputs(
        self, low_res: torch.Tensor, iou: torch.Tensor, multimask: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder's own choice among its M outputs: 1.. for multimask, else output 0."""
        keep = slice(1, None) if multimask else slice(0, 1)
        return low_res[:, keep], iou[:, keep]

    @torch.no_grad()
    def guided_decode(
        self,
        emb: ImageEmbedding,
        points: np.ndarray,
        labels: np.ndarray,
        attn_sim: torch.Tensor | None = None,
        target: torch.Tensor | None = None,
        multimask: bool = False,
    ) -> MaskResult:
        """One decode of (N, 2) xy points with PerSAM's target-guided attention (attn_sim
        (1, 1, 1, h*w)) and target-semantic prompting (target (1, 1, 256)); best output by
        score. With both None it equals `decode` of the same points."""
        self._check(emb)
        c = self.input_coords(np.asarray(points, np.float64), emb.original_size)
        coords = torch.as_tensor(c, dtype=torch.float, device=self.device)[None]  # (1, N, 2)
        labels_t = torch.as_tensor(labels, dtype=torch.int, device=self.device)[None]
        with self._decode_lock:
            low_res, iou = guided_decode(self._guided_parts(), emb, (coords, labels_t),
                                         attn_sim, target)  # fmt: skip
            low_res, iou = self._select_outputs(low_res, iou, multimask)
            return self._chosen(emb, low_res, iou, multimask)

    # ---- encoding ---------------------------------------------------------------------------
    @torch.no_grad()
    def encode(
        self,
        image: np.ndarray,
        image_sha256: str | None = None,
        progress: Progress | None = None,
        name: str = "",
    ) -> ImageEmbedding:
        """Run the image encoder on an RGB uint8 (H, W, 3) image (as the predictor's set_image).

        progress(blocks done, blocks, name) is called before each transformer block and at the
        end (the one Progress shape, samic_core.jobs; `name`: the image's); an exception it
        raises aborts the encode (how the app pauses a background encode when the image on
        screen needs the encoder), and the engine stays usable. The encoder runs under the
        engine's precision (autocast); the embedding is always returned as float32.
        """
        return self.encode_batch([self.prepare(image, image_sha256, name)], progress)[0]

    @torch.no_grad()
    def encode_batch(
        self, batch: Sequence[PreparedImage], progress: Progress | None = None
    ) -> list[ImageEmbedding]:
        """One encoder pass over several prepared images: (B, 3, S, S) -> B embeddings.

        Each embedding equals `encode` of its image up to float rounding (batched matmuls);
        on a GPU a batch of 8 costs far less than 8 single encodes (docs/model.md, "Pipeline").
        """
        if not batch:
            return []
        x = torch.cat([self._input_tensor(p) for p in batch])  # (B, 3, S, S)
        name = ", ".join(p.name for p in batch)
        with self._encode_lock:
            hooks = self._progress_hooks(progress, name) if progress is not None else []
            try:
                with autocast(self.device, self.precision):
                    maps = self._encoder(x)
            finally:
                for h in hooks:
                    h.remove()
        maps = tuple(m.float() for m in maps)
        if progress is not None:
            total = len(self.encoder_blocks)
            progress(total, total, name)
        if self.cache is not None and self.cache.dtype == "float16":
            maps = tuple(m.half().float() for m in maps)  # same values a cache read gives back
        out = []
        for i, p in enumerate(batch):
            mine = tuple(m[i : i + 1].clone() if len(batch) > 1 else m for m in maps)
            ih, iw = p.input_size or (int(p.pixels.shape[0]), int(p.pixels.shape[1]))
            out.append(
                ImageEmbedding(
                    features=mine[0],
                    original_size=p.original_size,
                    input_size=(ih, iw),
                    model_id=self.model_id,
                    image_sha256=p.image_sha256,
                    high_res=mine[1:],
                )
            )
        return out

    def _progress_hooks(
        self, progress: Progress, name: str
    ) -> list[torch.utils.hooks.RemovableHandle]:
        blocks = self.encoder_blocks
        total = len(blocks)
        return [
            block.register_forward_pre_hook(lambda _m, _a, k=k: progress(k, total, name))
            for k, block in enumerate(blocks)
        ]

    # ---- decoding ---------------------------------------------------------------------------
    def _check(self, emb: ImageEmbedding) -> None:
        if emb.model_id != self.model_id:
            raise ValueError(f"embedding is from model {emb.model_id}, engine is {self.model_id}")

    def _feedback(self, low_res: torch.Tensor) -> np.ndarray:
        """Low-res logits as handed back for `Prompt.mask_input` (float32 numpy)."""
        if self.logit_clamp is not None:
            low_res = low_res.clamp(-self.logit_clamp, self.logit_clamp)
        return low_res.float().cpu().numpy()

    @torch.no_grad()
    def decode(
        self,
        emb: ImageEmbedding,
        prompt: Prompt,
        multimask: bool | None = None,
        candidate: int | None = None,
        placed: bool = False,
    ) -> MaskResult:
        """Mask, predicted IoU and low-res logits for one object's prompts.

        multimask: None follows SAM's advice (3 candidates for a lone click, else the single
        output); candidate: pick that multimask output (0-2) instead of the highest-scoring one;
        placed: keep only the mask's bounding rectangle (`MaskResult.origin`), upscaled there
        alone (what a big image needs: no full-size copy is made).
        """
        self._check(emb)
        if prompt.is_empty:
            raise ValueError("a prompt needs at least one point or a box")
        if candidate is not None:
            multimask = True
        elif multimask is None:
            multimask = len(prompt.points) == 1 and prompt.box is None
        dev = self.device
        with self._decode_lock:
            points = box = mask_in = None
            if len(prompt.points):
                c = self.input_coords(prompt.points.astype(np.float64), emb.original_size)
                coords = torch.as_tensor(c, dtype=torch.float, device=dev)[None]  # (1, N, 2)
                labels = torch.as_tensor(prompt.labels, dtype=torch.int, device=dev)[None]
                points = (coords, labels)
            if prompt.box is not None:
                corners = prompt.box.astype(np.float64).reshape(2, 2)
                b = self.input_coords(corners, emb.original_size).reshape(1, 4)
                box = torch.as_tensor(b, dtype=torch.float, device=dev)  # (1, 4)
            if prompt.mask_input is not None:
                m = np.asarray(prompt.mask_input, np.float32).reshape(1, 256, 256)
                mask_in = torch.as_tensor(m, dtype=torch.float, device=dev)[None]
            low_res, iou = self._run_decoder(emb, points, box, mask_in, multimask)
            return self._chosen(emb, low_res, iou, multimask, candidate, placed)

    def _chosen(
        self,
        emb: ImageEmbedding,
        low_res: torch.Tensor,
        iou: torch.Tensor,
        multimask: bool,
        candidate: int | None = None,
        placed: bool = False,
    ) -> MaskResult:
        """One object's result from the decoder's (1, C, 256, 256) logits and (1, C) predicted
        IoU: output `candidate`, else the best-scoring one, up to the image's size."""
        scores = iou[0].float().cpu().numpy()  # (C,)
        index = int(np.argmax(scores)) if candidate is None else candidate
        if index >= len(scores):
            raise ValueError(f"candidate {candidate} out of range for {len(scores)} masks")
        chosen = low_res[:, index : index + 1]  # (1, 1, 256, 256)
        if placed:
            frame = self.frame_logits(chosen, emb)[0, 0]
            mask, origin = placed_mask(frame, emb.original_size, self.mask_threshold)
        else:
            mask = (self.upscale_logits(chosen, emb)[0, 0] > self.mask_threshold).cpu().numpy()
            origin = (0, 0)
        return MaskResult(
            mask=mask,
            score=float(scores[index]),
            low_res_logits=self._feedback(chosen[0]),
            candidate=index if multimask else None,
            candidate_scores=scores,
            origin=origin,
        )

    @torch.no_grad()
    def decode_points(
        self, emb: ImageEmbedding, points: np.ndarray, chunk: int = 16, placed: bool = False
    ) -> list[MaskResult]:
        """Each (x, y) of `points` (N, 2) as its own object's lone positive click, as `decode`
        with SAM's advice (3 candidates, the best kept), but `chunk` points per decoder pass.

        How auto-annotation prompts its peaks: one decoder pass per chunk, not per point.
        placed: each mask kept as its bounding rectangle (see `decode`).
        """
        self._check(emb)
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        h, w = emb.original_size  # a chunk's masks are upscaled to the image's size at once:
        if not placed:
            chunk = max(1, min(chunk, CHUNK_PIXELS // (h * w)))  # fewer a pass on big images
        out: list[MaskResult] = []
        for start in range(0, len(pts), chunk):
            out.extend(self._decode_chunk(emb, pts[start : start + chunk], placed))
        return out

    def _decode_chunk(
        self, emb: ImageEmbedding, pts: np.ndarray, placed: bool = False
    ) -> list[MaskResult]:
        c = self.input_coords(pts, emb.original_size)
        coords = torch.as_tensor(c, dtype=torch.float, device=self.device)[:, None]  # (N, 1, 2)
        labels = torch.ones((len(pts), 1), dtype=torch.int, device=self.device)  # (N, 1)
        with self._decode_lock:
            low_res, iou = self._run_decoder(emb, (coords, labels), None, None, True)
            # low_res (N, 3, 256, 256), iou (N, 3)
            scores = iou.float().cpu().numpy()
            best = scores.argmax(1)  # (N,)
            rows = torch.arange(len(pts), device=self.device)
            chosen = low_res[rows, torch.as_tensor(best, device=self.device)][:, None]
            logits = self._feedback(chosen)  # (N, 1, 256, 256)
            if placed:
                frames = self.frame_logits(chosen, emb)[:, 0]  # (N, h, w)
                masks = [placed_mask(f, emb.original_size, self.mask_threshold) for f in frames]
            else:
                full = self.upscale_logits(chosen, emb)
                batch = (full[:, 0] > self.mask_threshold).cpu().numpy()  # (N, H, W)
                masks = [(m, (0, 0)) for m in batch]
        return [
            MaskResult(
                masks[i][0],
                float(scores[i, best[i]]),
                logits[i],
                int(best[i]),
                scores[i],
                origin=masks[i][1],
            )  # fmt: skip
            for i in range(len(pts))
        ]

    def decode_objects(self, emb: ImageEmbedding, prompts: Sequence[Prompt]) -> ObjectsResult:
        """Decode each object's prompts separately and union the masks (paper section 3.1)."""
        h, w = emb.original_size
        union = np.zeros((h, w), bool)
        results = []
        for prompt in prompts:
            r = self.decode(emb, prompt)
            union |= r.mask
            results.append(r)
        return ObjectsResult(union, results)
