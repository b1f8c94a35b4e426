"""What a training run is given (TrainConfig) and what it reports (TrainProgress, TrainResult).

Plain data without torch, so that the CLI and the app can build and read them cheaply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samic_core.architecture import Architecture
from samic_core.config import (
    DEFAULT_BACKBONE_WEIGHTS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_DEVICE,
    DEFAULT_EPOCHS,
    DEFAULT_IMAGE_SIZE,
    DEFAULT_SCHEDULE,
)


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; the CLI and the app fill it."""

    folder: str | Path
    out: str | Path
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = DEFAULT_BATCH_SIZE
    lr: float = 1e-3
    patience: int | None = None  # in the schedule's unit (paper: epochs; auto: steps)
    schedule: str = DEFAULT_SCHEDULE  # "auto" or "paper", see samic_core/train/schedule.py
    image_size: int = DEFAULT_IMAGE_SIZE
    device: str = DEFAULT_DEVICE
    backbone: str = "resnet50"
    backbone_weights: str = DEFAULT_BACKBONE_WEIGHTS
    seed: int = 0
    resume: str | Path | None = None
    classes: Sequence[str] | None = None
    val_fraction: float = 0.2
    flips: bool | None = None  # random flips; None: the schedule's (auto: on, paper: off)
    jitter: bool | None = None  # scale/colour variants of every image (train/augment.py);
    # None: the schedule's where the run has a pixel cue (auto: on, paper: off), else off
    output: str = "sigmoid"  # head normalisation, measured against softmax in docs/model.md
    support_resize: str = "max"  # reference heat map -> feature size, see docs/model.md
    feature_cache: bool = True
    cache_max_gb: float = 4.0
    overwrite: bool = False  # replace existing --out files (never needed with --resume)
    annotations: str | Path | None = None  # annotation folder (default FOLDER/annotations)
    squeeze_depth: int = 3  # 4D conv layers per squeeze block (paper table 5 ablation)
    loss_terms: tuple[str, ...] | None = None  # None: the schedule's terms (table 6 ablation)
    presence: bool | None = None  # presence gate; None: the schedule's (auto: on, paper: off)
    appearance: bool | None = None  # appearance cue; None: the schedule's (auto: on, paper: off)
    pixel_cue: bool | None = None  # pixel cue; None: the schedule's (auto: on, paper: off)
    # share of training samples without the pixel cue; > 0: the run keeps the cue only where
    # the validation prompts are better with it (train/cue_choice.py). None: the schedule's
    # (auto: 0.5, paper: 0); 0: the cue is always kept
    pixel_cue_drop: float | None = None
    erase: bool | None = None  # erased copies as empty targets; None: the schedule's (auto: on)
    average: bool | None = None  # validate and save a weight average; None: the schedule's
    time_limit: float | None = None  # minutes; None: the schedule's on a CPU (auto: 14) and
    # none on a GPU; 0: no limit
    # tiles of big images (samic_core/tiles/spec.py): "auto", "off" or a side in px; the model
    # file records the side used (an int) or "off"
    tile: str | int = "auto"

    @property
    def architecture(self) -> Architecture:
        """The network this run trains (presence and appearance None count as none: the
        trainer resolves them from the schedule first)."""
        return Architecture(
            backbone=self.backbone,
            image_size=self.image_size,
            output=self.output,
            support_resize=self.support_resize,
            squeeze_depth=self.squeeze_depth,
            presence=bool(self.presence),
            appearance=bool(self.appearance),
            pixel_cue=bool(self.pixel_cue),
        )

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {
            k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
            for k, v in d.items()
        }


@dataclass(frozen=True)
class TrainProgress:
    """Sent after every step and at the end of every epoch (step == steps, val_loss set).

    A richer event than the one progress shape (samic_core.jobs.Progress), which it also
    offers as `done`, `total` and `name`, so a plain (done, total, name) consumer such as a
    progress bar reads it like any other job: `train(config, lambda p: bar(*p.as_progress()))`.
    """

    epoch: int
    epochs: int
    step: int
    steps: int
    train_loss: float  # running mean of this epoch so far
    val_loss: float | None
    best_loss: float | None
    elapsed_s: float
    eta_s: float | None  # to the epoch limit; early stopping may end sooner
    best_epoch: int | None = None  # the epoch the best file holds (the score chooses it)
    limit_left_s: float | None = None  # seconds left of the run's time limit (None: no limit)

    @property
    def done(self) -> int:
        """Optimizer steps done in this run so far (the epochs before this one counted at this
        epoch's step count)."""
        return (self.epoch - 1) * self.steps + self.step

    @property
    def total(self) -> int:
        """Optimizer steps up to the epoch limit; early stopping may end sooner."""
        return self.epochs * self.steps

    @property
    def name(self) -> str:
        return f"epoch {self.epoch}/{self.epochs}"

    def as_progress(self) -> tuple[int, int, str]:
        """(done, total, name): the arguments of the one Progress callback."""
        return self.done, self.total, self.name


TrainProgressFn = Callable[[TrainProgress], None]


@dataclass
class TrainResult:
    best_path: Path | None  # None only when cancelled before the first epoch ended
    last_path: Path | None
    epochs_run: int
    best_val_loss: float | None  # the best epoch's validation (else training) loss
    train_loss: float | None  # of the last completed epoch
    history: list[dict[str, Any]] = field(default_factory=list)
    cancelled: bool = False
    best_epoch: int | None = None
    stop_reason: str = ""  # why the run ended, in words (early stop, time limit, ...)
