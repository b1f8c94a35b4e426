"""Training schedules: how many pairs an epoch draws, which loss terms, and when to stop.

`paper` is section 4.2 as written: one random reference per target image and epoch, KLD + CC +
NSS, stop when the training loss has not improved for 10 epochs. On a folder of 12 images an
epoch is 3 optimizer steps, so that rule stops after ~30 noisy steps, long before the network
has learned (docs/model.md). `auto` (the default) counts in optimizer steps: every epoch draws
several references per target (at least `min_episodes` pairs), the loss that decides is an
exponential moving average of the validation loss (the training loss when the folder is too
small to hold images out), and training stops once that average has not improved for `patience`
steps after at least `min_steps` steps. It also adds the BCE term and empty targets (images
marked done without the object), which give the network's output an absolute meaning, and
random flips (without them the network memorises a small folder and finds fewer instances;
docs/model.md, "Augmentations", has the figures).
`samic train --loss-terms` replaces a schedule's terms (the paper's table 6 ablation).
Which schedules exist and when each stops (unit, patience, minimum steps) are written once in
samic_core/config.py (TRAIN_SCHEDULES, EARLY_STOP), where the app reads them without torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from samic_core.config import EARLY_STOP, TRAIN_SCHEDULES, PatienceUnit
from samic_core.loss_terms import DEFAULT_TERMS, PAPER_TERMS, check_loss_terms


@dataclass(frozen=True)
class Schedule:
    """One named schedule; `patience` is in `unit`s (epochs or optimizer steps)."""

    name: str
    refs_per_target: int
    min_episodes: int  # an epoch draws at least this many (target, reference) pairs
    unit: PatienceUnit
    patience: int
    min_steps: int  # never stop before this many optimizer steps
    time_limit_min: float | None  # stop before an epoch would end past this (None: no limit)
    smoothing: float  # EMA weight of the newest epoch's loss (1.0 = no smoothing)
    on_validation: bool  # decide on the validation loss when there is one
    loss_terms: tuple[str, ...]
    negatives: bool  # images marked done without a class are empty targets of that class
    flips: bool  # random flips of target and reference unless TrainConfig.flips says otherwise
    presence: bool  # a presence gate (model/presence.py) unless TrainConfig.presence says otherwise
    appearance: bool  # an appearance cue (model/appearance.py) unless TrainConfig says otherwise
    # (on under `auto` with the `level` term, which keeps its map from fading: docs/model.md)
    pixel_cue: bool  # a pixel cue (model/pixel_cue.py) unless TrainConfig says otherwise (on
    # under `auto` with jitter: docs/model.md, "The pixel cue by default")
    pixel_cue_drop: float  # share of samples trained without it; > 0: kept per folder
    # (train/cue_choice.py; with 0.5 better on average than always kept, docs/model.md)
    erase: bool  # erased copies as empty targets (train/erase.py) unless TrainConfig.erase says
    jitter: bool  # scale/colour variants (train/augment.py) with a pixel cue, unless TrainConfig
    # says (on under `auto`: without them the pixel cue learns the training objects' size and tone)
    average: bool  # validate and save a weight average (train/averaging.py) unless TrainConfig says


_PAIRS_AND_LOSS: dict[str, dict[str, Any]] = {  # the rest of each schedule (stop: EARLY_STOP)
    "auto": dict(
        refs_per_target=4, min_episodes=48, smoothing=0.3, on_validation=True,
        loss_terms=DEFAULT_TERMS, negatives=True, flips=True, presence=True,
        appearance=True, pixel_cue=True, pixel_cue_drop=0.5, erase=True, jitter=True,
        average=True,
    ),
    "paper": dict(
        refs_per_target=1, min_episodes=1, smoothing=1.0, on_validation=False,
        loss_terms=PAPER_TERMS, negatives=False, flips=False, presence=False,
        appearance=False, pixel_cue=False, pixel_cue_drop=0.0, erase=False, jitter=False,
        average=False,
    ),
}  # fmt: skip
SCHEDULES: dict[str, Schedule] = {
    name: Schedule(
        name=name,
        unit=EARLY_STOP[name].unit,
        patience=EARLY_STOP[name].patience,
        min_steps=EARLY_STOP[name].min_steps,
        time_limit_min=EARLY_STOP[name].time_limit_min,
        **_PAIRS_AND_LOSS[name],
    )
    for name in TRAIN_SCHEDULES
}


def resolve_schedule(
    name: str,
    patience: int | None = None,
    loss_terms: Sequence[str] | None = None,
    time_limit_min: float | None = None,
) -> Schedule:
    """The named schedule, with `patience` (in its own unit), the loss terms and the time limit
    (minutes; 0: none) replaced when given (`samic train --patience`, `--loss-terms`: the
    paper's table 6 ablation, `--time-limit`)."""
    schedule = SCHEDULES[name]
    if patience is not None:
        schedule = replace(schedule, patience=int(patience))
    if time_limit_min is not None:
        schedule = replace(schedule, time_limit_min=float(time_limit_min) or None)
    if loss_terms is not None:
        schedule = replace(schedule, loss_terms=check_loss_terms(loss_terms))
    return schedule


def better_epoch(
    score: float | None, loss: float, best_score: float | None, best_loss: float | None
) -> bool:
    """Is an epoch with this peak score and loss better than the best so far? The validation
    peaks' score decides where measured (it is what the user gets), the lower loss on a tie
    (a few validation objects give a coarse score) or where there is no score."""
    if best_loss is None:
        return True
    if score is not None and best_score is not None and score != best_score:
        return score > best_score
    return loss < best_loss


class Stopper:
    """Early stopping: feed it every epoch's losses (and, when measured, the validation images'
    peak score, train/peak_fit.py), ask whether to stop.

    A run stops once neither the smoothed loss nor the peak score has improved for `patience`
    units: the loss can flatten while the peaks still get better (the map sharpens at a
    constant loss), and a score flat on a few images can hide a loss that still falls.
    """

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.steps = 0
        self.epochs = 0
        self.smoothed: float | None = None
        self.best = math.inf
        self.best_at = 0  # steps (or epochs) when `best` was reached
        self.smoothed_score: float | None = None  # EMA of the peak score, as the loss's
        self.best_score = -math.inf  # the highest smoothed peak score (none measured: -inf)
        self.score_at = 0  # steps (or epochs) when `best_score` was reached

    def _clock(self) -> int:
        return self.steps if self.schedule.unit == "steps" else self.epochs

    def update(
        self, train_loss: float, val_loss: float | None, steps: int, score: float | None = None
    ) -> None:
        """After an epoch of `steps` optimizer steps with these mean losses and peak score."""
        self.steps += steps
        self.epochs += 1
        value = val_loss if (self.schedule.on_validation and val_loss is not None) else train_loss
        a = self.schedule.smoothing
        self.smoothed = value if self.smoothed is None else a * value + (1 - a) * self.smoothed
        if self.smoothed < self.best:
            self.best, self.best_at = self.smoothed, self._clock()
        if score is not None:
            last = self.smoothed_score
            self.smoothed_score = score if last is None else a * score + (1 - a) * last
            if self.smoothed_score > self.best_score:
                self.best_score, self.score_at = self.smoothed_score, self._clock()

    def should_stop(self) -> bool:
        s = self.schedule
        flat = min(self._clock() - self.best_at, self._clock() - self.score_at)
        return self.steps >= s.min_steps and flat >= s.patience

    def reason(self) -> str:
        s = self.schedule
        what = "validation" if s.on_validation else "training"
        scored = " and validation peak score" if self.best_score > -math.inf else ""
        return (
            f"smoothed {what} loss{scored} flat for {s.patience} {s.unit} ({self.steps} steps run)"
        )

    def state(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "epochs": self.epochs,
            "smoothed": self.smoothed,
            "best": self.best,
            "best_at": self.best_at,
            "smoothed_score": self.smoothed_score,
            "best_score": self.best_score if self.best_score > -math.inf else None,
            "score_at": self.score_at,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore from `state()`, or from the older files' best_train_loss / bad_epochs."""
        if "best_at" in state:
            self.steps, self.epochs = int(state["steps"]), int(state["epochs"])
            self.smoothed, self.best = state["smoothed"], float(state["best"])
            self.best_at = int(state["best_at"])
            score = state.get("best_score")  # files written before the score: none
            self.best_score = -math.inf if score is None else float(score)
            self.score_at = int(state.get("score_at", 0))
            smoothed = state.get("smoothed_score")
            self.smoothed_score = None if smoothed is None else float(smoothed)
        else:  # a model file written before schedules existed (paper rule, epochs)
            self.epochs = int(state.get("epoch", 0))
            self.best = float(state.get("best_train_loss", math.inf))
            self.best_at = self.epochs - int(state.get("bad_epochs", 0))
