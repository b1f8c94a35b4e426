"""An engine's embeddings of image files, through the embedding cache: what the app, the CLI
and the prediction pipeline call to get an image's embedding without knowing the model.

ClickEngine (click_engine.py) inherits it and supplies the encoder; keyed by the file's content
hash and the engine's model id, so a renamed image keeps its entry and another model or
precision gets its own.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from samic_core.fileio import FileHasher, read_image_rgb
from samic_core.jobs import Progress
from samic_core.paths import rasters_dir
from samic_core.raster import open_overview
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.engine_steps import EngineSteps
from samic_core.sam.types import ImageEmbedding, PreparedImage

log = logging.getLogger(__name__)


class CachedEmbeddings(EngineSteps):
    """Embeddings of files and prepared images, read from the cache or encoded and cached."""

    cache: EmbeddingCache | None
    model_id: str
    device: torch.device
    _hasher: FileHasher

    @abstractmethod
    def encode_batch(
        self, batch: Sequence[PreparedImage], progress: Progress | None = None
    ) -> list[ImageEmbedding]:
        """One encoder pass over several prepared images (ClickEngine.encode_batch)."""

    def prepare_overview(
        self,
        overview: np.ndarray,
        original_size: tuple[int, int],
        image_sha256: str | None = None,
        name: str = "",
    ) -> PreparedImage:
        """A big image's encoder input made from its overview (samic_core/raster.py), whose
        longer side is still twice the encoder's or more: what `prepare` makes of the full image
        up to the resize's smoothing, with prompts and masks in the full image's pixels."""
        return replace(self.prepare(overview, image_sha256, name), original_size=original_size)

    def embed_prepared(self, batch: Sequence[PreparedImage]) -> list[ImageEmbedding]:
        """Embeddings of prepared images (with their image_sha256): cached ones read, the rest
        encoded in one batch and cached; in the order given."""
        out: list[ImageEmbedding | None] = [None] * len(batch)
        misses = []
        for i, p in enumerate(batch):
            if self.cache is not None and p.image_sha256 is not None:
                out[i] = self.cache.get(
                    p.image_sha256, self.model_id, self.device, self.embedding_shapes
                )
            if out[i] is None:
                misses.append(i)
        for i, emb in zip(misses, self.encode_batch([batch[i] for i in misses]), strict=True):
            out[i] = emb
            self.cache_put(emb, batch[i].name)
        return [e for e in out if e is not None]

    def cache_put(self, emb: ImageEmbedding, name: str) -> None:
        """Keep `emb` in the cache (when there is one and it has a key); a failed write is
        logged, never raised: a full or read-only disk must not stop annotation."""
        if self.cache is None or emb.image_sha256 is None:
            return
        try:
            self.cache.put(emb)
        except OSError as e:
            log.warning("could not write embedding cache entry for %s: %s", name, e)

    def image_sha256(self, path: str | Path) -> str:
        return self._hasher(path)

    @property
    def embedding_shape(self) -> tuple[int, ...]:
        """(1, C, H, W) of the main image embedding (`ImageEmbedding.features`)."""
        return self.embedding_shapes[0]

    def is_cached(self, path: str | Path) -> bool:
        return self.cache is not None and self.cache.contains(
            self.image_sha256(path), self.model_id
        )

    def cached_embedding(self, path: str | Path) -> ImageEmbedding | None:
        """The cached embedding of an image file, or None; never waits for an encode."""
        if self.cache is None:
            return None
        return self.cache.get(
            self.image_sha256(path), self.model_id, self.device, self.embedding_shapes
        )

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
            emb = self.cache.get(digest, self.model_id, self.device, self.embedding_shapes)
            if emb is not None:
                return emb, True
        name = Path(path).name
        # a big image: its overview is encoded (samic_core/raster.py)
        found = open_overview(Path(path), digest, rasters_dir()) if image is None else None
        if found is not None:
            prepared = self.prepare_overview(found[0], found[1], digest, name)
        else:
            prepared = self.prepare(read_image_rgb(path) if image is None else image, digest, name)
        emb = self.encode_batch([prepared], progress)[0]
        self.cache_put(emb, str(path))
        return emb, False
