"""Device selection shared by the CLI and the app (the names are samic_core.config.DEVICES)."""

from __future__ import annotations

import torch

from samic_core.config import DEVICES as DEVICE_CHOICES
from samic_core.errors import SamicError


def resolve_device(name: str = "auto") -> torch.device:
    """Return the torch device for `name`; 'auto' picks CUDA when available, else CPU."""
    name = (name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SamicError("--device cuda was asked for, but no CUDA device is available")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise SamicError(f"unknown device {name!r}; use one of {', '.join(DEVICE_CHOICES)}")
