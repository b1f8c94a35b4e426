"""Randomly initialised SAM and SAM 2.1 checkpoints built with segment_anything's and sam2's own
classes, saved in the official file layouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from samic_core.sam.loading import REGISTRY_CONFIGS, EncoderConfig, build_sam_from_config

# Tiny ViT: 2 blocks of width 64 (one windowed, one global); same 256 x 64 x 64 embedding,
# and the full-size prompt encoder and mask decoder, so decode costs what it costs for real.
TINY_ENCODER = EncoderConfig(embed_dim=64, depth=2, num_heads=2, global_attn_indexes=(1,))


def _save_random_sam(path: str | Path, config: EncoderConfig, seed: int) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    sam = build_sam_from_config(config)
    with torch.no_grad():  # random rel-pos tables (zeros by default) so attention is not trivial
        for name, p in sam.named_parameters():
            if "rel_pos" in name:
                p.normal_(0, 0.02)
    torch.save(sam.state_dict(), path)
    return path


def make_tiny_sam_checkpoint(path: str | Path, seed: int = 0) -> Path:
    """Save a tiny random SAM (about 4 M parameters, mostly the real-size decoder) at `path`."""
    return _save_random_sam(path, TINY_ENCODER, seed)


def make_random_sam_checkpoint(path: str | Path, model_type: str = "vit_b", seed: int = 0) -> Path:
    """Save a full-size SAM of `model_type` with random weights (for benchmarks)."""
    return _save_random_sam(path, REGISTRY_CONFIGS[model_type], seed)


# Tiny Hiera trunk for SAM 2.1: width 16, 5 blocks (one global), with SAM 2.1's own neck,
# prompt encoder, mask decoder and memory modules (one memory-attention layer); the same three
# feature maps as hiera_t.
TINY_TRUNK = {
    "embed_dim": 16, "num_heads": 1, "stages": [1, 1, 2, 1], "global_att_blocks": [3],
    "memory_layers": 1,  # the video memory attention: 1 layer instead of 4 (a clip test's cost)
}  # fmt: skip


def _save_random_sam2(
    path: str | Path, model_type: str, trunk: dict[str, Any] | None, seed: int
) -> Path:
    from samic_core.sam.sam2_loading import CUSTOM_KEY, build_sam2_model, custom_trunk

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = custom_trunk(path, {CUSTOM_KEY: trunk}) if trunk is not None else None
    data: dict[str, Any] = {"model": build_sam2_model(model_type, config).state_dict()}
    if trunk is not None:  # Meta's layout, plus the tiny trunk's description
        data[CUSTOM_KEY] = dict(trunk)
    torch.save(data, path)
    return path


def make_tiny_sam2_checkpoint(path: str | Path, seed: int = 0) -> Path:
    """Save a tiny random SAM 2.1 (a 16-wide Hiera trunk; about 12 M parameters, mostly the
    memory modules a click never runs) at `path`, in Meta's `{"model": state_dict}` layout."""
    return _save_random_sam2(path, "sam2.1_hiera_t", TINY_TRUNK, seed)


def make_random_sam2_checkpoint(
    path: str | Path, model_type: str = "sam2.1_hiera_t", seed: int = 0
) -> Path:
    """Save a full-size SAM 2.1 of `model_type` with random weights (for benchmarks)."""
    return _save_random_sam2(path, model_type, None, seed)
