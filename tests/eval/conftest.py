"""Fixtures for the evaluation tests: small generated datasets in FSS-1000 layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from samic_core.eval.synth import generate_dataset


@pytest.fixture(scope="session")
def synth_fss(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 classes x 4 images of 64 x 64 pixels."""
    out = tmp_path_factory.mktemp("synth") / "fss"
    generate_dataset(out, classes=5, images_per_class=4, seed=3, size=64)
    return out
