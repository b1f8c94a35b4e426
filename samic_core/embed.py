"""Precompute SAM embeddings for a folder (used by `samic embed` and the app's background job)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.errors import SamicError
from samic_core.fileio import list_images
from samic_core.sam.engine import SamEngine

# (done, total, image name, was cached)
EmbedProgress = Callable[[int, int, str, bool], None]


@dataclass
class EmbedReport:
    encoded: int = 0
    cached: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def embed_folder(
    engine: SamEngine,
    folder: str | Path,
    progress: EmbedProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    order: list[Path] | None = None,
) -> EmbedReport:
    """Make sure every image of `folder` (or `order`, in that order) has a cached embedding.

    Already-cached images are skipped without running the encoder; an unreadable image is
    reported and skipped. Each entry is written atomically, so stopping at any point is safe.
    """
    if engine.cache is None:
        raise SamicError("embedding a folder needs the embedding cache")
    images = order if order is not None else list_images(folder)
    report = EmbedReport()
    for i, path in enumerate(images):
        if should_stop is not None and should_stop():
            break
        cached = False
        try:
            cached = embed_one(engine, path)
        except SamicError as e:
            report.failed.append((path.name, str(e)))
        else:
            if cached:
                report.cached += 1
            else:
                report.encoded += 1
        if progress is not None:
            progress(i + 1, len(images), path.name, cached)
    return report


def embed_one(engine: SamEngine, path: Path, image: np.ndarray | None = None) -> bool:
    """Make sure one image has a valid cached embedding; True when it already had one.

    The unit of work shared by `embed_folder` and the Ray path (samic_core/scale). image: the
    file's pixels when already read. Raises SamicError for an unreadable image.
    """
    assert engine.cache is not None
    if (
        engine.is_cached(path)
        and engine.cache.get(engine.image_sha256(path), engine.model_id, engine.device) is not None
    ):
        return True
    engine.embed_file(path, image=image)
    return False
