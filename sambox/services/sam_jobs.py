"""The bodies of SamService's model jobs: build the engine, embed a queued image, decode one
object's prompts.

Plain functions of values (an EngineConfig, a DecodeRequest, an embedding), run on a worker
thread; SamService only schedules them and routes their results. The engine's modules import
torch, so they are imported inside the jobs (after ensure_runtime) and only named for the type
checker here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sambox.model.decoding import DecodeRequest, DecodeResult, EngineConfig
from sambox.model.placed import is_big, kept_form
from sambox.services.runtime import ensure_runtime

if TYPE_CHECKING:
    import numpy as np

    from samic_core.sam.click_engine import ClickEngine
    from samic_core.sam.types import ImageEmbedding, Prompt
    from samic_core.tiles import TileGrid


def build_engine(config: EngineConfig, step: Callable[[str], None]) -> ClickEngine:
    """The click engine (SAM 1 or SAM 2.1) with its embedding cache, built by the core's one
    builder; step(text) says what the load is doing now."""
    step("Starting PyTorch…")
    ensure_runtime()
    from samic_core.sam.build import build_engine as core_build_engine

    if config.checkpoint is not None:
        checkpoint = Path(config.checkpoint)
        step(f"Reading {checkpoint.name} ({checkpoint.stat().st_size / 2**20:.0f} MB)…")
    return core_build_engine(config)


def embed_queued(
    engine: ClickEngine, path: Path, progress: Callable[[int, int, str], None]
) -> bool:
    """Make sure a queued (background) image has a valid cached embedding; True if it had one.

    The core's unit of folder embedding (samic_core.embed.embed_one, also behind `samic embed`):
    a corrupt entry is encoded again; progress(blocks done, blocks, name) runs between the
    encoder's blocks and aborts the encode by raising (the worker's Cancelled).
    """
    from samic_core.embed import embed_one

    return embed_one(engine, path, progress=progress)


# Tiles not yet cached that following one object across cuts may encode during a click: an
# object seldom spans more than a corner's three neighbours, and a click must not wait for more.
JOIN_ENCODES = 3


def _prompt(request: DecodeRequest) -> Prompt:
    from samic_core.sam.types import Prompt

    key = request.key
    return Prompt.from_points(
        [(x, y) for x, y, _ in key.points],
        [1 if p else 0 for _, _, p in key.points],
        box=key.box,
        mask_input=request.mask_input,
    )


def decode(engine: ClickEngine, request: DecodeRequest, emb: ImageEmbedding) -> DecodeResult:
    """Decode `request`'s prompts on the embedding `emb` (any thread: the engine is safe)."""
    t0 = time.perf_counter()
    key = request.key
    prompt = _prompt(request)
    if request.input_tile is not None:  # the logits of a tile's decode: not of this embedding
        prompt.mask_input = None
    multimask = False if prompt.mask_input is not None else None
    big = is_big(emb.original_size)  # a big image's mask: its rectangle only
    r = engine.decode(emb, prompt, multimask=multimask, candidate=key.candidate, placed=big)
    return DecodeResult(
        request,
        r.mask,
        r.score,
        r.low_res_logits,
        r.candidate,
        tuple(float(s) for s in r.candidate_scores),
        time.perf_counter() - t0,
        origin=r.origin,
    )


def decode_tiled(
    engine: ClickEngine, request: DecodeRequest, pixels: np.ndarray, grid: TileGrid
) -> DecodeResult:
    """Decode `request`'s prompts in the tile of `grid` that holds them (the user zoomed in on
    a big image): the tile's embedding from the cache, else encoded now (at the encoder's full
    resolution) and cached; the object joined across cuts and pasted at the image's size."""
    from samic_core.sam.tiled import TiledImage

    t0 = time.perf_counter()
    tiled = TiledImage(engine, pixels, engine.image_sha256(request.image_path), grid,
                       request.image_path.name, join_encodes=JOIN_ENCODES)  # fmt: skip
    prompt = _prompt(request)
    tile = tiled.tile_for(prompt)
    if request.input_tile != (tile.y0, tile.x0, tile.y1, tile.x1):
        prompt.mask_input = None  # logits of another tile (or of the whole image)
    multimask = False if prompt.mask_input is not None else None
    r = tiled.decode(prompt, multimask, request.key.candidate, request.input_tile)
    mask, origin = kept_form(r.mask, r.origin, (grid.height, grid.width))
    return DecodeResult(
        request,
        mask,
        r.score,
        r.low_res_logits,
        r.candidate,
        tuple(float(s) for s in r.candidate_scores),
        time.perf_counter() - t0,
        r.tile,
        origin,
    )
