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
random flips (on 3 seeds of the multi-instance benchmark they doubled instance recall: without
them the network memorises a small folder; docs/model.md, "Augmentations").
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
    smoothing: float  # EMA weight of the newest epoch's loss (1.0 = no smoothing)
    on_validation: bool  # decide on the validation loss when there is one
    loss_terms: tuple[str, ...]
    negatives: bool  # images marked done without a class are empty targets of that class
    flips: bool  # random flips of target and reference unless TrainConfig.flips says otherwise
    presence: bool  # a presence gate (model/presence.py) unless TrainConfig.presence says otherwise
    erase: bool  # erased copies as empty targets (train/erase.py) unless TrainConfig.erase says


_PAIRS_AND_LOSS: dict[str, dict[str, Any]] = {  # the rest of each schedule (stop: EARLY_STOP)
    "auto": dict(
        refs_per_target=4, min_episodes=48, smoothing=0.3, on_validation=True,
        loss_terms=DEFAULT_TERMS, negatives=True, flips=True, presence=True,
        erase=True,
    ),
    "paper": dict(
        refs_per_target=1, min_episodes=1, smoothing=1.0, on_validation=False,
        loss_terms=PAPER_TERMS, negatives=False, flips=False, presence=False,
        erase=False,
    ),
}  # fmt: skip
SCHEDULES: dict[str, Schedule] = {
    name: Schedule(
        name=name,
        unit=EARLY_STOP[name].unit,
        patience=EARLY_STOP[name].patience,
        min_steps=EARLY_STOP[name].min_steps,
        **_PAIRS_AND_LOSS[name],
    )
    for name in TRAIN_SCHEDULES
}


def resolve_schedule(
    name: str, patience: int | None = None, loss_terms: Sequence[str] | None = None
) -> Schedule:
    """The named schedule, with `patience` (in its own unit) and the loss terms replaced when
    given (`samic train --patience`, `--loss-terms`: the paper's table 6 ablation)."""
    schedule = SCHEDULES[name]
    if patience is not None:
        schedule = replace(schedule, patience=int(patience))
    if loss_terms is not None:
        schedule = replace(schedule, loss_terms=check_loss_terms(loss_terms))
    return schedule


class Stopper:
    """Early stopping: feed it every epoch's losses, ask whether to stop."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.steps = 0
        self.epochs = 0
        self.smoothed: float | None = None
        self.best = math.inf
        self.best_at = 0  # steps (or epochs) when `best` was reached

    def _clock(self) -> int:
        return self.steps if self.schedule.unit == "steps" else self.epochs

    def update(self, train_loss: float, val_loss: float | None, steps: int) -> None:
        """After an epoch of `steps` optimizer steps with these mean losses."""
        self.steps += steps
        self.epochs += 1
        value = val_loss if (self.schedule.on_validation and val_loss is not None) else train_loss
        a = self.schedule.smoothing
        self.smoothed = value if self.smoothed is None else a * value + (1 - a) * self.smoothed
        if self.smoothed < self.best:
            self.best, self.best_at = self.smoothed, self._clock()

    def should_stop(self) -> bool:
        s = self.schedule
        return self.steps >= s.min_steps and self._clock() - self.best_at >= s.patience

    def reason(self) -> str:
        s = self.schedule
        what = "validation" if s.on_validation else "training"
        return f"smoothed {what} loss flat for {s.patience} {s.unit} ({self.steps} steps run)"

    def state(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "epochs": self.epochs,
            "smoothed": self.smoothed,
            "best": self.best,
            "best_at": self.best_at,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore from `state()`, or from the older files' best_train_loss / bad_epochs."""
        if "best_at" in state:
            self.steps, self.epochs = int(state["steps"]), int(state["epochs"])
            self.smoothed, self.best = state["smoothed"], float(state["best"])
            self.best_at = int(state["best_at"])
        else:  # a model file written before schedules existed (paper rule, epochs)
            self.epochs = int(state.get("epoch", 0))
            self.best = float(state.get("best_train_loss", math.inf))
            self.best_at = self.epochs - int(state.get("bad_epochs", 0))
