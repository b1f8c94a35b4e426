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
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from samic_core import __version__
from samic_core.architecture import Architecture
from samic_core.config import TRAIN_SCHEDULES
from samic_core.errors import CheckpointError
from samic_core.loss_terms import DEFAULT_TERMS, LOSS_TERMS, PAPER_TERMS, check_loss_terms
from samic_core.modelfile.archive import read_pickle_bytes, short
from samic_core.modelfile.fields import Fields, show

FORMAT = "samic-model"
FORMAT_VERSION = 1
# The loss terms of files written before the terms were recorded: the `auto` schedule trained
# with the four of its time (before `level`), the `paper` schedule (and every file from before
# schedules) with the paper's.
_UNRECORDED_TERMS = {"auto": ("kld", "cc", "nss", "bce"), "paper": PAPER_TERMS}
_SAFE_GLOBALS = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset")}
# config entries that are shares: (name, "]" for at most 1 or ")" for below 1); NaN fails both
_CONFIG_SHARES = (
    ("pixel_cue_drop", ")"),
    ("pixel_cue_score_with", "]"),
    ("pixel_cue_score_without", "]"),
)


# What a metadata field may hold. The model's vocabularies live beside torch code
# (samic_core.model: BACKBONES, OUTPUTS, SUPPORT_RESIZE_MODES, SQUEEZE_DEPTHS, SIZE_MULTIPLE);
# metadata is read without torch, so they are repeated here (a test keeps them equal).
BACKBONE_NAMES = ("resnet50", "resnet101")
OUTPUT_NAMES = ("softmax", "sigmoid")
SUPPORT_RESIZE_NAMES = ("max", "bilinear")
SQUEEZE_DEPTH_RANGE = (1, 4)
MIN_IMAGE_SIZE, MAX_IMAGE_SIZE, SIZE_STEP = 64, 1024, 32  # training refuses larger inputs too
MAX_CLASSES = 1000
MAX_EPOCHS = 1_000_000
MAX_PARAMS = 10**10
MIN_TILE, MAX_TILE = 64, 1 << 16


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    created: str = field(default_factory=_now)
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
    appearance: bool = False  # an appearance cue (model/appearance.py); older files have none
    pixel_cue: bool = False  # a pixel cue (model/pixel_cue.py); older files have none
    # the peak rule fitted on the validation images (train/peak_fit.py): threshold, floor and
    # what it scored there, or the fit's strict start alone (too few validation objects); None:
    # the predictor's default (older files, models without BCE, models of tiles not fitted)
    peak_rule: dict[str, float] | None = None

    @property
    def tile(self) -> int | None:
        """The tile side (px) the model was trained on (train/tiling.py), None: whole images."""
        tile = self.config.get("tile")
        return tile if isinstance(tile, int) and not isinstance(tile, bool) else None

    @property
    def pixel_cue_scores(self) -> tuple[float, float] | None:
        """(validation score with the pixel cue, without it) where the run chose whether to
        keep the cue (train/cue_choice.py); None otherwise or where the file holds no numbers."""
        pair = (self.config.get("pixel_cue_score_with"), self.config.get("pixel_cue_score_without"))
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair):
            return None  # from_dict checked them: only metadata built in code gets here
        return float(pair[0]), float(pair[1])  # type: ignore[arg-type]  # checked above

    @property
    def architecture(self) -> Architecture:
        """The network this file's weights fit (older files: depth 3, no presence gate)."""
        return Architecture(
            backbone=self.backbone,
            image_size=self.image_size,
            output=self.output,
            support_resize=self.support_resize,
            squeeze_depth=self.squeeze_depth,
            presence=self.presence,
            appearance=self.appearance,
            pixel_cue=self.pixel_cue,
        )

    def to_dict(self) -> dict[str, Any]:
        """The metadata as the plain data a model file stores. A model without a pixel cue leaves
        the field out, so the release before it can still read the file."""
        d = asdict(self)
        d["classes"] = list(self.classes)
        d["loss_terms"] = list(self.loss_terms)
        if not self.pixel_cue:
            del d["pixel_cue"]
        return d

    @classmethod
    def from_dict(cls, d: Any, path: Path | None) -> ModelMeta:
        """Validated metadata: every field's type and range checked (CheckpointError naming the
        file and the field otherwise). Files written before the ablation fields read as depth 3
        and their schedule's terms."""
        f = Fields(d, path, "model metadata")
        f.only(_FIELDS)
        config = {} if f.data.get("config") is None else f.plain_mapping("config")
        schedule = config.get("schedule", "paper")
        if schedule not in TRAIN_SCHEDULES:
            f.fail("config", f"names an unknown schedule {show(schedule)}")
        keys = ("flips", "erase", "presence", "appearance", "pixel_cue", "jitter", "pixel_cue_kept")
        for key in keys:
            if config.get(key) is not None and not isinstance(config[key], bool):
                f.fail("config", f"entry {key!r} is not true or false ({show(config[key])})")
        for key, high in _CONFIG_SHARES:
            v = config.get(key)
            number = isinstance(v, int | float) and not isinstance(v, bool)
            if v is not None and not (number and v >= 0 and (v < 1 if high == ")" else v <= 1)):
                f.fail("config", f"entry {key!r} is not a number in [0, 1{high} ({show(v)})")
        tile = config.get("tile")
        if tile is not None and tile not in ("auto", "off") and not (
            isinstance(tile, int) and not isinstance(tile, bool) and MIN_TILE <= tile <= MAX_TILE
        ):
            f.fail("config", f"entry 'tile' is not off or a side of {MIN_TILE}-{MAX_TILE} px "
                             f"({show(tile)})")  # fmt: skip
        terms = _UNRECORDED_TERMS.get(schedule, PAPER_TERMS)
        if f.data.get("loss_terms") is not None:
            terms = f.names("loss_terms", most=len(LOSS_TERMS), choices=LOSS_TERMS)
        return cls(
            classes=f.names("classes", most=MAX_CLASSES),
            backbone=f.text("backbone", choices=BACKBONE_NAMES),
            backbone_weights=f.text("backbone_weights"),
            backbone_sha256=f.text("backbone_sha256", pattern=r"[0-9a-f]{64}"),
            image_size=f.integer("image_size", MIN_IMAGE_SIZE, MAX_IMAGE_SIZE, step=SIZE_STEP),
            output=f.text("output", choices=OUTPUT_NAMES),
            support_resize=f.text("support_resize", choices=SUPPORT_RESIZE_NAMES),
            learnable_params=f.integer("learnable_params", 0, MAX_PARAMS),
            created=f.text("created", _now(), limit=64),
            epochs_run=f.integer("epochs_run", 0, MAX_EPOCHS, 0),
            train_loss=f.number("train_loss", None),
            val_loss=f.number("val_loss", None),
            best_epoch=f.integer("best_epoch", 0, MAX_EPOCHS, None),
            samic_version=f.text("samic_version", __version__, limit=64),
            config=config,
            squeeze_depth=f.integer("squeeze_depth", *SQUEEZE_DEPTH_RANGE, 3),
            loss_terms=check_loss_terms(terms),
            presence=f.flag("presence", False),
            appearance=f.flag("appearance", False),
            pixel_cue=f.flag("pixel_cue", False),
            peak_rule=_peak_rule(f),
        )


PEAK_RULE_STATS = ("val_recall", "val_precision", "val_empty_clean", "val_objects", "val_targets")


def _peak_rule(f: Fields) -> dict[str, float] | None:
    """The fitted peak rule: threshold in (0, 1], floor in [0, 1), plain statistics beside."""
    if f.data.get("peak_rule") is None:
        return None
    rule = Fields(f.mapping("peak_rule"), f.path, "model metadata peak_rule")
    rule.only(("threshold", "floor", *PEAK_RULE_STATS))
    threshold = rule.number("threshold", finite=True)
    floor = rule.number("floor", finite=True)
    assert threshold is not None and floor is not None
    if not 0 < threshold <= 1:
        rule.fail("threshold", f"must be in (0, 1], got {threshold}")
    if not 0 <= floor < 1:
        rule.fail("floor", f"must be in [0, 1), got {floor}")
    out = {"threshold": threshold, "floor": floor}
    for key in PEAK_RULE_STATS:
        value = rule.number(key, None)
        if value is not None:
            out[key] = value
    return out


_FIELDS = frozenset(f.name for f in fields(ModelMeta))


def check_format(data: Any, path: Path) -> dict[str, Any]:
    """`data` when it is a SAMIC model dict of the version this code reads, else CheckpointError."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(path, "not a SAMIC model file (made by `samic train`)")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"model file format {show(version)} is not supported by this version "
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
        raise pickle.UnpicklingError(f"unexpected object {module[:60]}.{name[:60]}")

    def persistent_load(self, pid: Any) -> None:  # a tensor's storage record: not read
        return None


def read_model_meta(path: str | Path) -> ModelMeta:
    """The metadata alone, without torch and without reading the weights; every archive member
    is held to a size budget (modelfile/archive.py) and every field is validated."""
    path = Path(path)
    raw = read_pickle_bytes(path)
    try:
        data = _MetaUnpickler(io.BytesIO(raw)).load()
    except Exception as e:  # a hostile pickle can raise nearly anything; it is not a model
        raise CheckpointError(path, f"not a readable SAMIC model file ({short(e)})") from e
    return ModelMeta.from_dict(check_format(data, path).get("meta"), path)
