"""Numeric precision of SAM encoding and SAMIC: fp32, or bf16 / fp16 autocast.

The default is fp32: embeddings are cached and shared (the app, the CLI, other machines of a Ray
run), and with fp32 masks match SamPredictor. bf16 is opt-in for large GPU runs (the image
encoder runs much faster under bf16 autocast on a recent GPU; docs/model.md has the figures);
its embeddings are cached under their own model id. `auto` is bf16 on a CUDA device that
supports it and fp32 elsewhere. Decoding, where a click is answered, always stays fp32. An
explicit bf16 / fp16 is honoured on CPU too (slower than fp32 there), so the same code path is
tested without a GPU.
How much bf16 changes masks: docs/model.md ("Precision").
"""

from __future__ import annotations

import contextlib

import torch

from samic_core.config import DEFAULT_PRECISION, PRECISION_CHOICES, Precision
from samic_core.errors import SamicError

__all__ = ["DEFAULT_PRECISION", "PRECISION_CHOICES", "Precision", "autocast", "resolve_precision"]
_DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_precision(name: str, device: torch.device) -> Precision:
    """What `name` means on `device`: 'auto' is bf16 on CUDA with bf16 support, else fp32."""
    name = (name or "auto").lower()
    if name not in PRECISION_CHOICES:
        raise SamicError(f"unknown precision {name!r}; use one of {', '.join(PRECISION_CHOICES)}")
    if name == "auto":
        bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return "bf16" if bf16 else "fp32"
    return name


def autocast(device: torch.device, precision: Precision) -> contextlib.AbstractContextManager:
    """A context that runs eligible ops (matmuls, convolutions) in `precision` on `device`."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=_DTYPES[precision])
