"""SamEngine: encode an image once, decode any prompt set from its embedding.

Decoding follows segment_anything's SamPredictor.predict step for step (same transforms, prompt
encoder, mask decoder and post-processing), so masks are identical to SamPredictor's; it only
post-processes the one mask it returns, which keeps a click close to the bare decoder's cost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from segment_anything.utils.transforms import ResizeLongestSide

from samic_core.device import resolve_device
from samic_core.fileio import FileHasher, read_image_rgb
from samic_core.jobs import Progress
from samic_core.precision import DEFAULT_PRECISION, autocast, resolve_precision
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.checkpoint_id import checkpoint_id
from samic_core.sam.loading import load_sam
from samic_core.sam.types import ImageEmbedding, MaskResult, PreparedImage, Prompt

log = logging.getLogger(__name__)


@dataclass
class ObjectsResult:
    """Per-object decodes and their union (H, W) bool, for several separately prompted objects."""

    union: np.ndarray
    objects: list[MaskResult]


class SamEngine:
    """A loaded SAM model with an embedding cache; thread-safe.

    Encoding and decoding hold separate locks: decoding reads only stateless modules, so a
    click can be decoded on one thread while another thread encodes the next image.
    """

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
        sam, self.model_type = load_sam(self.checkpoint, model_type)
        self.sam = sam.to(self.device)
        # embeddings of another precision are other values: they get their own cache entries
        suffix = "" if self.precision == "fp32" else f"-{self.precision}"
        self.model_id = f"{self.model_type}-{checkpoint_id(self.checkpoint)}{suffix}"
        self.cache = cache
        self._transform = ResizeLongestSide(self.sam.image_encoder.img_size)  # SamPredictor's
        self._encode_lock = threading.Lock()
        self._decode_lock = threading.Lock()
        self._hasher = FileHasher()

    # ---- encoding ----------------------------------------------------------------------------
    def prepare(
        self, image: np.ndarray, image_sha256: str | None = None, name: str = ""
    ) -> PreparedImage:
        """Resize an RGB uint8 (H, W, 3) image for the encoder (as SamPredictor.set_image does).

        Stateless and thread-safe: loader threads prepare the next images while one encodes.
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"expected an RGB uint8 (H, W, 3) image, got {image.shape} {image.dtype}"
            )
        pixels = self._transform.apply_image(image)
        return PreparedImage(pixels, (int(image.shape[0]), int(image.shape[1])), image_sha256, name)

    @torch.no_grad()
    def encode(
        self,
        image: np.ndarray,
        image_sha256: str | None = None,
        progress: Progress | None = None,
        name: str = "",
    ) -> ImageEmbedding:
        """Run the image encoder on an RGB uint8 (H, W, 3) image (as SamPredictor.set_image).

        progress(blocks done, blocks, name) is called before each transformer block and at the
        end (the one Progress shape, samic_core.jobs; `name`: the image's); an exception it raises
        aborts the encode (how the app pauses a background encode when the
        image on screen needs the encoder), and the engine stays usable. The encoder runs under
        the engine's precision (autocast); the embedding is always returned as float32.
        """
        return self.encode_batch([self.prepare(image, image_sha256, name)], progress)[0]

    @torch.no_grad()
    def encode_batch(
        self, batch: Sequence[PreparedImage], progress: Progress | None = None
    ) -> list[ImageEmbedding]:
        """One encoder pass over several prepared images: (B, 3, 1024, 1024) -> B embeddings.

        Each embedding equals `encode` of its image up to float rounding (batched matmuls);
        on a GPU a batch of 8 costs far less than 8 single encodes (docs/model.md, "Pipeline").
        """
        if not batch:
            return []
        x = torch.cat(
            [
                self.sam.preprocess(  # normalise and pad to 1024x1024, as SamPredictor
                    torch.as_tensor(p.pixels, device=self.device)
                    .permute(2, 0, 1)
                    .contiguous()[None]
                )
                for p in batch
            ]
        )  # (B, 3, 1024, 1024)
        name = ", ".join(p.name for p in batch)
        with self._encode_lock:
            hooks = self._progress_hooks(progress, name) if progress is not None else []
            try:
                with autocast(self.device, self.precision):
                    features = self.sam.image_encoder(x)  # (B, 256, 64, 64)
            finally:
                for h in hooks:
                    h.remove()
        features = features.float()
        if progress is not None:
            total = len(self.sam.image_encoder.blocks)
            progress(total, total, name)
        if self.cache is not None and self.cache.dtype == "float16":
            features = features.half().float()  # same values a cache read gives back
        return [
            ImageEmbedding(
                features=features[i : i + 1].clone() if len(batch) > 1 else features,
                original_size=p.original_size,
                input_size=(int(p.pixels.shape[0]), int(p.pixels.shape[1])),
                model_id=self.model_id,
                image_sha256=p.image_sha256,
            )
            for i, p in enumerate(batch)
        ]

    def embed_prepared(self, batch: Sequence[PreparedImage]) -> list[ImageEmbedding]:
        """Embeddings of prepared images (with their image_sha256): cached ones read, the rest
        encoded in one batch and cached; in the order given."""
        out: list[ImageEmbedding | None] = [None] * len(batch)
        misses = []
        for i, p in enumerate(batch):
            if self.cache is not None and p.image_sha256 is not None:
                out[i] = self.cache.get(
                    p.image_sha256, self.model_id, self.device, self.embedding_shape
                )
            if out[i] is None:
                misses.append(i)
        for i, emb in zip(misses, self.encode_batch([batch[i] for i in misses]), strict=True):
            out[i] = emb
            self._cache_put(emb, batch[i].name)
        return [e for e in out if e is not None]

    def _cache_put(self, emb: ImageEmbedding, name: str) -> None:
        if self.cache is None or emb.image_sha256 is None:
            return
        try:
            self.cache.put(emb)
        except OSError as e:  # a full or read-only disk must not stop annotation
            log.warning("could not write embedding cache entry for %s: %s", name, e)

    def _progress_hooks(
        self, progress: Progress, name: str
    ) -> list[torch.utils.hooks.RemovableHandle]:
        blocks = self.sam.image_encoder.blocks
        total = len(blocks)
        return [
            block.register_forward_pre_hook(lambda _m, _a, k=k: progress(k, total, name))
            for k, block in enumerate(blocks)
        ]

    def image_sha256(self, path: str | Path) -> str:
        return self._hasher(path)

    @property
    def embedding_shape(self) -> tuple[int, int, int, int]:
        """(1, C, H, W) of this model's image embeddings (a cache entry must have it)."""
        pe = self.sam.prompt_encoder
        h, w = pe.image_embedding_size
        return (1, int(pe.embed_dim), int(h), int(w))

    def is_cached(self, path: str | Path) -> bool:
        return self.cache is not None and self.cache.contains(
            self.image_sha256(path), self.model_id
        )

    def cached_embedding(self, path: str | Path) -> ImageEmbedding | None:
        """The cached embedding of an image file, or None; never waits for an encode."""
        if self.cache is None:
            return None
        return self.cache.get(self.image_sha256(path), self.model_id, self.device)

    def embed_file(
        self,
        path: str | Path,
        progress: Progress | None = None,
        image: np.ndarray | None = None,
    ) -> tuple[ImageEmbedding, bool]:
        """Embedding of an image file, from the cache if possible; returns (embedding, was_cached).

        A corrupt cache entry counts as a miss and is overwritten by the recomputed one.
        progress: see `encode` (only called when the image is encoded). image: the file's
        pixels when the caller has already read them (read_image_rgb), so they are not decoded
        twice; the cache key is still the file's content hash.
        """
        digest = self.image_sha256(path)
        if self.cache is not None:
            emb = self.cache.get(digest, self.model_id, self.device, self.embedding_shape)
            if emb is not None:
                return emb, True
        if image is None:
            image = read_image_rgb(path)
        emb = self.encode(image, image_sha256=digest, progress=progress, name=Path(path).name)
        self._cache_put(emb, str(path))
        return emb, False

    # ---- decoding ----------------------------------------------------------------------------
    @torch.no_grad()
    def decode(
        self,
        emb: ImageEmbedding,
        prompt: Prompt,
        multimask: bool | None = None,
        candidate: int | None = None,
    ) -> MaskResult:
        """Mask, predicted IoU and low-res logits for one object's prompts.

        multimask: None follows SAM's advice (3 candidates for a lone click, else the single
        output); candidate: pick that multimask output (0-2) instead of the highest-scoring one.
        """
        if emb.model_id != self.model_id:
            raise ValueError(f"embedding is from model {emb.model_id}, engine is {self.model_id}")
        if prompt.is_empty:
            raise ValueError("a prompt needs at least one point or a box")
        if candidate is not None:
            multimask = True
        elif multimask is None:
            multimask = len(prompt.points) == 1 and prompt.box is None
        transform = self._transform
        with self._decode_lock:
            coords = labels = box = mask_in = None
            if len(prompt.points):
                c = transform.apply_coords(prompt.points.astype(np.float64), emb.original_size)
                coords = torch.as_tensor(c, dtype=torch.float, device=self.device)[None]
                labels = torch.as_tensor(prompt.labels, dtype=torch.int, device=self.device)[None]
            if prompt.box is not None:
                b = transform.apply_boxes(prompt.box[None].astype(np.float64), emb.original_size)
                box = torch.as_tensor(b, dtype=torch.float, device=self.device)
            if prompt.mask_input is not None:
                m = np.asarray(prompt.mask_input, np.float32).reshape(1, 256, 256)
                mask_in = torch.as_tensor(m, dtype=torch.float, device=self.device)[None]
            points = (coords, labels) if coords is not None and labels is not None else None
            low_res, iou = self._run_decoder(emb, points, box, mask_in, multimask)
            scores = iou[0].float().cpu().numpy()  # (C,)
            index = int(np.argmax(scores)) if candidate is None else candidate
            if index >= len(scores):
                raise ValueError(f"candidate {candidate} out of range for {len(scores)} masks")
            chosen = low_res[:, index : index + 1]  # (1, 1, 256, 256)
            full = self.sam.postprocess_masks(chosen, emb.input_size, emb.original_size)
            mask = (full[0, 0] > self.sam.mask_threshold).cpu().numpy()
        return MaskResult(
            mask=mask,
            score=float(scores[index]),
            low_res_logits=chosen[0].float().cpu().numpy(),
            candidate=index if multimask else None,
            candidate_scores=scores,
        )

    def _run_decoder(
        self,
        emb: ImageEmbedding,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        box: torch.Tensor | None,
        mask_in: torch.Tensor | None,
        multimask: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """SAM's prompt encoder and mask decoder on one embedding: (B, C, 256, 256) low-res
        logits and (B, C) predicted IoU, B = the prompts' batch (call under the decode lock)."""
        sparse, dense = self.sam.prompt_encoder(points=points, boxes=box, masks=mask_in)
        return self.sam.mask_decoder(
            image_embeddings=emb.features,
            image_pe=self.sam.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
        )

    @torch.no_grad()
    def decode_points(
        self, emb: ImageEmbedding, points: np.ndarray, chunk: int = 16
    ) -> list[MaskResult]:
        """Each (x, y) of `points` (N, 2) as its own object's lone positive click, as `decode`
        with SAM's advice (3 candidates, the best kept), but `chunk` points per decoder pass.

        How auto-annotation prompts its peaks: one decoder pass per chunk, not per point.
        """
        if emb.model_id != self.model_id:
            raise ValueError(f"embedding is from model {emb.model_id}, engine is {self.model_id}")
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        out: list[MaskResult] = []
        for start in range(0, len(pts), chunk):
            out.extend(self._decode_chunk(emb, pts[start : start + chunk]))
        return out

    def _decode_chunk(self, emb: ImageEmbedding, pts: np.ndarray) -> list[MaskResult]:
        c = self._transform.apply_coords(pts, emb.original_size)
        coords = torch.as_tensor(c, dtype=torch.float, device=self.device)[:, None]  # (N, 1, 2)
        labels = torch.ones((len(pts), 1), dtype=torch.int, device=self.device)  # (N, 1)
        with self._decode_lock:
            low_res, iou = self._run_decoder(emb, (coords, labels), None, None, True)
            # low_res (N, 3, 256, 256), iou (N, 3)
            scores = iou.float().cpu().numpy()
            best = scores.argmax(1)  # (N,)
            rows = torch.arange(len(pts), device=self.device)
            chosen = low_res[rows, torch.as_tensor(best, device=self.device)][:, None]
            full = self.sam.postprocess_masks(chosen, emb.input_size, emb.original_size)
            masks = (full[:, 0] > self.sam.mask_threshold).cpu().numpy()  # (N, H, W)
            logits = chosen.float().cpu().numpy()  # (N, 1, 256, 256)
        return [
            MaskResult(masks[i], float(scores[i, best[i]]), logits[i], int(best[i]), scores[i])
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
