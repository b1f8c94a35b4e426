"""The training state a ".last" model file carries for --resume, validated into TrainState.

The state is whatever the file says: a damaged or foreign one must end in a clear error naming
the file and the field, never in a KeyError deep in the trainer or in an optimizer step that
fails an hour later. `TrainState.from_dict` checks every field's type and range;
`restore_optimizer` and `restore_weights` check that the saved tensors fit the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from samic_core.errors import CheckpointError
from samic_core.modelfile.archive import short
from samic_core.modelfile.fields import Fields, show
from samic_core.modelfile.meta import MAX_EPOCHS

_WHAT = "training state"
_ADAM_TENSORS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
_ADAM_FLAGS = ("amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused")


@dataclass(frozen=True)
class TrainState:
    """Where a run stopped: optimizer state, last epoch, history, best loss, early stopping."""

    optimizer: dict[str, Any]
    epoch: int
    history: tuple[dict[str, Any], ...]
    best_loss: float | None
    best_epoch: int | None
    stopper: dict[str, Any]  # samic_core.train.schedule.Stopper.state()
    average: dict[str, Any] | None = None  # train/averaging.py WeightAverage.state(), if any

    def to_dict(self) -> dict[str, Any]:
        """The plain data saved in a ".last" file."""
        return {
            "optimizer": self.optimizer,
            "epoch": self.epoch,
            "history": list(self.history),
            "best_loss": self.best_loss,
            "best_epoch": self.best_epoch,
            "stopper": self.stopper,
            "average": self.average,
        }

    @classmethod
    def from_dict(cls, d: Any, path: Path) -> TrainState:
        """Validated training state (CheckpointError naming the file and the field otherwise)."""
        f = Fields(d, path, _WHAT)
        epoch = f.integer("epoch", 1, MAX_EPOCHS)
        assert epoch is not None
        best_epoch = f.integer("best_epoch", 1, epoch, None)
        best_loss = f.number("best_loss", None)
        if (best_epoch is None) != (best_loss is None):
            f.fail("best_epoch", "and best_loss must both be set or both be empty")
        history = f.data.get("history")
        if not isinstance(history, list) or len(history) > MAX_EPOCHS:
            f.fail("history", "expected a list of epochs")
        return cls(
            optimizer=_optimizer(f),
            epoch=epoch,
            history=tuple(_history_entry(e, i, path) for i, e in enumerate(history)),
            best_loss=best_loss,
            best_epoch=best_epoch,
            stopper=_stopper(f, epoch),
            average=None if f.data.get("average") is None else f.mapping("average"),
        )


def _history_entry(entry: Any, i: int, path: Path) -> dict[str, Any]:
    """One epoch of the history: its number, its losses, and the logged terms (numbers)."""
    f = Fields(entry, path, f"{_WHAT} history entry {i + 1}")
    f.integer("epoch", 1, MAX_EPOCHS)
    f.number("train_loss")
    f.number("val_loss", None)
    for key in entry:
        if not isinstance(key, str) or len(key) > 64:
            f.fail(str(key)[:40], "is not a short name")
        if key not in ("epoch", "val_loss"):
            f.number(key)  # the logged loss terms, the elapsed time
    return dict(entry)


def _stopper(f: Fields, epoch: int) -> dict[str, Any]:
    """Early stopping's state; files from before schedules kept the paper rule's counters in
    the state itself (best_train_loss, bad_epochs), read as the same state."""
    if "stopper" not in f.data:
        best = f.number("best_train_loss", math.inf)
        bad = f.integer("bad_epochs", 0, epoch, 0)
        assert bad is not None
        return {"steps": 0, "epochs": epoch, "smoothed": None, "best": best, "best_at": epoch - bad}
    s = Fields(f.mapping("stopper"), f.path, f"{_WHAT} stopper")
    steps = s.integer("steps", 0, 10**12)
    epochs = s.integer("epochs", 0, MAX_EPOCHS)
    clock = max(steps or 0, epochs or 0)
    return {
        "steps": steps,
        "epochs": epochs,
        "smoothed": s.number("smoothed", None),
        "best": s.number("best"),
        "best_at": s.integer("best_at", 0, clock),
        "smoothed_score": s.number("smoothed_score", None),  # absent before the score
        "best_score": s.number("best_score", None),
        "score_at": s.integer("score_at", 0, clock, 0),
    }


def _optimizer(f: Fields) -> dict[str, Any]:
    """The optimizer's state dict: its parameter groups' settings and per-parameter state."""
    opt = Fields(f.mapping("optimizer"), f.path, f"{_WHAT} optimizer")
    groups = opt.data.get("param_groups")
    if not isinstance(groups, list) or not groups:
        opt.fail("param_groups", "expected a non-empty list")
    for i, group in enumerate(groups):
        g = Fields(group, f.path, f"{_WHAT} optimizer group {i + 1}")
        params = g.data.get("params")
        if not isinstance(params, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) for p in params
        ):
            g.fail("params", "expected a list of parameter numbers")
        lr = g.number("lr", finite=True)
        if lr is None or lr <= 0:
            g.fail("lr", f"expected a positive learning rate, got {lr}")
        g.number("eps", 1e-8, finite=True)
        g.number("weight_decay", 0, finite=True)
        betas = g.data.get("betas", (0.9, 0.999))
        if (
            not isinstance(betas, list | tuple)
            or len(betas) != 2
            or not all(isinstance(b, int | float) and 0 <= b < 1 for b in betas)
        ):
            g.fail("betas", "expected two numbers in [0, 1)")
        for key in _ADAM_FLAGS:
            if g.data.get(key) is not None and not isinstance(g.data[key], bool):
                g.fail(key, f"expected true or false, got {show(g.data[key])}")
    state = opt.mapping("state")
    for key, value in state.items():
        if not isinstance(value, dict):
            opt.fail("state", f"entry {str(key)[:20]} is not a mapping")
    return opt.data


def restore_optimizer(optimizer: torch.optim.Optimizer, saved: dict[str, Any], path: Path) -> None:
    """Load the saved optimizer state; it must fit the network's parameters tensor for tensor."""
    try:
        optimizer.load_state_dict(saved)
    except Exception as e:  # torch raises ValueError, KeyError, TypeError... for a bad state
        raise CheckpointError(
            path, f"{_WHAT}: the optimizer state does not fit this network ({short(e)})"
        ) from e
    for group in optimizer.param_groups:
        needed = ("step", *_ADAM_TENSORS[: 3 if group.get("amsgrad") else 2])
        for p in group["params"]:
            entry = optimizer.state.get(p, {})
            if not entry:
                continue  # no step taken yet: Adam starts this parameter afresh
            missing = [key for key in needed if key not in entry]
            if missing:
                raise CheckpointError(path, f"{_WHAT}: the optimizer state lacks {missing[0]}")
            _check_step(entry["step"], path)
            for key in _ADAM_TENSORS:
                if key in entry:
                    _check_moments(key, entry[key], p, path)


def _check_step(step: Any, path: Path) -> None:
    """An optimizer step count is one finite number, 0 or more (Adam's bias correction)."""
    if isinstance(step, torch.Tensor) and step.numel() == 1 and not step.is_complex():
        step = step.item()
    if isinstance(step, bool) or not isinstance(step, int | float):
        raise CheckpointError(path, f"{_WHAT}: an optimizer step count is not a number")
    if not (math.isfinite(step) and step >= 0):
        raise CheckpointError(path, f"{_WHAT}: an optimizer step count is {step}")


def _check_moments(key: str, t: Any, p: torch.Tensor, path: Path) -> None:
    """Adam's running moments: finite, of the parameter's shape, squares never negative; else
    the first step would silently turn every weight into NaN."""
    if not isinstance(t, torch.Tensor) or t.shape != p.shape:
        raise CheckpointError(
            path, f"{_WHAT}: the optimizer's {key} does not fit the network's parameter of "
            f"shape {tuple(p.shape)}",
        )  # fmt: skip
    if not bool(torch.isfinite(t).all()) or (key != "exp_avg" and bool((t < 0).any())):
        raise CheckpointError(
            path, f"{_WHAT}: the optimizer's {key} holds values Adam never stores (not finite"
            f"{'' if key == 'exp_avg' else ' or negative'})",
        )  # fmt: skip


def restore_weights(learner: torch.nn.Module, weights: dict[str, Any], path: Path) -> None:
    """Load the saved learner weights (CheckpointError when they do not fit, or are not finite:
    training on would only write a model whose loss is nan)."""
    try:
        learner.load_state_dict(weights)
    except Exception as e:  # RuntimeError for shapes and names, TypeError for non-tensors
        raise CheckpointError(path, f"weights do not fit this learner ({short(e)})") from e
    for name, value in learner.state_dict().items():
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(path, f"weight {name!r} holds values that are not finite")
