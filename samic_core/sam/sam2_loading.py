"""Build Meta's SAM 2.1 (the `sam2` package) and load a checkpoint into it.

Official files are `{"model": state_dict}`; which of the four sizes a file holds is read off the
Hiera trunk's width and depth, so `--model-type auto` works as it does for SAM 1. Models are
built as `sam2.build_sam.build_sam2` builds them by default (its post-processing options on),
so masks equal SAM2ImagePredictor's.

A file may also describe a smaller trunk of its own under "samic_sam2" (integers only, checked
here; no config text from a file reaches hydra): how the tests and `make demo` make tiny random
SAM 2.1 models without a download.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from samic_core.errors import CheckpointError
from samic_core.sam.loading import detect_family, read_checkpoint, state_of
from samic_core.sam.registry import MODELS, family_of

log = logging.getLogger(__name__)

TRUNK_KEY = "image_encoder.trunk.patch_embed.proj.weight"
CUSTOM_KEY = "samic_sam2"  # a checkpoint's own small trunk: {"embed_dim", "num_heads", ...}


@dataclass(frozen=True)
class TrunkConfig:
    """The Hiera trunk hyper-parameters that differ between SAM 2.1 sizes (and tiny tests)."""

    embed_dim: int
    num_heads: int
    stages: tuple[int, ...]
    global_att_blocks: tuple[int, ...]
    memory_layers: int = 4  # the video memory attention's layers (4 in every official size)

    def overrides(self) -> list[str]:
        """hydra overrides of sam2.1_hiera_t.yaml that build this trunk."""
        d = self.embed_dim
        t = "++model.image_encoder.trunk."
        return [
            f"{t}embed_dim={d}",
            f"{t}num_heads={self.num_heads}",
            f"{t}stages=[{','.join(map(str, self.stages))}]",
            f"{t}global_att_blocks=[{','.join(map(str, self.global_att_blocks))}]",
            f"++model.image_encoder.neck.backbone_channel_list=[{8 * d},{4 * d},{2 * d},{d}]",
            f"++model.memory_attention.num_layers={self.memory_layers}",
        ]


# (trunk width, trunk blocks) of Meta's four SAM 2.1 files: the registry's SAM 2.1 rows
SIGNATURES: dict[tuple[int, int], str] = {
    spec.hiera: name for name, spec in MODELS.items() if spec.hiera is not None
}


def trunk_signature(state: dict[str, torch.Tensor]) -> tuple[int, int]:
    """(embed_dim, number of blocks) of a SAM 2.1 state dict's Hiera trunk."""
    width = int(state[TRUNK_KEY].shape[0])
    pattern = re.compile(r"image_encoder\.trunk\.blocks\.(\d+)\.")
    blocks = {int(m.group(1)) for k in state if (m := pattern.match(k))}
    return width, len(blocks)


def custom_trunk(path: str | Path, data: dict[str, Any]) -> TrunkConfig | None:
    """The file's own trunk description (CUSTOM_KEY), validated; None when it has none."""
    raw = data.get(CUSTOM_KEY)
    if raw is None:
        return None

    def ints(key: str, lo: int, hi: int, n: tuple[int, int] | None = None) -> Any:
        v = raw.get(key) if isinstance(raw, dict) else None
        seq: Any = v if n is not None else [v]
        ok = isinstance(seq, list) and all(
            isinstance(x, int) and not isinstance(x, bool) and lo <= x <= hi for x in seq
        )
        if not ok or (n is not None and not n[0] <= len(seq) <= n[1]):
            raise CheckpointError(
                path, f"{CUSTOM_KEY}.{key} is {v!r}, not what a SAM 2.1 trunk takes"
            )
        return tuple(seq) if n is not None else v

    stages = ints("stages", 1, 64, (4, 4))
    return TrunkConfig(
        embed_dim=ints("embed_dim", 8, 1024),
        num_heads=ints("num_heads", 1, 64),
        stages=stages,
        global_att_blocks=ints("global_att_blocks", 0, sum(stages) - 1, (0, 64)),
        memory_layers=ints("memory_layers", 1, 16) if "memory_layers" in raw else 4,
    )


def build_sam2_model(
    model_type: str, trunk: TrunkConfig | None = None, video: bool = False
) -> Any:
    """A randomly initialised SAM 2.1 of `model_type` on the CPU (with `trunk` instead of the
    config's own trunk), as `build_sam2` builds it by default; video: as
    `build_sam2_video_predictor` builds its SAM2VideoPredictor (same weights, the video
    predictor's defaults)."""
    from sam2.build_sam import build_sam2, build_sam2_video_predictor  # sam2's builders

    config = MODELS[model_type].sam2_config
    assert config is not None, f"{model_type} is not a SAM 2.1 model"
    overrides = trunk.overrides() if trunk is not None else []
    build = build_sam2_video_predictor if video else build_sam2
    return build(config, None, device="cpu", hydra_overrides_extra=overrides)


def verify_sam2_file(path: str | Path, model_type: str) -> None:
    """CheckpointError unless `path` is Meta's SAM 2.1 checkpoint of `model_type` (by its
    weights' names and trunk shapes, memory-mapped: no weights are read). What a download of a
    file with no published sha256 is checked by before it is kept."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as e:  # torch raises many types for what is not a checkpoint
        raise CheckpointError(path, f"not a readable PyTorch checkpoint ({e})") from e
    if not isinstance(data, dict):
        raise CheckpointError(path, "not a Segment Anything checkpoint (not a dict)")
    state = state_of(path, data)
    if detect_family(path, state) != "sam2":
        raise CheckpointError(path, "a SAM 1 checkpoint, not a SAM 2.1 one")
    found = SIGNATURES.get(trunk_signature(state))
    if found != model_type:
        raise CheckpointError(path, f"a {found or 'non-standard'} trunk, not {model_type}")


def load_sam2(path: str | Path, model_type: str = "auto", video: bool = False) -> tuple[Any, str]:
    """Build sam2's SAM2Base for the checkpoint at `path` and load it (CPU, eval mode).

    video: a SAM2VideoPredictor (samic_core/sam/sam2_video.py) instead of an image model.
    Returns the model and its type name (`sam2.1_hiera_t`, ..., or 'sam2.1_custom'). CheckpointError
    when the file is unreadable, not SAM 2.1, another size than `model_type`, or its weights do
    not fit.
    """
    if model_type != "auto" and family_of(model_type) != "sam2":
        raise CheckpointError(path, f"{model_type!r} is not a SAM 2.1 model type")
    data = read_checkpoint(path)
    state = state_of(path, data)
    if detect_family(path, state) != "sam2":
        raise CheckpointError(path, "a SAM 1 checkpoint, not a SAM 2.1 one")
    trunk = custom_trunk(path, data)
    found = None if trunk is not None else SIGNATURES.get(trunk_signature(state))
    if found is None and trunk is None:
        width, blocks = trunk_signature(state)
        raise CheckpointError(
            path, f"a SAM 2.1 trunk of width {width} and {blocks} blocks is none of "
            f"{', '.join(SIGNATURES.values())} (SAM 2.0 files are not supported)",
        )  # fmt: skip
    if model_type != "auto" and found is not None and found != model_type:
        raise CheckpointError(path, f"this is a {found} checkpoint, but --model-type {model_type}")
    model = build_sam2_model(found or "sam2.1_hiera_t", trunk, video)
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    if "no_obj_embed_spatial" not in state and "obj_ptr_tpos_proj.weight" not in state:
        raise CheckpointError(path, "a SAM 2.0 checkpoint: use Meta's SAM 2.1 files "
                              "(`samic weights list`)")  # fmt: skip
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CheckpointError(path, f"weights do not fit the SAM 2.1 architecture: {e}") from e
    model.eval()
    if found is None:
        log.info("%s: SAM 2.1 with its own trunk %s; loading it as sam2.1_custom", path, trunk)
    return model, found or "sam2.1_custom"
