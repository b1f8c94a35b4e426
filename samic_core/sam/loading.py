"""Read checkpoint files, tell SAM 1 from SAM 2.1, and load SAM 1 into segment_anything's `Sam`.

The encoder configuration is read off the state dict (width, depth, heads, global-attention
blocks), so the official vit_b / vit_l / vit_h files and the tiny random checkpoints the tests
make go through the same code. A file whose shapes say vit_h is refused when vit_b was asked for.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from segment_anything.build_sam import _build_sam
from segment_anything.modeling import Sam

from samic_core.errors import CheckpointError
from samic_core.sam.registry import MODELS, Family, family_of

log = logging.getLogger(__name__)

PIXEL_MEAN = (123.675, 116.28, 103.53)  # segment_anything.build_sam's normalisation
PIXEL_STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class EncoderConfig:
    """The ViT image-encoder hyper-parameters that differ between SAM sizes."""

    embed_dim: int
    depth: int
    num_heads: int
    global_attn_indexes: tuple[int, ...]


REGISTRY_CONFIGS: dict[str, EncoderConfig] = {
    name: EncoderConfig(*spec.vit) for name, spec in MODELS.items() if spec.vit is not None
}  # the registry's SAM 1 rows


def infer_encoder_config(state: dict[str, torch.Tensor]) -> EncoderConfig:
    """Read the encoder configuration from parameter shapes.

    Windowed blocks have relative-position tables of 2*14-1 rows, global ones 2*64-1.
    """
    embed_dim = state["image_encoder.patch_embed.proj.weight"].shape[0]
    block_ids = sorted(
        {int(m.group(1)) for k in state if (m := re.match(r"image_encoder\.blocks\.(\d+)\.", k))}
    )
    depth = len(block_ids)
    head_dim = state["image_encoder.blocks.0.attn.rel_pos_h"].shape[1]
    global_ids = tuple(
        i for i in block_ids if state[f"image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0] > 27
    )
    return EncoderConfig(embed_dim, depth, embed_dim // head_dim, global_ids)


def registry_name(config: EncoderConfig) -> str | None:
    """'vit_b' / 'vit_l' / 'vit_h' when `config` is an official size, else None."""
    return next((n for n, c in REGISTRY_CONFIGS.items() if c == config), None)


def build_sam_from_config(config: EncoderConfig) -> Sam:
    """segment_anything's `Sam` with this encoder (randomly initialised, on the default device)."""
    return _build_sam(
        encoder_embed_dim=config.embed_dim,
        encoder_depth=config.depth,
        encoder_num_heads=config.num_heads,
        encoder_global_attn_indexes=list(config.global_attn_indexes),
        checkpoint=None,
    )


def read_checkpoint(path: str | Path) -> dict[str, object]:
    """The file's top-level dict, read onto the CPU with weights only (no code runs)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "checkpoint file does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for corrupt / truncated files
        raise CheckpointError(path, f"not a readable PyTorch checkpoint ({e})") from e
    if not isinstance(data, dict):
        raise CheckpointError(path, "not a Segment Anything checkpoint (not a dict)")
    return data


def state_of(path: str | Path, data: dict[str, object]) -> dict[str, torch.Tensor]:
    """The state dict in a checkpoint's dict: itself (SAM 1) or its "model" entry (SAM 2.1)."""
    state = data.get("model") if isinstance(data.get("model"), dict) else data
    if not isinstance(state, dict) or not any(k.startswith("image_encoder.") for k in state):
        raise CheckpointError(path, "not a Segment Anything checkpoint (no image_encoder weights)")
    return state


def detect_family(path: str | Path, state: dict[str, torch.Tensor]) -> Family:
    """Which engine a state dict is for: SAM 1's ViT or SAM 2.1's Hiera trunk."""
    if "image_encoder.patch_embed.proj.weight" in state:
        return "sam"
    if "image_encoder.trunk.patch_embed.proj.weight" in state:
        return "sam2"
    raise CheckpointError(path, "not a Segment Anything checkpoint (unknown image encoder)")


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a SAM 1 checkpoint file (plain state dict, weights only) onto the CPU."""
    state = state_of(path, read_checkpoint(path))
    if detect_family(path, state) != "sam":
        raise CheckpointError(path, "a SAM 2.1 checkpoint, not a SAM 1 one")
    return state


def load_sam(path: str | Path, model_type: str = "auto") -> tuple[Sam, str]:
    """Build segment_anything's `Sam` and load the checkpoint at `path` into it (eval mode).

    Returns the model and its type name ('vit_b', ..., or 'custom' for other sizes). Raises
    CheckpointError when the file is unreadable, its shapes do not fit, or it is another size
    than `model_type` asks for.
    """
    if model_type != "auto" and family_of(model_type) != "sam":
        raise CheckpointError(path, f"{model_type!r} is not a SAM 1 model type")
    state = load_state_dict(path)
    try:
        config = infer_encoder_config(state)
    except (KeyError, IndexError) as e:
        raise CheckpointError(path, f"unexpected SAM checkpoint layout (missing {e})") from e
    found = registry_name(config)
    if model_type != "auto" and found is not None and found != model_type:
        raise CheckpointError(path, f"this is a {found} checkpoint, but --model-type {model_type}")
    if found is None:
        log.warning("%s: non-standard SAM encoder %s; loading it as 'custom'", path, config)
    with torch.device("meta"):  # no random initialisation to throw away (seconds for vit_h)
        sam = build_sam_from_config(config)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        sam.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as e:
        raise CheckpointError(path, f"weights do not fit the SAM architecture: {e}") from e
    # the two buffers a checkpoint does not hold (non-persistent): segment_anything's constants
    sam.register_buffer("pixel_mean", torch.tensor(PIXEL_MEAN).view(-1, 1, 1), False)
    sam.register_buffer("pixel_std", torch.tensor(PIXEL_STD).view(-1, 1, 1), False)
    missing = [n for n, t in (*sam.named_parameters(), *sam.named_buffers()) if t.is_meta]
    if missing:
        raise CheckpointError(path, f"the checkpoint leaves {', '.join(missing)} unset")
    sam.eval()
    return sam, found or "custom"
