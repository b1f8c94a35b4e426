"""One training epoch as a function of values: its batches, one optimizer step each, the mean
of every logged loss term; and the history entry an epoch leaves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from samic_core.jobs import ShouldStop
from samic_core.model.samic_net import SamicNet
from samic_core.train.averaging import WeightAverage
from samic_core.train.episodes import TrainingEpisode
from samic_core.train.features import EpisodeTensors, FeatureBank
from samic_core.train.peak_fit import PeakFit
from samic_core.train.step import batch_loss, batches, logged_terms, optimised_terms

StepFn = Callable[[int, float], None]  # (step, running mean loss) after every optimizer step


@dataclass(frozen=True)
class EpochLosses:
    """A completed epoch: the optimised loss's mean over its pairs, each logged term's mean."""

    train_loss: float
    terms: dict[str, float]
    steps: int


def train_epoch(
    net: SamicNet,
    optimizer: torch.optim.Optimizer,
    episodes: Sequence[TrainingEpisode],
    gate: Sequence[Sequence[TrainingEpisode]],
    tensors: EpisodeTensors,
    bank: FeatureBank,
    loss_terms: Sequence[str],
    batch_size: int,
    stop: ShouldStop,
    on_step: StepFn | None = None,
    deficits: dict[TrainingEpisode, torch.Tensor] | None = None,
    average: WeightAverage | None = None,
) -> EpochLosses | None:
    """Train on `episodes` in batches (gate[i]: the i-th step's gate-only pairs); None when
    `stop` asks to end before the epoch completes (also during its last step: a half-seen
    epoch is never saved). `deficits`: the gate-only pairs' kept evidence (train/step.py);
    `average`: updated after every step."""
    net.train()
    logged = logged_terms(loss_terms)
    sums = {"loss": 0.0, **{k: 0.0 for k in logged}}
    seen = steps = 0
    for step, batch in enumerate(batches(episodes, batch_size), start=1):
        if stop():
            return None
        loss, terms = batch_loss(net, batch, tensors, bank, loss_terms, gate[step - 1], deficits)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if average is not None:
            average.update(net.learner)
        n = len(batch)
        seen += n
        steps = step
        sums["loss"] += sum(terms[k] for k in optimised_terms(loss_terms, terms)) * n
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + v * n
        if on_step is not None:
            on_step(step, sums["loss"] / seen)
    if stop() or not seen:
        return None
    means = {k: v / seen for k, v in sums.items() if k != "loss"}
    return EpochLosses(sums["loss"] / seen, means, steps)


def history_entry(
    epoch: int,
    losses: EpochLosses,
    val_loss: float | None,
    fit: PeakFit | None,
    elapsed_s: float,
) -> dict[str, Any]:
    """What the model file's history keeps of one epoch: losses, logged terms, the validation
    peaks' recall, precision and score where they were measured, and the time so far."""
    scored = {} if fit is None else {
        "val_recall": fit.recall, "val_precision": fit.precision, "val_score": fit.score,
    }  # fmt: skip
    return {
        "epoch": epoch,
        "train_loss": losses.train_loss,
        "val_loss": val_loss,
        **losses.terms,
        **scored,
        "elapsed_s": elapsed_s,
    }
