"""The optimizer a training run uses, and the deterministic mode it runs in."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from samic_core.model.presence import GATE_LR_FACTOR
from samic_core.model.samic_net import SamicNet


@contextlib.contextmanager
def deterministic() -> Iterator[None]:
    """cuDNN in its deterministic mode for the block: a seeded run repeats exactly."""
    old = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = old


def adam(net: SamicNet, lr: float) -> torch.optim.Adam:
    """Adam on the learner; the presence gate's scale starts far from where it ends
    (model/presence.py), so its parameters get their own, larger rate."""
    gate = {id(p) for p in net.learner.gate_parameters()}
    groups: list[dict[str, Any]] = [
        {"params": [p for p in net.learner.parameters() if id(p) not in gate]}
    ]
    if gate:
        groups.append({"params": net.learner.gate_parameters(), "lr": lr * GATE_LR_FACTOR})
    return torch.optim.Adam(groups, lr=lr)
