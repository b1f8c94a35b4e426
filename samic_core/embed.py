"""Precompute SAM embeddings for a folder: `samic embed`, its Ray path, and the app's background.

`embed_one` is the unit of work (a valid cached entry, else encode and cache); `samic embed`
runs it over a folder with `embed_folder`, the Ray actors (samic_core/scale/ray_embed.py) over
their share, and the app's SamService once per queued image (its queue lets the image on screen
go first and pauses the background encode for it, which one loop over a list cannot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from samic_core.errors import SamicError
from samic_core.fileio import image_size, list_images, read_image_rgb
from samic_core.jobs import Progress, ShouldStop
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.tiled import TiledImage
from samic_core.tiles import TileSpec, sam_grid


@dataclass
class EmbedReport:
    encoded: int = 0
    cached: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def embed_folder(
    engine: ClickEngine,
    folder: str | Path,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    order: list[Path] | None = None,
    tile: TileSpec = "off",
) -> EmbedReport:
    """Make sure every image of `folder` (or `order`, in that order) has a cached embedding.

    Already-cached images are skipped without running the encoder; an unreadable image is
    reported and skipped. Each entry is written atomically, so stopping at any point is safe.
    progress(done, total, image name) after each image; should_stop() is polled before each.
    tile: SAM's tiles of big images (`embed_one`).
    """
    if engine.cache is None:
        raise SamicError("embedding a folder needs the embedding cache")
    images = order if order is not None else list_images(folder)
    report = EmbedReport()
    for i, path in enumerate(images):
        if should_stop is not None and should_stop():
            break
        try:
            cached = embed_one(engine, path, tile=tile)
        except SamicError as e:
            report.failed.append((path.name, str(e)))
        else:
            if cached:
                report.cached += 1
            else:
                report.encoded += 1
        if progress is not None:
            progress(i + 1, len(images), path.name)
    return report


def embed_one(
    engine: ClickEngine,
    path: Path,
    image: np.ndarray | None = None,
    progress: Progress | None = None,
    tile: TileSpec = "off",
) -> bool:
    """Make sure one image has a valid cached embedding; True when it already had one.

    A cache entry counts only when it reads back valid: a corrupt one is encoded again and
    overwritten. image: the file's pixels when already read. progress: the encoder's (blocks
    done, blocks, image name), only when the image is encoded; an exception it raises (the
    app's `Cancelled`) aborts the encode. tile: SAM's tiles (samic_core/tiles/spec.py): an image
    they cut is embedded tile by tile and whole (True when all of them were cached). Raises
    SamicError for an unreadable image.
    """
    grid = None
    if tile != "off":
        hw = image.shape[:2] if image is not None else image_size(path)
        if hw is None:  # the header did not say: read_image_rgb says why, or the pixels do
            image = read_image_rgb(path)
            hw = image.shape[:2]
        grid = sam_grid(tile, (int(hw[0]), int(hw[1])))
    whole = engine.is_cached(path) and engine.cached_embedding(path) is not None
    if grid is not None:  # the tiles, and the whole image too: the app shows it whole first
        pixels = image if image is not None else read_image_rgb(path)
        if tuple(pixels.shape[:2]) != (grid.height, grid.width):  # the header was wrong
            grid = sam_grid(tile, (int(pixels.shape[0]), int(pixels.shape[1])))
        if grid is not None:
            tiled = TiledImage(engine, pixels, engine.image_sha256(path), grid, path.name)
            fresh = tiled.embed_all()
            if not whole:
                engine.embed_file(path, progress=progress, image=pixels)
            return fresh == 0 and whole
        image = pixels
    if whole:
        return True
    engine.embed_file(path, progress=progress, image=image)
    return False
