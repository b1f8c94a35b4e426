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
from sambox.services.runtime import ensure_runtime

if TYPE_CHECKING:
    from samic_core.sam.click_engine import ClickEngine
    from samic_core.sam.types import ImageEmbedding


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


def decode(engine: ClickEngine, request: DecodeRequest, emb: ImageEmbedding) -> DecodeResult:
    """Decode `request`'s prompts on the embedding `emb` (any thread: the engine is safe)."""
    from samic_core.sam.types import Prompt

    t0 = time.perf_counter()
    key = request.key
    prompt = Prompt.from_points(
        [(x, y) for x, y, _ in key.points],
        [1 if p else 0 for _, _, p in key.points],
        box=key.box,
        mask_input=request.mask_input,
    )
    multimask = False if request.mask_input is not None else None
    r = engine.decode(emb, prompt, multimask=multimask, candidate=key.candidate)
    return DecodeResult(
        request,
        r.mask,
        r.score,
        r.low_res_logits,
        r.candidate,
        tuple(float(s) for s in r.candidate_scores),
        time.perf_counter() - t0,
    )
