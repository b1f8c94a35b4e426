"""The one way to get a click engine: `build_engine(EngineConfig)` for the CLI, the Ray actors
and the app, and `open_engine` beneath it for a checkpoint and a cache in hand.

The engine family comes from `--model-type` when it names one, else from the checkpoint file's
weights (SAM 1's ViT or SAM 2.1's Hiera trunk), as the size did before.
"""

from __future__ import annotations

from pathlib import Path

import torch

from samic_core.config import EngineConfig
from samic_core.errors import CheckpointError
from samic_core.precision import DEFAULT_PRECISION
from samic_core.sam.cache import EmbeddingCache
from samic_core.sam.click_engine import ClickEngine
from samic_core.sam.loading import detect_family, state_of
from samic_core.sam.registry import Family, family_of
from samic_core.sam.weights import resolve_checkpoint
from samic_core.settings_values import cache_max_bytes, env_cache_max_bytes


def checkpoint_family(path: str | Path) -> Family:
    """SAM 1 or SAM 2.1, read off the file's weight names (memory-mapped: no weights are read)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "checkpoint file does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # not a zip-format file, or a damaged one: the engine's loader says which
        from samic_core.sam.loading import read_checkpoint

        data = read_checkpoint(path)
    if not isinstance(data, dict):
        raise CheckpointError(path, "not a Segment Anything checkpoint (not a dict)")
    return detect_family(path, state_of(path, data))


def open_engine(
    checkpoint: str | Path,
    model_type: str = "auto",
    device: str | torch.device = "auto",
    cache: EmbeddingCache | None = None,
    precision: str = DEFAULT_PRECISION,
) -> ClickEngine:
    """The engine for `checkpoint`: SamEngine or Sam2Engine, loaded on `device`."""
    family = family_of(model_type) or checkpoint_family(checkpoint)
    found = checkpoint_family(checkpoint) if model_type != "auto" else family
    if found != family:
        other = "a SAM 2.1" if found == "sam2" else "a SAM 1"
        raise CheckpointError(
            checkpoint, f"this is {other} checkpoint, but --model-type {model_type}"
        )
    if family == "sam2":
        from samic_core.sam.sam2_engine import Sam2Engine

        return Sam2Engine(checkpoint, model_type, device, cache, precision)
    from samic_core.sam.engine import SamEngine

    return SamEngine(checkpoint, model_type, device, cache, precision)


def build_engine(config: EngineConfig) -> ClickEngine:
    """The engine and its embedding cache that `config` describes; bad values are SamicError
    (a bad cache limit before anything else is looked up)."""
    max_bytes = cache_max_bytes(config.cache_max_gb, "--cache-max-gb")
    if max_bytes is None:
        max_bytes = env_cache_max_bytes()
    checkpoint = resolve_checkpoint(config.checkpoint, config.model_type)
    # no disk cache: the memory LRU still spares re-encoding an image used twice in a row
    cache = EmbeddingCache(config.cache_dir, dtype=config.cache_dtype, max_bytes=max_bytes,
                           disk=config.disk_cache)  # fmt: skip
    return open_engine(checkpoint, config.model_type, config.device, cache, config.precision)
