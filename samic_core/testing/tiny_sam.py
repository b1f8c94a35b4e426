"""Randomly initialised SAM checkpoints built with segment_anything's own classes."""

from __future__ import annotations

from pathlib import Path

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
