"""The vocabularies and defaults the CLI and the app share, importable without torch.

Each value is written once here: which devices, SAM model types, cache dtypes, precisions,
training schedules (and when each stops) and peak rules exist, and the defaults both front ends
start from. The app's settings dialog, the CLI's
options, the engine and the embedding cache all read them from this module, which imports
nothing heavy (an import-linter contract keeps torch, torchvision and segment_anything out) so
the GUI thread can use it freely.

The default SAM model type is "auto" for both the CLI and the app: the checkpoint file's
shapes say which engine (SAM 1 or SAM 2.1) and size it is, and when no checkpoint is given the
downloaded vit_b one is used (`download_type`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

Device = Literal["auto", "cpu", "cuda"]
DEVICES: tuple[Device, ...] = get_args(Device)
DEFAULT_DEVICE: Device = "auto"

# The click engines' models: Meta's SAM 1 sizes (segment_anything) and SAM 2.1's four Hiera
# encoders (sam2); samic_core/sam/registry.py holds each one's family, checkpoint and builder
SamModelType = Literal[
    "vit_b", "vit_l", "vit_h",
    "sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l",
]  # fmt: skip
SAM_MODEL_TYPES: tuple[SamModelType, ...] = get_args(SamModelType)
ModelTypeChoice = Literal[
    "auto", "vit_b", "vit_l", "vit_h",
    "sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l",
]  # fmt: skip
MODEL_TYPE_CHOICES: tuple[ModelTypeChoice, ...] = get_args(ModelTypeChoice)
DEFAULT_MODEL_TYPE: ModelTypeChoice = "auto"
DOWNLOAD_MODEL_TYPE: SamModelType = "vit_b"  # fetched / looked up when "auto" names no file

Precision = Literal["fp32", "bf16", "fp16"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)
PrecisionChoice = Literal["auto", "fp32", "bf16", "fp16"]  # auto: bf16 on CUDA, else fp32
PRECISION_CHOICES: tuple[PrecisionChoice, ...] = get_args(PrecisionChoice)
# fp32 by default: embeddings are shared through the cache (app, CLI, other machines) and clicks
# must match SamPredictor; bf16 (much faster encodes on CUDA) is opt-in, docs/model.md Precision
DEFAULT_PRECISION: PrecisionChoice = "fp32"

CacheDtype = Literal["float32", "float16"]
CACHE_DTYPES: tuple[CacheDtype, ...] = get_args(CacheDtype)
DEFAULT_CACHE_DTYPE: CacheDtype = "float32"
DEFAULT_CACHE_MAX_GB = 10.0


def download_type(model_type: str) -> SamModelType:
    """The official checkpoint to look up or download for `model_type` ("auto" -> vit_b)."""
    return model_type if model_type in SAM_MODEL_TYPES else DOWNLOAD_MODEL_TYPE


@dataclass(frozen=True)
class EngineConfig:
    """How to build a click engine (samic_core.sam.build.build_engine, for the CLI, the Ray
    actors and the app alike).

    checkpoint None = the downloaded one for `model_type` (vit_b for auto); `cache_dir` None =
    the user cache; cache_max_gb None = SAMIC_CACHE_MAX_GB or DEFAULT_CACHE_MAX_GB;
    disk_cache False = the memory LRU only (`--no-cache`).
    """

    checkpoint: Path | None
    model_type: ModelTypeChoice = DEFAULT_MODEL_TYPE
    device: Device = DEFAULT_DEVICE
    cache_dir: Path | None = None
    cache_dtype: CacheDtype = DEFAULT_CACHE_DTYPE
    cache_max_gb: float | None = None
    precision: PrecisionChoice = DEFAULT_PRECISION  # encoder autocast (samic_core.precision)
    disk_cache: bool = True


# ---- SAMIC training defaults (the app's dialog and TrainOptions, and the trainer's TrainConfig)
DEFAULT_EPOCHS = 300
DEFAULT_BATCH_SIZE = 4
DEFAULT_IMAGE_SIZE = 224  # as in the paper
IMAGE_SIZES = (64, 96, 128, 160, 192, 224, 256, 320, 384, 448, 512)
TrainSchedule = Literal["auto", "paper"]  # samic_core/train/schedule.py builds SCHEDULES on these
TRAIN_SCHEDULES: tuple[TrainSchedule, ...] = get_args(TrainSchedule)
DEFAULT_SCHEDULE: TrainSchedule = "auto"
PatienceUnit = Literal["epochs", "steps"]


@dataclass(frozen=True)
class EarlyStop:
    """When a schedule stops: once its loss (and peak score) has not improved for `patience`
    `unit`s, never before `min_steps` optimizer steps, and at the latest when the next epoch
    would end past `time_limit_min` minutes (None: no limit). The app's patience field and time
    left use it."""

    unit: PatienceUnit
    patience: int
    min_steps: int
    time_limit_min: float | None


# The auto schedule's time limit keeps `samic train` of a 16-image folder (loading, features,
# epochs, the peak fit) within a quarter of an hour on a 2-core CPU; `--time-limit 0` lifts it.
EARLY_STOP: dict[TrainSchedule, EarlyStop] = {
    "auto": EarlyStop(unit="steps", patience=240, min_steps=480, time_limit_min=14.0),
    "paper": EarlyStop(unit="epochs", patience=10, min_steps=0, time_limit_min=None),  # 4.2
}

BackboneWeights = Literal["imagenet", "none"]  # or a path to a ResNet state dict
BACKBONE_WEIGHTS: tuple[BackboneWeights, ...] = get_args(BackboneWeights)
DEFAULT_BACKBONE_WEIGHTS: BackboneWeights = "imagenet"

# ---- heat map -> point prompts: the shipped rules (registered in samic_core/peaks/, whose
# registry the CLI offers; a test keeps the two the same), and the app's choice
PeakMethod = Literal["nms", "paper"]  # local maxima; the paper's 0.5 regions (section 3.4)
PEAK_METHODS: tuple[PeakMethod, ...] = get_args(PeakMethod)
PeakChoice = Literal["model", PeakMethod]  # model: the rule the model file's schedule implies
PEAK_CHOICES: tuple[PeakChoice, ...] = get_args(PeakChoice)
DEFAULT_PEAK_CHOICE: PeakChoice = "model"
# references per target when none are named (paper section 3.3: K-shot); the peak rule is
# fitted with as many (train/peak_fit.py), so it fits the maps prediction averages
DEFAULT_SHOTS = 5
