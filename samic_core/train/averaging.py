"""An exponential moving average of the learner's weights (Polyak averaging), the model that
is validated and saved.

On a small folder every optimizer step moves the whole map's level, and the peaks that
cross the rule's thresholds swing from one epoch to the next (docs/model.md, the suite). The
average of the last few dozen steps' weights keeps what they agree on. Training itself goes
on with the raw weights; only validation, the best file and prediction see the average.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from samic_core.errors import CheckpointError

AVERAGE_DECAY = 0.95  # per optimizer step: the average spans about 20 steps
WARMUP = 10  # early steps weigh more (decay (1 + n) / (WARMUP + n)) so the start is forgotten


class WeightAverage:
    """The average of a module's floating-point weights over its optimizer steps."""

    def __init__(self, module: nn.Module, decay: float = AVERAGE_DECAY) -> None:
        self.decay = decay
        self.updates = 0
        self.weights = {
            k: v.detach().clone() for k, v in module.state_dict().items() if v.is_floating_point()
        }

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        """After an optimizer step: move the average towards the module's weights."""
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (WARMUP + self.updates))
        for k, v in module.state_dict().items():
            if k in self.weights:
                self.weights[k].mul_(d).add_(v.detach(), alpha=1 - d)

    @contextmanager
    def applied(self, module: nn.Module) -> Iterator[None]:
        """The module holds the average inside the block and its own weights again after."""
        own = {k: v.detach().clone() for k, v in module.state_dict().items()}
        module.load_state_dict({**own, **self.weights})
        try:
            yield
        finally:
            module.load_state_dict(own)

    def state(self) -> dict[str, Any]:
        """What a ".last" file keeps to resume the average exactly."""
        return {"updates": self.updates, "weights": self.weights}

    def load_state(self, state: Any, path: Path) -> None:
        """Restore from `state()`; CheckpointError naming the file when it does not fit."""
        what = "training state: the weight average"
        if not isinstance(state, dict) or not isinstance(state.get("weights"), dict):
            raise CheckpointError(path, f"{what} is not a mapping of weights")
        updates = state.get("updates")
        if isinstance(updates, bool) or not isinstance(updates, int) or updates < 0:
            raise CheckpointError(path, f"{what} has no step count")
        saved = state["weights"]
        if set(saved) != set(self.weights):
            raise CheckpointError(path, f"{what} does not fit this learner (other weights)")
        for k, v in saved.items():
            mine = self.weights[k]
            if not isinstance(v, torch.Tensor) or v.shape != mine.shape:
                raise CheckpointError(path, f"{what}: {k!r} does not fit this learner")
            if not bool(torch.isfinite(v).all()):
                raise CheckpointError(path, f"{what}: {k!r} holds values that are not finite")
        self.updates = updates
        self.weights = {k: v.detach().to(self.weights[k]).clone() for k, v in saved.items()}
