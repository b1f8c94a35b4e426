"""Writing a SAMIC model file and reading it back validated (the one reader of its weights).

Layout (a dict saved with torch.save): format, format_version, meta (ModelMeta as plain data),
state_dict (the learner only; the frozen backbone is rebuilt from meta's identity and checked by
sha256), and train_state (optimizer, epoch, history) in the "last" file only, for --resume.
Training writes MODEL (the best epoch) and MODEL's ".last" sibling, e.g. model.pt and
model.last.pt (see last_path_for). The metadata alone is read without torch
(modelfile/meta.py). Training and inference both read through `read_model_file`.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from samic_core.device import resolve_device
from samic_core.errors import CheckpointError, FileProblem
from samic_core.fileio import atomic_path
from samic_core.model.build import build_samic
from samic_core.model.samic_net import SamicNet
from samic_core.modelfile.archive import check_archive, short
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
    "best_path_for",
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


def best_path_for(last_path: str | Path) -> Path | None:
    """model.last.pt -> model.pt (the inverse of last_path_for); None for other names."""
    p = Path(last_path)
    if p.suffix and p.stem.endswith(".last"):
        return p.with_name(p.stem[: -len(".last")] + p.suffix)
    if p.name.endswith(".last") and len(p.name) > len(".last"):
        return p.with_name(p.name[: -len(".last")])
    return None


# How much free space below which a write torch could not finish is called a full disk: torch
# reports a failed write to a path as a RuntimeError without the system's reason.
_NEARLY_FULL = 64 << 20


def _write_failure(e: BaseException, folder: Path) -> str:
    """Why writing a model file failed, in words a user can act on."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on device"
    if "No space left on device" in str(e):
        return "no space left on device"
    try:
        if shutil.disk_usage(folder).free < _NEARLY_FULL:
            return "no space left on device"
    except OSError:
        pass
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return f"the write failed ({short(e)})"


def save_model_file(
    path: str | Path,
    net: SamicNet,
    meta: ModelMeta,
    train_state: dict[str, Any] | None = None,
) -> None:
    """Write the model file atomically (a reader sees the old file or the new one); a failed
    write (a full disk) is a FileProblem naming the file, and the previous file is kept."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "meta": meta.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in net.learner.state_dict().items()},
        "train_state": train_state,
    }
    try:
        # also drops temps of killed runs; written through a Python file so that a failed write
        # raises the system's OSError (torch's own writer raises a bare RuntimeError)
        with atomic_path(path, clean_stale=True) as tmp, open(tmp, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
    except (OSError, RuntimeError) as e:
        why = _write_failure(e, path.parent)
        kept = " (the previous file is kept)" if path.exists() else ""
        raise FileProblem(path, f"cannot save the model: {why}{kept}") from e


def _why(e: BaseException) -> str:
    """torch's reason for refusing a file, without its advice on loading untrusted files."""
    text = str(e)
    if "WeightsUnpickler error:" in text:
        text = text.split("WeightsUnpickler error:", 1)[1].split("Check the documentation")[0]
        return f"the weights-only unpickler refused it: {short(ValueError(text))}"
    return short(e)


def read_model_file(path: str | Path) -> ModelFile:
    """Read and validate a model file (format, version, metadata); CheckpointError otherwise."""
    path = Path(path)
    check_archive(path)  # every member's declared size within budget before torch reads any
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many exception types for foreign or corrupt files
        raise CheckpointError(path, f"not a readable SAMIC model file ({_why(e)})") from e
    data = check_format(data, path)
    state_dict = data.get("state_dict")
    if not isinstance(state_dict, dict):
        raise CheckpointError(path, "model file holds no weights")
    meta = ModelMeta.from_dict(data.get("meta"), path)
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
        meta.architecture,
        weights=backbone_weights if backbone_weights is not None else meta.backbone_weights,
        expected_sha256=meta.backbone_sha256,
    )
    try:
        net.learner.load_state_dict(content.state_dict)
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise CheckpointError(
            path, f"weights do not fit the {meta.backbone} learner ({short(e)})"
        ) from e
    return net.to(dev).eval(), meta
