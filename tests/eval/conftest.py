"""Fixtures for the evaluation tests: small generated datasets in FSS-1000 layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from samic_core.eval.synth import generate_dataset


@pytest.fixture(scope="session")
def synth_fss(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 classes x 4 images of 64 x 64 pixels."""
    out = tmp_path_factory.mktemp("synth") / "fss"
    generate_dataset(out, classes=5, images_per_class=4, seed=3, size=64)
    return out


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One torch thread, as in tests/samic: a shared machine's cores are not oversubscribed
    (which makes the training in these tests many times slower)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)
