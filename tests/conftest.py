"""Shared fixtures: an isolated user cache, a tiny random SAM checkpoint, sample images."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One torch / OpenMP thread per test process (and the CLI subprocesses it starts): the models
# here are tiny, and on a small shared machine extra threads only fight over the cores
# (tests/core/test_engine.py + test_cache.py on 2 busy cores: 186 s -> 66 s).
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

from samic_core.testing import (  # noqa: E402
    make_blob_image,
    make_tiny_sam2_checkpoint,
    make_tiny_sam_checkpoint,
)

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(autouse=True)
def isolated_user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own SAMIC_HOME so nothing touches the real user cache."""
    home = tmp_path_factory.mktemp("samic_home")
    monkeypatch.setenv("SAMIC_HOME", str(home))
    monkeypatch.delenv("SAMIC_CACHE_DIR", raising=False)
    return home


@pytest.fixture(scope="session")
def tiny_sam_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised SAM saved in the official checkpoint format."""
    return make_tiny_sam_checkpoint(tmp_path_factory.mktemp("sam") / "tiny_sam.pth", seed=0)


@pytest.fixture(scope="session")
def tiny_sam2_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised SAM 2.1 in Meta's `{"model": state_dict}` layout."""
    return make_tiny_sam2_checkpoint(tmp_path_factory.mktemp("sam2") / "tiny_sam2.pt", seed=0)


@pytest.fixture(scope="session", params=["sam", "sam2"])
def any_sam_checkpoint(request: pytest.FixtureRequest) -> Path:
    """The tiny SAM 1 and the tiny SAM 2.1 checkpoint in turn: for what both engines must do."""
    name = "tiny_sam_checkpoint" if request.param == "sam" else "tiny_sam2_checkpoint"
    return request.getfixturevalue(name)


def write_image(path: Path, image: np.ndarray) -> Path:
    """Save an RGB array as an image file (format from the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """A folder with three small PNG images of blobs (one non-square, portrait)."""
    folder = tmp_path / "images"
    write_image(folder / "a.png", make_blob_image(240, 320, [(80, 120, 30), (230, 110, 25)], 1))
    write_image(folder / "b.png", make_blob_image(240, 320, [(160, 100, 40)], 2))
    write_image(folder / "c.png", make_blob_image(300, 200, [(100, 150, 35)], 3))
    return folder
