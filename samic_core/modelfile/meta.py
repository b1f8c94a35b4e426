"""What a SAMIC model file says about itself, read without importing torch.

A model file is a torch.save zip archive whose pickle (`<archive>/data.pkl`) holds a plain dict:
format, format_version, meta, state_dict, train_state. The metadata is plain data, so it is read
here with a restricted unpickler that never builds a tensor (torch's rebuild functions become
placeholders and the weight records in the archive are never opened). Listing models this way
is cheap and, above all, does not import torch: the app lists a folder's models on its GUI
thread while another thread may be importing torch to load SAM, and two threads importing
torch/torchvision at once fail with "partially initialized module" errors.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from samic_core import __version__
from samic_core.errors import CheckpointError
from samic_core.loss_terms import DEFAULT_TERMS, PAPER_TERMS

FORMAT = "samic-model"
FORMAT_VERSION = 1
# The loss terms of files written before the terms were recorded: the `auto` schedule trained
# with all four, the `paper` schedule (and every file from before schedules) with the paper's.
_UNRECORDED_TERMS = {"auto": DEFAULT_TERMS, "paper": PAPER_TERMS}
_SAFE_GLOBALS = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset")}


@dataclass(frozen=True)
class ModelMeta:
    """What a model file says about itself; cheap to read (see read_model_meta)."""

    classes: tuple[str, ...]
    backbone: str
    backbone_weights: str  # "imagenet" | "none" | path of the state dict used
    backbone_sha256: str
    image_size: int
    output: str
    support_resize: str
    learnable_params: int
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    epochs_run: int = 0
    train_loss: float | None = None
    val_loss: float | None = None
    best_epoch: int | None = None
    samic_version: str = __version__
    config: dict[str, Any] = field(default_factory=dict)
    # ablations (paper tables 5 and 6): 4D conv layers per squeeze block, the terms of the loss
    squeeze_depth: int = 3
    loss_terms: tuple[str, ...] = DEFAULT_TERMS
    presence: bool = False  # a presence gate (model/presence.py); older files have none

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["classes"] = list(self.classes)
        d["loss_terms"] = list(self.loss_terms)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: Path) -> ModelMeta:
        """Files written before the ablation fields read as depth 3 and their schedule's terms."""
        try:
            config = d.get("config") or {}
            terms = d.get("loss_terms") or _UNRECORDED_TERMS.get(
                str(config.get("schedule", "paper")), PAPER_TERMS
            )
            return cls(**{**d, "classes": tuple(d["classes"]), "loss_terms": tuple(terms)})
        except (KeyError, TypeError, AttributeError) as e:
            raise CheckpointError(path, f"model metadata is incomplete or unknown ({e})") from e


def check_format(data: Any, path: Path) -> dict[str, Any]:
    """`data` when it is a SAMIC model dict of the version this code reads, else CheckpointError."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(path, "not a SAMIC model file (made by `samic train`)")
    if data.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"model file format {data.get('format_version')} is not supported by this version "
            f"(reads {FORMAT_VERSION})",
        )
    return data


def _placeholder(*_args: Any, **_kwargs: Any) -> None:
    return None


class _MetaUnpickler(pickle.Unpickler):
    """Plain containers only; torch's tensor and storage builders become placeholders."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        if module == "torch" or module.startswith("torch."):
            return _placeholder
        raise pickle.UnpicklingError(f"unexpected object {module}.{name}")

    def persistent_load(self, pid: Any) -> None:  # a tensor's storage record: not read
        return None


def read_model_meta(path: str | Path) -> ModelMeta:
    """The metadata alone, without torch and without reading the weights."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "model file does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            pkl = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
            if pkl is None:
                raise CheckpointError(path, "not a SAMIC model file (made by `samic train`)")
            raw = archive.read(pkl)
        data = _MetaUnpickler(io.BytesIO(raw)).load()
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, pickle.UnpicklingError, OSError, EOFError, ValueError) as e:
        raise CheckpointError(path, f"not a readable SAMIC model file ({e})") from e
    return ModelMeta.from_dict(check_format(data, path).get("meta") or {}, path)
