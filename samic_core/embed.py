"""Precompute SAM embeddings for a folder (used by `samic embed` and the app's background job)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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
            if (
                engine.is_cached(path)
                and engine.cache.get(engine.image_sha256(path), engine.model_id, engine.device)
                is not None
            ):
                cached = True
            else:
                engine.embed_file(path)
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
