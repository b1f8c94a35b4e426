"""SAMIC model files: one torch file with the learner's weights and everything needed to rebuild.

Layout (a dict saved with torch.save): format, format_version, meta (ModelMeta as plain data),
state_dict (the learner only; the frozen backbone is rebuilt from meta's identity and checked by
sha256), and train_state (optimizer, epoch, history) in the "last" file only, for --resume.
Training writes MODEL (the best epoch) and MODEL's ".last" sibling, e.g. model.pt and
model.last.pt (see last_path_for). The metadata alone is read without torch (train/meta.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from samic_core.device import resolve_device
from samic_core.errors import CheckpointError
from samic_core.fileio import atomic_path
from samic_core.model.build import build_samic
from samic_core.model.samic_net import SamicNet
from samic_core.train.meta import (
    FORMAT,
    FORMAT_VERSION,
    ModelMeta,
    check_format,
    read_model_meta,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ModelMeta",
    "last_path_for",
    "load_model_file",
    "read_model_meta",
    "read_train_state",
    "save_model_file",
]


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


def _read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "model file does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many exception types for foreign or corrupt files
        raise CheckpointError(path, f"not a readable SAMIC model file ({e})") from e
    return check_format(data, path)


def read_train_state(path: str | Path) -> dict[str, Any] | None:
    """The training state saved in a "last" file (None in a best file)."""
    return _read(path).get("train_state")


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
    data = _read(path)
    meta = ModelMeta.from_dict(data["meta"], path)
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    net, _ = build_samic(
        meta.backbone,
        weights=backbone_weights if backbone_weights is not None else meta.backbone_weights,
        image_size=meta.image_size,
        output=meta.output,
        support_resize=meta.support_resize,
        expected_sha256=meta.backbone_sha256,
        squeeze_depth=meta.squeeze_depth,
    )
    try:
        net.learner.load_state_dict(data["state_dict"])
    except (RuntimeError, KeyError) as e:
        raise CheckpointError(path, f"weights do not fit the {meta.backbone} learner ({e})") from e
    return net.to(dev).eval(), meta
