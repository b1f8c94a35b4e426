"""Writing a SAMIC model file and reading it back validated (the one reader of its weights).

Layout (a dict saved with torch.save): format, format_version, meta (ModelMeta as plain data),
state_dict (the learner only; the frozen backbone is rebuilt from meta's identity and checked by
sha256), and train_state (optimizer, epoch, history) in the "last" file only, for --resume.
Training writes MODEL (the best epoch) and MODEL's ".last" sibling, e.g. model.pt and
model.last.pt (see last_path_for). The metadata alone is read without torch
(modelfile/meta.py). Training and inference both read through `read_model_file`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from samic_core.device import resolve_device
from samic_core.errors import CheckpointError
from samic_core.fileio import atomic_path
from samic_core.model.build import build_samic
from samic_core.model.samic_net import SamicNet
from samic_core.modelfile.meta import (
    FORMAT,
    FORMAT_VERSION,
    ModelMeta,
    check_format,
    read_model_meta,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ModelFile",
    "ModelMeta",
    "last_path_for",
    "load_model_file",
    "read_model_file",
    "read_model_meta",
    "read_train_state",
    "save_model_file",
]


@dataclass(frozen=True)
class ModelFile:
    """A model file's validated content: metadata, the learner's weights, the training state."""

    meta: ModelMeta
    state_dict: dict[str, Any]  # the learner's tensors (on the CPU)
    train_state: dict[str, Any] | None  # optimizer, epoch, history: in a ".last" file only


def last_path_for(best_path: str | Path) -> Path:
    """model.pt -> model.last.pt; a name without suffix gets '.last' appended."""
    p = Path(best_path)
    return p.with_name(f"{p.stem}.last{p.suffix}") if p.suffix else p.with_name(p.name + ".last")


def save_model_file(
    path: str | Path,
    net: SamicNet,
    meta: ModelMeta,
    train_state: dict[str, Any] | None = None,
) -> None:
    """Write the model file atomically (a reader sees the old file or the new one)."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "meta": meta.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in net.learner.state_dict().items()},
        "train_state": train_state,
    }
    with atomic_path(path, clean_stale=True) as tmp:  # also drops temps of killed runs
        torch.save(payload, tmp)


def read_model_file(path: str | Path) -> ModelFile:
    """Read and validate a model file (format, version, metadata); CheckpointError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "model file does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many exception types for foreign or corrupt files
        raise CheckpointError(path, f"not a readable SAMIC model file ({e})") from e
    data = check_format(data, path)
    state_dict = data.get("state_dict")
    if not isinstance(state_dict, dict):
        raise CheckpointError(path, "model file holds no weights")
    meta = ModelMeta.from_dict(data.get("meta") or {}, path)
    return ModelFile(meta, state_dict, data.get("train_state"))


def read_train_state(path: str | Path) -> dict[str, Any] | None:
    """The training state saved in a "last" file (None in a best file)."""
    return read_model_file(path).train_state


def load_model_file(
    path: str | Path,
    device: str | torch.device = "auto",
    backbone_weights: str | Path | None = None,
) -> tuple[SamicNet, ModelMeta]:
    """Rebuild the network in eval mode; the backbone must hash to the saved sha256.

    backbone_weights: where to find the backbone's state dict when the model was trained with a
    file that has since moved (default: the saved source).
    """
    path = Path(path)
    content = read_model_file(path)
    meta = content.meta
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    net, _ = build_samic(
        meta.backbone,
        weights=backbone_weights if backbone_weights is not None else meta.backbone_weights,
        image_size=meta.image_size,
        output=meta.output,
        support_resize=meta.support_resize,
        expected_sha256=meta.backbone_sha256,
        squeeze_depth=meta.squeeze_depth,
        presence=meta.presence,
    )
    try:
        net.learner.load_state_dict(content.state_dict)
    except (RuntimeError, KeyError) as e:
        raise CheckpointError(path, f"weights do not fit the {meta.backbone} learner ({e})") from e
    return net.to(dev).eval(), meta
