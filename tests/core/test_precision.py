"""Precision (issue 13): bf16 / fp16 autocast for SAM encoding and SAMIC, fp32 decoding.

CUDA is where bf16 pays; the same code runs under CPU autocast here, so the path is tested
without a GPU. Tolerances are wide on purpose: a tiny random model says only that the reduced
precision path computes the same thing approximately, not how close real weights stay
(docs/model.md, Precision).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from samic_core.errors import SamicError
from samic_core.precision import resolve_precision
from samic_core.sam.engine import SamEngine
from samic_core.sam.types import Prompt
from samic_core.testing import make_blob_image

CPU = torch.device("cpu")


def test_auto_is_fp32_on_cpu_and_names_are_checked() -> None:
    assert resolve_precision("auto", CPU) == "fp32"
    assert resolve_precision("BF16", CPU) == "bf16"  # explicit: honoured, so CPU can test it
    with pytest.raises(SamicError, match="unknown precision 'fp8'"):
        resolve_precision("fp8", CPU)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


class _Seen(Exception):
    pass


@pytest.mark.parametrize(
    ("precision", "dtype"), [("bf16", torch.bfloat16), ("fp16", torch.float16)]
)
def test_the_encoder_runs_under_autocast_and_caches_apart(
    tiny_sam_checkpoint: Path, precision: str, dtype: torch.dtype
) -> None:
    """Fast sibling of the test below: the encoder's blocks run under autocast in `precision`
    (seen from the progress callback between blocks, which then aborts the encode)."""
    image = make_blob_image(60, 80, [(30, 40, 10)], seed=1)
    seen = []

    def progress(done: int, total: int, name: str = "") -> None:
        seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))
        raise _Seen

    full = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None)
    half = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None, precision=precision)
    assert half.model_id == f"{full.model_id}-{precision}"  # never served to an fp32 engine
    for engine, expected in ((half, (True, dtype)), (full, False)):
        with pytest.raises(_Seen):
            engine.encode(image, progress=progress)
        assert (seen[-1] if expected else seen[-1][0]) == expected


@pytest.mark.slow  # reduced precision is emulated on CPUs without bf16/fp16 units: ~40 s each
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_reduced_precision_encodes_close_to_fp32_and_caches_apart(
    tiny_sam_checkpoint: Path, precision: str
) -> None:
    image = make_blob_image(180, 260, [(70, 90, 30), (190, 80, 25)], seed=5)
    full = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None)
    half = SamEngine(tiny_sam_checkpoint, "auto", "cpu", cache=None, precision=precision)
    assert full.precision == "fp32" and half.precision == precision
    assert half.model_id == f"{full.model_id}-{precision}"  # never served to an fp32 engine
    a, b = full.encode(image), half.encode(image)
    assert b.features.dtype == torch.float32  # the cache and the decoder get float32
    assert not torch.equal(a.features, b.features)  # the encoder really ran in `precision`
    rel = (a.features - b.features).norm() / a.features.norm()
    assert rel < 0.1, rel
    prompt = Prompt.from_points(np.array([[70.0, 90.0]]))
    assert _iou(full.decode(a, prompt).mask, half.decode(b, prompt).mask) > 0.8
